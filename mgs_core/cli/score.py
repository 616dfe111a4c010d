"""`mgs score INPUT... [--rois ROIS.json] --out DIR [--stride N] [--annotate] [--server ADDR] [--device auto]`."""
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


def cmd_score(args: argparse.Namespace) -> int:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # decoding shares the cores with inference
    from mgs_core.io.rois import load_rois, validate_rois
    from mgs_core.io.video import probe_video
    from mgs_core.scoring import check_output_dir, score_video

    if args.stride < 1:
        raise InputError(f"--stride must be >= 1, got {args.stride}")
    out = check_output_dir(args.out)  # fails before any work
    rois = load_rois(args.rois) if args.rois else None
    stems: dict[str, Path] = {}
    for path in args.inputs:
        path = Path(path)
        info = probe_video(path)  # VideoError for a missing or non-video file
        if rois is not None:
            validate_rois(rois, info.width, info.height, source=f"ROI file {Path(args.rois).name} (for {path.name})")
        if path.stem in stems:
            raise InputError(f"{path} and {stems[path.stem]} would both write {out / path.stem}.csv; "
                             "score them into different --out folders")
        stems[path.stem] = path

    from mgs_core.runners import load_runner

    kw = {} if args.server else {"backend": args.backend}
    runner = load_runner(server=args.server, seg=args.seg, score=args.score_model, device=args.device, **kw)
    previous = signal.signal(signal.SIGTERM, _sigterm)
    problems = 0
    try:
        for path in stems.values():
            bar = None if args.quiet else ProgressBar(path.name)
            try:
                s = score_video(path, rois, runner, out, stride=args.stride, annotate=args.annotate, progress=bar,
                                max_frames=args.max_frames, chunk_frames=args.chunk, roi_source=args.rois)
            finally:
                if bar:
                    bar.close()
            for msg in s.messages:
                print(msg, file=sys.stderr)
            if s.decode_error:
                problems += 1
                print(f"warning: {s.decode_error}; the {s.frames_scored} frames before it were scored",
                      file=sys.stderr)
            if s.frames_failed:
                problems += 1
                print(f"warning: {s.frames_failed} frames of {path.name} could not be scored (rows left empty)",
                      file=sys.stderr)
            extra = f", {s.annotated}" if s.annotated else ""
            print(f"{path.name}: {s.frames_scored} frames, {s.rows} rows, {s.frames_per_s:.1f} frames/s -> "
                  f"{s.csv}, {s.parquet}, {s.provenance}{extra}")
    finally:
        signal.signal(signal.SIGTERM, previous)
        runner.close()
    return 1 if problems else 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "score", help="score videos or images into CSV/Parquet + provenance (resumable)",
        description="Score every frame (or every Nth) of videos or images. Per input writes DIR/<stem>.csv, "
                    ".parquet and .json (provenance). Interrupted runs resume from the last saved chunk when the "
                    "same command is run again. Exit code 1 when a video was cut short or frames failed.")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="video (mp4/avi/mov/mkv) or image files")
    p.add_argument("--rois", help="ROI JSON file (default: the whole frame is one ROI)")
    p.add_argument("--out", default="mgs-scores", help="output folder, created if missing (default: ./mgs-scores)")
    p.add_argument("--stride", type=int, default=1, help="score every Nth frame (default 1)")
    p.add_argument("--annotate", action="store_true", help="also write DIR/<stem>.annotated.mp4 with overlays")
    p.add_argument("--server", help="score on a remote inference server (e.g. tcp://host:5555)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda (local scoring)")
    p.add_argument("--backend", default="auto", choices=["auto", "torch", "onnx"], help="local inference backend")
    p.add_argument("--seg", help="segmentation checkpoint (default: shipped weights)")
    p.add_argument("--score-model", help="score checkpoint (default: shipped weights)")
    p.add_argument("--max-frames", type=int, help="stop after this many scored frames")
    p.add_argument("--chunk", type=int, default=250, help="frames per resumable chunk (default 250)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_score)
