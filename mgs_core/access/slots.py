"""Job slots shared by every session and process of a server: at most ``limit`` jobs of a kind run at once; the
others wait in a first-come queue that anyone can list.

``root/<kind>/slot-<i>`` are the slots: a job holds one with an exclusive ``flock`` and writes who holds it into
it. ``root/<kind>/queue/<ticket>`` are the waiting jobs, each ticket locked by its waiter. The operating system
drops a lock when its process ends, so a crashed job never keeps its slot and a crashed waiter's ticket is
recognised as stale (nobody holds its lock) and removed. A held slot's file descriptor can be handed to a child
process (``pass_fds``): the slot then stays taken until that child ends.
"""
from __future__ import annotations

import fcntl
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class SlotsView:
    kind: str
    limit: int
    running: tuple[dict, ...]  # who holds each taken slot (user, what, since)
    waiting: tuple[dict, ...]  # the queue, first in line first


class Slot:
    """A held slot; release it (or leave the ``with`` block) to let the next job in."""

    def __init__(self, fd: int, path: Path):
        self.fd, self.path = fd, path

    def fileno(self) -> int:
        return self.fd

    def release(self) -> None:
        if self.fd >= 0:
            try:
                os.ftruncate(self.fd, 0)
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            finally:
                os.close(self.fd)
                self.fd = -1

    def detach(self) -> None:
        """Close this process's handle without unlocking (a child process that inherited it keeps the slot)."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> "Slot":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _try_lock(path: Path, create: bool = True) -> int | None:
    """An fd holding an exclusive lock on ``path``, or None when someone else holds it."""
    try:
        fd = os.open(path, os.O_RDWR | (os.O_CREAT if create else 0), 0o600)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text() or "{}")
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


class JobSlots:
    def __init__(self, root: str | Path, kind: str, limit: int):
        if limit < 1:
            raise ValueError(f"the {kind} job limit must be >= 1, got {limit}")
        self.kind, self.limit = kind, int(limit)
        self.dir = Path(root) / kind
        self.queue = self.dir / "queue"
        self.queue.mkdir(parents=True, exist_ok=True)

    def _slot_paths(self) -> list[Path]:
        return [self.dir / f"slot-{i}" for i in range(self.limit)]

    def try_acquire(self, holder: dict) -> Slot | None:
        """Take a free slot now (writing ``holder`` into it), or None when all are taken."""
        for path in self._slot_paths():
            fd = _try_lock(path)
            if fd is None:
                continue
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps({**holder, "since": time.time(), "pid": os.getpid()}).encode(), 0)
            return Slot(fd, path)
        return None

    def _live_tickets(self) -> list[Path]:
        """Queue tickets whose waiter is still there, oldest first (stale ones are removed)."""
        live = []
        for path in sorted(self.queue.glob("*.json")):
            fd = _try_lock(path, create=False)
            if fd is None:
                if path.exists():
                    live.append(path)
                continue
            try:  # nobody holds it: its waiter is gone
                path.unlink(missing_ok=True)
            finally:
                os.close(fd)
        return live

    def acquire(self, holder: dict, on_wait: Callable[[int, SlotsView], None] | None = None,
                poll_s: float = 0.5, cancelled: Callable[[], bool] | None = None) -> Slot | None:
        """Wait in the queue until a slot is free and this job is first in line; ``on_wait(ahead, view)`` is
        called while waiting. Returns None when ``cancelled()`` becomes true."""
        ticket = self.queue / f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.json"
        fd = os.open(ticket, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, json.dumps({**holder, "queued": time.time(), "pid": os.getpid()}).encode())
        try:
            while True:
                tickets = self._live_tickets()
                ahead = tickets.index(ticket) if ticket in tickets else 0
                if ahead == 0:
                    slot = self.try_acquire(holder)
                    if slot is not None:
                        return slot
                if cancelled is not None and cancelled():
                    return None
                if on_wait is not None:
                    on_wait(ahead, self.view())
                time.sleep(poll_s)
        finally:
            ticket.unlink(missing_ok=True)
            os.close(fd)

    def view(self) -> SlotsView:
        running = []
        for path in self._slot_paths():
            fd = _try_lock(path)
            if fd is None:
                running.append(_read(path))
            else:
                os.close(fd)
        return SlotsView(self.kind, self.limit, tuple(running), tuple(_read(p) for p in self._live_tickets()))
