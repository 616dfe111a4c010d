"""One task per input: skip it when finished, resume it when partial, score it otherwise; failures stay inside it.

``run_task(task)`` never raises for a problem with its input (an unreadable video, a bad ROI file, a full disk): it
returns a :class:`TaskOutcome` in state ``failed`` with the message. Only interruption (Ctrl-C) propagates.
The same function runs in-process (``mgs score`` without ``--workers``/``--scheduler``, the app's Batch page) and on
Dask workers, where its progress goes to the client as ``mgs-progress`` events.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from mgs_core.errors import MGSError
from mgs_core.batch.models import ModelSpec

DONE = "done"  # scored from the start in this run
RESUMED = "resumed"  # finished from the chunks of an interrupted run
SKIPPED = "skipped"  # finished results of the same inputs were already published
FAILED = "failed"  # the input could not be scored; the message says why
STATES = (DONE, RESUMED, SKIPPED, FAILED)

PROGRESS_TOPIC = "mgs-progress"


@dataclass(frozen=True)
class ScoreTask:
    """Everything one input needs; paths must be valid where the task runs (a shared folder on a cluster)."""

    key: str  # unique within the job; names the task on a cluster
    input: Path
    out_dir: Path
    stem: str
    models: ModelSpec
    rois_file: Path | None = None
    stride: int = 1
    max_frames: int | None = None
    chunk_frames: int = 250
    annotate: bool = False
    expected_frames: int = 0  # from the video header, for the aggregate progress (0 = unknown)
    user: str | None = None  # who runs it, for the provenance (None = the OS user where it runs)


@dataclass(frozen=True)
class TaskOutcome:
    """What happened to one input (one row of the job table)."""

    key: str
    input: str
    state: str  # one of STATES
    message: str = ""  # failure reason, or notes (resumed from N frames, cut short by a decode error, ...)
    frames: int = 0  # frames in the published results
    frames_new: int = 0  # frames scored by this run
    rows: int = 0
    frames_per_s: float = 0.0
    wall_s: float = 0.0
    csv: str = ""
    parquet: str = ""
    provenance: str = ""
    annotated: str = ""
    problems: int = 0  # decode cut short / frames left unscored (the input still finished)
    host: str = ""  # where it ran ("" = this process)

    @property
    def ok(self) -> bool:
        return self.state != FAILED


@dataclass(frozen=True)
class ProgressEvent:
    key: str
    done: int  # frames of this input done (resumed included)
    total: int  # frames expected
    new: int  # frames newly scored by this attempt


Report = Callable[[ProgressEvent], None]


def _worker_reporter(key: str) -> Report | None:
    """On a Dask worker: a reporter sending throttled progress events to the client; elsewhere None."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return None
    last = [0.0]

    def report(ev: ProgressEvent) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.5 or ev.done >= ev.total > 0:
            last[0] = now
            worker.log_event(PROGRESS_TOPIC, {"key": ev.key, "done": ev.done, "total": ev.total, "new": ev.new})

    return report


def _host() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return ""


def run_task(task: ScoreTask, runner=None, report: Report | None = None) -> TaskOutcome:
    """Skip, resume or score one input (module docstring). ``runner`` defaults to this process's cached runner."""
    from mgs_core.batch.models import runner_for
    from mgs_core.io.rois import load_rois
    from mgs_core.scoring import finished_run, score_video, skipped_summary, write_failure

    t0 = time.perf_counter()
    report = report or _worker_reporter(task.key)
    base = {"key": task.key, "input": str(task.input), "host": _host()}
    try:
        runner = runner or runner_for(task.models)
        rois = load_rois(task.rois_file) if task.rois_file else None
        found = finished_run(task.input, rois, runner.info(), task.out_dir, task.stride, task.max_frames, task.stem)
        if found is not None:
            s = skipped_summary(found, task.input, time.perf_counter() - t0)
            if report:
                report(ProgressEvent(task.key, s.frames_scored, s.frames_scored, 0))
            return TaskOutcome(**base, state=SKIPPED, message="finished results match (video, ROIs, models, stride)",
                               frames=s.frames_scored, rows=s.rows, wall_s=s.wall_s, csv=str(s.csv),
                               parquet=str(s.parquet), provenance=str(s.provenance),
                               annotated=str(s.annotated or ""))
        progress = None
        if report:
            start = {}

            def progress(done: int, total: int) -> None:
                start.setdefault("first", done)
                report(ProgressEvent(task.key, done, total, max(0, done - start["first"])))

        s = score_video(task.input, rois, runner, task.out_dir, stride=task.stride, annotate=task.annotate,
                        progress=progress, max_frames=task.max_frames, chunk_frames=task.chunk_frames,
                        roi_source=task.rois_file, stem=task.stem, user=task.user)
    except MGSError as exc:
        return TaskOutcome(**base, state=FAILED, message=str(exc), wall_s=round(time.perf_counter() - t0, 3))
    except OSError as exc:  # a full disk or a vanished folder while writing chunks or the annotated video
        return TaskOutcome(**base, state=FAILED, message=str(write_failure(exc, task.out_dir, task.stem)),
                           wall_s=round(time.perf_counter() - t0, 3))
    notes = list(s.messages)
    problems = 0
    if s.decode_error:
        problems += 1
        notes.append(f"{s.decode_error}; the {s.frames_scored} frames before it were scored")
    if s.frames_failed:
        problems += 1
        notes.append(f"{s.frames_failed} frames could not be scored (rows left empty)")
    return TaskOutcome(**base, state=RESUMED if s.frames_resumed else DONE, message="; ".join(notes),
                       frames=s.frames_scored, frames_new=s.frames_scored - s.frames_resumed, rows=s.rows,
                       frames_per_s=s.frames_per_s, wall_s=s.wall_s, csv=str(s.csv), parquet=str(s.parquet),
                       provenance=str(s.provenance), annotated=str(s.annotated or ""), problems=problems)
