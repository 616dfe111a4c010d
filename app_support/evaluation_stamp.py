"""What an evaluation result on the Model evaluation page came from, and when it no longer describes the screen.

Pure (no streamlit): a result is stored with an :class:`EvalStamp` (the model's checkpoint hashes and the dataset's
labels hash); :func:`stale_reason` compares it with the model and data chosen now. A pipeline evaluation belongs to
its model and data; a cross-validation trains its own networks, so only the data (and fold/epoch settings, which
are part of the stamp) matter for it.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PIPELINE, CV = "pipeline", "cv"


@lru_cache(maxsize=64)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file (cached while its size and modification time stay the same); "missing" when absent."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return "missing"
    return _digest(str(p.resolve()), st.st_size, st.st_mtime_ns)


def model_key(seg: str | Path, score: str | Path, server: str | None = None) -> str:
    """One key for the networks that produce scores: both checkpoints' hashes (and the server, if remote)."""
    return f"seg:{file_digest(seg)[:16]} score:{file_digest(score)[:16]}" + (f" server:{server}" if server else "")


@dataclass(frozen=True)
class EvalStamp:
    mode: str  # PIPELINE or CV
    model_key: str | None  # None for CV (it trains its own networks)
    model_name: str
    data_key: str  # the dataset's labels.csv SHA-256 plus the crop limit
    data_name: str
    settings: str = ""  # CV folds/epochs


def data_key(labels_digest: str, limit: int) -> str:
    return f"{labels_digest[:16]}:{int(limit) or 'all'}"


def stale_reason(saved: EvalStamp, model_key_now: str | None, model_name_now: str, data_key_now: str | None,
                 data_name_now: str, settings_now: str = "") -> str | None:
    """Why the stored result no longer describes the chosen model/data (None while it still does)."""
    if saved.mode == PIPELINE and model_key_now != saved.model_key:
        return (f"They were of **{saved.model_name}**; the model is now **{model_name_now}**. Press "
                "**Evaluate** to measure the model now chosen.")
    if data_key_now != saved.data_key:
        now = f"**{data_name_now}**" if data_key_now else "no dataset"
        return (f"They were on **{saved.data_name}**; the dataset is now {now} (or its labels changed). "
                "Press **Evaluate** again.")
    if saved.mode == CV and settings_now != saved.settings:
        return (f"They were of a cross-validation with {saved.settings}; the settings are now {settings_now}. "
                "Press **Evaluate** again.")
    return None
