"""Aggregate progress of a batch: inputs finished, frames done, frames/s and ETA over all inputs."""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from mgs_core.batch.task import ProgressEvent, ScoreTask, TaskOutcome


@dataclass(frozen=True)
class BatchStatus:
    inputs_total: int
    inputs_finished: int  # done, resumed, skipped or failed
    inputs_failed: int
    frames_done: int  # over all inputs, resumed and skipped included
    frames_total: int  # expected, from the video headers (0 when unknown)
    frames_per_s: float  # frames newly scored per second of wall time, over all workers
    eta_s: float  # seconds left at that rate (NaN when unknown)
    running: tuple[str, ...]  # inputs being scored now

    def line(self) -> str:
        eta = time.strftime("%H:%M:%S", time.gmtime(self.eta_s)) if math.isfinite(self.eta_s) else "--:--:--"
        failed = f", {self.inputs_failed} failed" if self.inputs_failed else ""
        frames = f"{self.frames_done}/{self.frames_total}" if self.frames_total else f"{self.frames_done}"
        return (f"inputs {self.inputs_finished}/{self.inputs_total} finished{failed}, frames {frames}, "
                f"{self.frames_per_s:.1f} frames/s, ETA {eta}")


class BatchProgress:
    """Folds per-input progress events and outcomes into a :class:`BatchStatus` (thread-safe enough for one writer)."""

    def __init__(self, tasks: list[ScoreTask], clock=time.monotonic):
        self.clock = clock
        self.t0 = clock()
        self.names = {t.key: t.input.name for t in tasks}
        self.total = {t.key: t.expected_frames for t in tasks}
        self.done = {t.key: 0 for t in tasks}
        self.new_by_attempt: dict[str, int] = {}
        self.new_finished = 0  # newly scored frames of finished inputs
        self.outcomes: dict[str, TaskOutcome] = {}
        self.first_new: float | None = None
        self.lock = threading.Lock()  # events arrive on the Dask client's thread, outcomes on the caller's

    def event(self, ev: ProgressEvent) -> None:
        with self.lock:
            self._event(ev)

    def _event(self, ev: ProgressEvent) -> None:
        if ev.key in self.outcomes or ev.key not in self.done:
            return
        self.done[ev.key] = ev.done
        if ev.total:
            self.total[ev.key] = max(self.total[ev.key], ev.total) if self.total[ev.key] else ev.total
        if ev.new and self.first_new is None:
            self.first_new = self.clock()
        self.new_by_attempt[ev.key] = ev.new

    def finished(self, outcome: TaskOutcome) -> None:
        with self.lock:
            self._finished(outcome)

    def _finished(self, outcome: TaskOutcome) -> None:
        self.outcomes[outcome.key] = outcome
        self.new_by_attempt.pop(outcome.key, None)
        self.done[outcome.key] = outcome.frames
        if outcome.ok:
            self.total[outcome.key] = outcome.frames
        self.new_finished += outcome.frames_new
        if outcome.frames_new and self.first_new is None:
            self.first_new = self.clock() - outcome.wall_s

    def status(self) -> BatchStatus:
        with self.lock:
            return self._status()

    def _status(self) -> BatchStatus:
        now = self.clock()
        new = self.new_finished + sum(self.new_by_attempt.values())
        rate = new / (now - self.first_new) if self.first_new is not None and now > self.first_new else 0.0
        left = sum(max(0, self.total[k] - self.done[k]) for k in self.total if k not in self.outcomes)
        eta = left / rate if rate > 0 else (0.0 if not left and len(self.outcomes) == len(self.total) else math.nan)
        running = tuple(self.names[k] for k in self.new_by_attempt if k not in self.outcomes)
        return BatchStatus(len(self.total), len(self.outcomes),
                           sum(1 for o in self.outcomes.values() if not o.ok),
                           sum(self.done.values()), sum(self.total.values()), round(rate, 2), eta, running)
