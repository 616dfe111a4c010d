"""The audit trail: one JSON object per line, appended and fsync'd, never rewritten.

Where: ``MGS_AUDIT_LOG``, default ``~/.local/share/mgs-live/audit.jsonl``. Each record: ``time`` (UTC, ISO 8601),
``user``, ``action`` (e.g. ``score``, ``live.start``, ``labels.create``, ``train``, ``model.activate``,
``report``, ``users.add``, ``signin``, ``signin.failed``), ``target`` (what it acted on) and optional ``details``.
Writers in several processes append whole lines with one ``write`` under an exclusive file lock.
"""
from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from mgs_core.errors import InputError


def audit_path() -> Path:
    return Path(os.environ.get("MGS_AUDIT_LOG") or Path.home() / ".local" / "share" / "mgs-live" /
                "audit.jsonl").expanduser()


@dataclass(frozen=True)
class AuditRecord:
    time: str
    user: str
    action: str
    target: str
    details: dict = field(default_factory=dict)

    def line(self) -> str:
        extra = " ".join(f"{k}={v}" for k, v in self.details.items())
        return f"{self.time}  {self.user:<14} {self.action:<16} {self.target}" + (f"  ({extra})" if extra else "")


def record(user: str, action: str, target: str, details: dict | None = None, path: str | Path | None = None,
           now: datetime | None = None) -> AuditRecord:
    """Append one record (and fsync it) before returning it."""
    rec = AuditRecord((now or datetime.now(timezone.utc)).isoformat(timespec="seconds"), str(user), str(action),
                      str(target), dict(details or {}))
    path = Path(path) if path else audit_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (json.dumps({"time": rec.time, "user": rec.user, "action": rec.action, "target": rec.target,
                        "details": rec.details}, default=str, separators=(",", ":")) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return rec


def _since(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"--since {value!r} is not a date or time (e.g. 2026-05-01 or 2026-05-01T14:00)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def read(path: str | Path | None = None, user: str | None = None, action: str | None = None,
         since: str | datetime | None = None) -> list[AuditRecord]:
    """The records, oldest first, filtered by user, action (exact, or a prefix ending in '.') and time.

    A line that is not a record (a torn last line after a crash) is skipped, never fatal."""
    path = Path(path) if path else audit_path()
    since_dt = _since(since)
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise InputError(f"cannot read the audit log {path} ({exc.strerror or exc})") from None
    out = []
    for line in lines:
        try:
            raw = json.loads(line)
            rec = AuditRecord(str(raw["time"]), str(raw["user"]), str(raw["action"]), str(raw["target"]),
                              dict(raw.get("details") or {}))
            when = datetime.fromisoformat(rec.time)
        except (ValueError, KeyError, TypeError):
            continue
        if user and rec.user != user:
            continue
        if action and not (rec.action == action or (action.endswith(".") and rec.action.startswith(action))):
            continue
        if since_dt and when < since_dt:
            continue
        out.append(rec)
    return out
