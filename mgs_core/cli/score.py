"""`mgs score INPUT... [--rois ROIS.json] --out DIR [--stride N] [--annotate] [--workers N | --scheduler ADDR]`.

INPUTS are files, folders (searched recursively for videos) or globs; every input is one task. Without
``--workers``/``--scheduler`` the tasks run one after another in this process (as before); with them, on a Dask
cluster (mgs_core.batch, docs/scale_out.md). Finished inputs are skipped, interrupted ones resume, a failing input
fails alone; a table of every input ends the run.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from mgs_core.errors import InputError


class ProgressBar:
    """A one-line progress bar with rate and ETA on stderr (redrawn at most 4 times a second)."""

    def __init__(self, label: str, stream=None, width: int = 28):
        self.label, self.stream, self.width = label, stream or sys.stderr, width
        self.t0 = time.perf_counter()
        self.last = 0.0
        self.first_done: int | None = None

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if self.first_done is None:
            self.first_done, self.t0 = done, now
        if now - self.last < 0.25 and done < total:
            return
        self.last = now
        rate = (done - self.first_done) / (now - self.t0) if now > self.t0 else 0.0
        if total:
            frac = min(1.0, done / total)
            bar = "#" * int(frac * self.width)
            eta = (total - done) / rate if rate > 0 else float("nan")
            eta_s = time.strftime("%H:%M:%S", time.gmtime(eta)) if eta == eta else "--:--:--"
            line = f"{self.label} [{bar:<{self.width}}] {100 * frac:5.1f}% {done}/{total} frames {rate:6.1f} fps ETA {eta_s}"
        else:
            line = f"{self.label} {done} frames {rate:6.1f} fps"
        self.stream.write("\r" + line)
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def _sigterm(signum, frame):
    raise KeyboardInterrupt


class StatusLine:
    """The aggregate progress of a cluster run on one stderr line (redrawn at most twice a second)."""

    def __init__(self, stream=None):
        self.stream, self.last, self.shown = stream or sys.stderr, 0.0, False

    def __call__(self, status) -> None:
        now = time.perf_counter()
        if now - self.last < 0.5 and status.inputs_finished < status.inputs_total:
            return
        self.last, self.shown = now, True
        self.stream.write("\r" + status.line().ljust(90))
        self.stream.flush()

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def _print_outcome(o) -> None:
    from mgs_core.batch.task import FAILED, SKIPPED

    name = Path(o.input).name
    if o.state == FAILED:
        print(f"error: {name}: {o.message}", file=sys.stderr)
        return
    if o.message and o.state != SKIPPED:
        print(f"{name}: {o.message}", file=sys.stderr)
    outputs = f"{o.csv}, {o.parquet}, {o.provenance}" + (f", {o.annotated}" if o.annotated else "")
    if o.state == SKIPPED:
        print(f"{name}: skipped, finished results match ({o.frames} frames) -> {outputs}")
    else:
        print(f"{name}: {o.frames} frames, {o.rows} rows, {o.frames_per_s:.1f} frames/s -> {outputs}")
    from mgs_core.analysis.coverage import run_warning

    warning = run_warning(o.csv, name) if o.csv else None
    if warning:
        print(f"warning: {warning}", file=sys.stderr)


def cmd_score(args: argparse.Namespace) -> int:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # decoding shares the cores with inference
    from mgs_core.batch.inputs import build_tasks, discover_inputs
    from mgs_core.batch.models import ModelSpec
    from mgs_core.batch.table import exit_code, format_job_table
    from mgs_core.scoring import check_output_dir

    if args.stride < 1:
        raise InputError(f"--stride must be >= 1, got {args.stride}")
    if args.workers is not None and args.scheduler:
        raise InputError("give either --workers N or --scheduler ADDRESS, not both")
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers must be >= 1, got {args.workers}")
    if args.scheduler:
        from mgs_core.batch.cluster import check_scheduler_address

        check_scheduler_address(args.scheduler, args.connect_timeout)  # before anything is written
    out = check_output_dir(args.out)  # fails before any work
    found = discover_inputs(args.inputs, exclude=out)
    distributed = args.workers is not None or bool(args.scheduler)
    threads = None
    if args.workers is not None and not args.server:
        from mgs_core.batch.cluster import worker_threads

        threads = worker_threads(args.workers)
    spec = ModelSpec(seg=_abs(args.seg), score=_abs(args.score_model), device=args.device,
                     backend="auto" if args.server else args.backend, server=args.server, threads=threads)
    tasks = build_tasks(found, out.resolve() if distributed else out, spec,
                        rois_file=_abs(args.rois) if distributed else args.rois, stride=args.stride,
                        max_frames=args.max_frames, chunk_frames=args.chunk, annotate=args.annotate)
    previous = signal.signal(signal.SIGTERM, _sigterm)
    try:
        outcomes = _run_distributed(tasks, args, spec) if distributed else _run_here(tasks, args, spec)
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(format_job_table(outcomes))
    return exit_code(outcomes)


def _abs(path) -> str | None:
    return str(Path(path).resolve()) if path else None


def _run_here(tasks, args, spec):
    """Today's behaviour: one input after another in this process, one progress bar per input."""
    from mgs_core.batch.models import close_runners, runner_for
    from mgs_core.batch.run import run_batch

    runner = runner_for(spec)  # a bad checkpoint or server fails here, before any input
    names = {t.key: t.input.name for t in tasks}
    bars: dict[str, ProgressBar] = {}

    def on_event(ev) -> None:
        if not args.quiet:
            bar = bars.get(ev.key) or bars.setdefault(ev.key, ProgressBar(names[ev.key]))
            bar(ev.done, ev.total)

    def on_outcome(o) -> None:
        bar = bars.pop(o.key, None)
        if bar:
            bar.close()
        _print_outcome(o)

    try:
        return run_batch(tasks, runner=runner, on_event=on_event, on_outcome=on_outcome)
    finally:
        for bar in bars.values():
            bar.close()
        close_runners()


def _run_distributed(tasks, args, spec):
    from mgs_core.batch.cluster import dask_client
    from mgs_core.batch.run import run_batch

    line = None if args.quiet else StatusLine()

    def on_outcome(o) -> None:
        if line and line.shown:
            line.stream.write("\r" + " " * 90 + "\r")
        _print_outcome(o)

    with dask_client(workers=args.workers, scheduler=args.scheduler, models=spec,
                     connect_timeout=args.connect_timeout) as client:
        try:
            return run_batch(tasks, client=client, on_status=line, on_outcome=on_outcome, retries=args.retries)
        finally:
            if line:
                line.close()


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "score", help="score videos or images into CSV/Parquet + provenance (resumable, skips finished inputs)",
        description="Score every frame (or every Nth) of videos or images. Per input writes DIR/<stem>.csv, "
                    ".parquet and .json (provenance), published together. Inputs whose finished results match "
                    "(video, ROIs, models, stride) are skipped; interrupted ones resume from the last saved chunk. "
                    "A failing input fails alone; a table of every input ends the run. Exit code 1 when an input "
                    "failed, a video was cut short or frames failed; 2 for a problem found before anything started.")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="video or image files, folders (searched recursively for videos) or globs ('rec/**/*.mp4')")
    p.add_argument("--rois", help="ROI JSON file for all inputs (default: the whole frame is one ROI)")
    p.add_argument("--out", default="mgs-scores", help="output folder, created if missing (default: ./mgs-scores)")
    p.add_argument("--stride", type=int, default=1, help="score every Nth frame (default 1)")
    p.add_argument("--annotate", action="store_true", help="also write DIR/<stem>.annotated.mp4 with overlays")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="score on a local Dask cluster of N worker processes")
    where.add_argument("--scheduler", help="score on an existing Dask cluster (e.g. tcp://host:8786); paths must be "
                                           "valid on its workers (a shared folder)")
    p.add_argument("--retries", type=int, default=2, help="cluster: times a failing task is retried (default 2)")
    p.add_argument("--connect-timeout", type=float, default=5.0, help="seconds to wait for --scheduler (default 5)")
    p.add_argument("--server", help="score on a remote inference server (e.g. tcp://host:5555)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda (local scoring)")
    p.add_argument("--backend", default="auto", choices=["auto", "torch", "onnx"], help="local inference backend")
    p.add_argument("--seg", help="segmentation checkpoint (default: shipped weights)")
    p.add_argument("--score-model", help="score checkpoint (default: shipped weights)")
    p.add_argument("--max-frames", type=int, help="stop after this many scored frames")
    p.add_argument("--chunk", type=int, default=250, help="frames per resumable chunk (default 250)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_score)
