"""Failed sign-ins, counted per (user name, client address) in a small JSON file shared by every session and
process of the server (guarded by a file lock): after ``max_failures`` failures within ``lockout_s`` the pair is
refused until ``lockout_s`` has passed since the last failure; a successful sign-in clears it."""
from __future__ import annotations

import fcntl
import json
import os
import time
from contextlib import contextmanager
from pathlib import Path


class SignInLimiter:
    def __init__(self, path: str | Path, max_failures: int = 5, lockout_s: float = 900.0):
        self.path = Path(path)
        self.max_failures = int(max_failures)
        self.lockout_s = float(lockout_s)

    @staticmethod
    def _key(user: str, client: str) -> str:
        return f"{user}\n{client}"

    @contextmanager
    def _locked(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                data = json.loads(self.path.read_text())
                if not isinstance(data, dict):
                    data = {}
            except (OSError, ValueError):
                data = {}  # a missing or damaged counter file starts empty (it only ever makes sign-in harder)
            yield data
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text(json.dumps(data))
            os.chmod(tmp, 0o600)
            tmp.replace(self.path)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _recent(self, data: dict, key: str, now: float) -> list[float]:
        return [t for t in data.get(key, []) if isinstance(t, (int, float)) and now - t < self.lockout_s]

    def wait_s(self, user: str, client: str, now: float | None = None) -> float:
        """Seconds until ``user`` may try again from ``client`` (0 = may try now)."""
        now = time.time() if now is None else now
        with self._locked() as data:
            recent = self._recent(data, self._key(user, client), now)
        if len(recent) < self.max_failures:
            return 0.0
        return max(0.0, self.lockout_s - (now - max(recent)))

    def failed(self, user: str, client: str, now: float | None = None) -> int:
        """Count a failure; returns the failures within the window."""
        now = time.time() if now is None else now
        key = self._key(user, client)
        with self._locked() as data:
            recent = self._recent(data, key, now) + [now]
            data[key] = recent[-self.max_failures:]
            for k in [k for k in data if k != key and not self._recent(data, k, now)]:
                del data[k]  # forget pairs whose failures are all old
        return len(recent)

    def succeeded(self, user: str, client: str) -> None:
        with self._locked() as data:
            data.pop(self._key(user, client), None)
