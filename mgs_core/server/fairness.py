"""Per-client fair queuing for the inference server: who goes into the next model call, and how much may wait.

Every ``infer`` request becomes a :class:`Job` owned by one client (its CURVE key when the server uses CURVE,
otherwise its connection). :class:`FairQueue` keeps one queue per client and:

- admits a job only while the client's own crops in the server (queued + in the model) stay within
  ``max_client_crops`` and all clients' queued crops within ``max_pending_crops``; otherwise the caller answers
  ``busy``. So no client can make the server hold more than its budget, and memory is bounded by the budgets;
- builds each model call by turns over the clients with waiting crops. A client that had nothing waiting goes
  first (new-flow priority, as in FQ-CoDel), so an interactive client waits for at most the call in progress. A
  *light* client (all its waiting crops fit in one ``quantum``) sends its whole requests, and other light clients
  ride along while the call stays within ``max_batch`` (several rigs share one model call). A *heavy* (backlogged)
  client gets one chunk alone: ``quantum`` crops, or half that while other clients are about, so its calls stay
  shorter than theirs; a large request is split over several calls and answered when its last part is done.
  ``quantum`` is the smallest request size seen from any client in the last ``recent_s`` seconds (at most
  ``max_batch``);
- anticipates: right after answering a light client that habitually sends its next request within
  ``anticipate_s`` (50 ms), the model is kept free for it that long instead of starting a backlogged client's
  chunk, so a client in a request-reply loop does not find the model busy every time it comes back.

Pure bookkeeping (no sockets, no threads); the server calls it from its I/O thread only.
"""
from __future__ import annotations

import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from mgs_core.server.protocol import Request


@dataclass(eq=False)
class Job:
    """One admitted infer request. ``handed`` crops went to the model so far; ``results`` came back."""

    client: bytes
    envelope: list
    request: Request
    handed: int = 0
    results: list = field(default_factory=list)
    failed: bool = False

    @property
    def n(self) -> int:
        return self.request.n_crops


@dataclass(frozen=True)
class Part:
    """Crops ``start:stop`` of one job inside a model call."""

    job: Job
    start: int
    stop: int

    @property
    def n(self) -> int:
        return self.stop - self.start


@dataclass(frozen=True)
class Batch:
    parts: tuple[Part, ...]
    crops: np.ndarray


class FairQueue:
    def __init__(self, max_batch: int, max_pending_crops: int, max_client_crops: int, recent_s: float = 2.0,
                 clock: Callable[[], float] = time.monotonic, anticipate_s: float = 0.05):
        self.max_batch = max_batch
        self.max_pending_crops = max_pending_crops
        self.max_client_crops = max_client_crops
        self.recent_s = recent_s
        self._clock = clock
        self._queues: OrderedDict[bytes, deque[Job]] = OrderedDict()  # clients with waiting crops, in turn order
        self._held: dict[bytes, int] = {}  # crops per client admitted and not yet answered
        self._recent: dict[bytes, tuple[float, int]] = {}  # client -> (time, size) of its last request
        self.pending_crops = 0  # crops waiting (not yet handed to the model)
        self.anticipate_s = anticipate_s
        self._answered: dict[bytes, float] = {}  # client -> when its last request was answered
        self._think: dict[bytes, float] = {}  # client -> smoothed time from an answer to its next request
        self.hold_until: float | None = None  # next_batch() kept the model for a light client until then

    # ---- admission ------------------------------------------------------------------------------------------
    def admit(self, job: Job) -> str | None:
        """Queue the job, or return why not (the caller answers ``busy`` with it)."""
        held = self._held.get(job.client, 0)
        now = self._clock()
        self._recent[job.client] = (now, job.n)
        if held == 0 and job.client in self._answered:  # how long this client "thinks" between requests
            gap = now - self._answered.pop(job.client)
            self._think[job.client] = gap if job.client not in self._think else 0.7 * self._think[job.client] + 0.3 * gap
        if held + job.n > self.max_client_crops:
            return (f"server busy: this client already has {held} crops waiting (limit {self.max_client_crops} "
                    "per client); wait for the replies")
        if self.pending_crops + job.n > self.max_pending_crops:
            return f"server busy: {self.pending_crops} crops already waiting; retry shortly"
        self._held[job.client] = held + job.n
        if job.client not in self._queues:  # a client that had nothing waiting goes first (new-flow priority)
            self._queues[job.client] = deque()
            self._queues.move_to_end(job.client, last=False)
        self._queues[job.client].append(job)
        self.pending_crops += job.n
        return None

    def held(self, client: bytes) -> int:
        return self._held.get(client, 0)

    @property
    def clients_waiting(self) -> int:
        return len(self._queues)

    def quantum(self) -> int:
        now = self._clock()
        for c in [c for c, (t, _) in self._recent.items() if now - t > self.recent_s]:
            del self._recent[c]
        sizes = [n for _, n in self._recent.values()]
        return max(1, min([self.max_batch] + sizes))

    # ---- batches --------------------------------------------------------------------------------------------
    def next_batch(self) -> Batch | None:
        """The next model call, or None when nothing waits."""
        self.hold_until = None
        if not self._queues:
            return None
        quantum = self.quantum()
        parts: list[Part] = []
        served: list[bytes] = []
        turn = next(iter(self._queues))
        queue = self._queues[turn]
        heavy = self._waiting(queue) > quantum
        if heavy:
            hold = self._anticipate(quantum)
            if hold is not None:
                self.hold_until = hold
                return None
        if not heavy:  # a light client: its whole requests, and other light ones ride along
            for client in list(self._queues):
                queue = self._queues[client]
                waiting = self._waiting(queue)
                if client != turn and (waiting > quantum or self._total(parts) + waiting > self.max_batch):
                    continue
                while queue:
                    job = queue.popleft()
                    parts.append(Part(job, job.handed, job.n))
                    job.handed = job.n
                served.append(client)
        else:  # a heavy client: one chunk alone, short when others are about, so they never wait long
            others = any(c != turn for c in self._recent)
            budget = max(1, quantum // 2) if others else quantum
            while queue and budget:
                job = queue[0]
                take = min(budget, job.n - job.handed)
                parts.append(Part(job, job.handed, job.handed + take))
                job.handed += take
                budget -= take
                if job.handed == job.n:
                    queue.popleft()
            served.append(turn)
        for client in served:  # served clients go to the back of the line
            queue = self._queues.pop(client)
            if queue:
                self._queues[client] = queue
        self.pending_crops -= self._total(parts)
        crops = [p.job.request.crops[p.start:p.stop] for p in parts]
        return Batch(tuple(parts), crops[0] if len(crops) == 1 else np.concatenate(crops))

    def _anticipate(self, quantum: int) -> float | None:
        """Until when to keep the model free for a light client that was just answered and, going by its habit,
        sends its next request within ``anticipate_s`` (anticipatory scheduling): without it, that client would
        find the model busy with a backlogged client's chunk every time."""
        now = self._clock()
        until = None
        for client in [c for c, t in self._answered.items() if now - t > self.recent_s]:
            del self._answered[client]  # gone quiet (or disconnected)
        for client, answered in self._answered.items():
            think = self._think.get(client)
            size = self._recent.get(client, (0.0, quantum + 1))[1]
            if think is None or think > self.anticipate_s or size > quantum or client in self._queues:
                continue
            limit = answered + min(self.anticipate_s, 2.0 * think + 0.002)
            if now < limit:
                until = limit if until is None else max(until, limit)
        return until

    @staticmethod
    def _waiting(queue) -> int:
        return sum(j.n - j.handed for j in queue)

    @staticmethod
    def _total(parts) -> int:
        return sum(p.n for p in parts)

    def complete(self, batch: Batch, results: list) -> list[Job]:
        """Hand each part its results; returns the jobs now fully answered (in order)."""
        finished, offset = [], 0
        for part in batch.parts:
            job = part.job
            if not job.failed:
                job.results.extend(results[offset:offset + part.n])
                if len(job.results) == job.n:
                    self._release(job)
                    finished.append(job)
                    if not self._held.get(job.client):
                        self._answered[job.client] = self._clock()
            offset += part.n
        return finished

    def fail(self, batch: Batch) -> list[Job]:
        """The model call failed: every job in it fails (once); their parts still waiting are dropped."""
        failed = []
        for part in batch.parts:
            job = part.job
            if job.failed:
                continue
            job.failed = True
            queue = self._queues.get(job.client)
            if queue is not None and job in queue:
                queue.remove(job)
                self.pending_crops -= job.n - job.handed
                if not queue:
                    del self._queues[job.client]
            self._release(job)
            failed.append(job)
        return failed

    def drain(self) -> list[Job]:
        """Remove and return every waiting job (shutdown)."""
        jobs = [j for q in self._queues.values() for j in q]
        self._queues.clear()
        self.pending_crops = 0
        for job in jobs:
            job.failed = True
            self._release(job)
        return jobs

    def _release(self, job: Job) -> None:
        left = self._held.get(job.client, 0) - job.n
        if left > 0:
            self._held[job.client] = left
        else:
            self._held.pop(job.client, None)
