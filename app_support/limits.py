"""Resource limits of a server shared by several people: job slots (at most one training job and
``MGS_MAX_SCORING_JOBS``, default 2, batch scoring jobs at once; the others wait in a queue shown in the page) and
the workspace quota (``MGS_WORK_QUOTA_MB``, default 20000 MB, for everything under ``MGS_WORK_DIR``)."""
from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path

import streamlit as st

from app_support.identity import current_user
from app_support.paths import work_root
from mgs_core.access.slots import JobSlots, SlotsView
from mgs_core.errors import InputError

DEFAULT_SCORING_JOBS = 2
DEFAULT_QUOTA_MB = 20_000


def slots_root() -> Path:
    return work_root().parent / "slots"


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InputError(f"{name}={raw!r} is not a whole number") from None
    if value < 1:
        raise InputError(f"{name} must be at least 1, got {value}")
    return value


def scoring_slots() -> JobSlots:
    return JobSlots(slots_root(), "scoring", _int_env("MGS_MAX_SCORING_JOBS", DEFAULT_SCORING_JOBS))


def training_slots() -> JobSlots:
    return JobSlots(slots_root(), "training", 1)


def describe(view: SlotsView) -> str:
    def who(h):
        since = f" since {time.strftime('%H:%M', time.localtime(h['since']))}" if h.get("since") else ""
        return f"{h.get('user', '?')} ({h.get('what', '?')}{since})"

    running = ", ".join(who(h) for h in view.running) or "none"
    waiting = ", ".join(f"{h.get('user', '?')} ({h.get('what', '?')})" for h in view.waiting) or "none"
    return (f"{view.kind.capitalize()} jobs at once: at most {view.limit}. Running: {running}. "
            f"Waiting: {waiting}.")


@contextmanager
def slot(slots: JobSlots, what: str):
    """Hold one of ``slots`` for the ``with`` block; while all are taken, wait in the queue and say so in the page."""
    holder = {"user": current_user(), "what": what}
    held = slots.try_acquire(holder)
    if held is None:
        box = st.empty()

        def waiting(ahead: int, view: SlotsView) -> None:
            box.info(f"Waiting for a free {view.kind} slot ({ahead} ahead of you in the queue). " + describe(view))

        held = slots.acquire(holder, on_wait=waiting)
        box.empty()
    try:
        yield held
    finally:
        held.release()


def quota_bytes() -> int:
    return _int_env("MGS_WORK_QUOTA_MB", DEFAULT_QUOTA_MB) * 1024 * 1024


def workspace_bytes(root: Path | None = None) -> int:
    total = 0
    for dirpath, _, files in os.walk(root or work_root()):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


def check_workspace(adding: int) -> None:
    """InputError when storing ``adding`` more bytes would take the work folder over its quota."""
    used, quota = workspace_bytes(), quota_bytes()
    if used + adding > quota:
        raise InputError(f"the work folder {work_root()} holds {used / 2**20:.0f} MB of the {quota / 2**20:.0f} MB "
                         f"allowed (MGS_WORK_QUOTA_MB); this file needs {adding / 2**20:.0f} MB more: ask an admin "
                         "to clear old sessions' folders")


def workspace_note() -> str:
    return f"All sessions together may store {quota_bytes() / 2**20:.0f} MB in the work folder."
