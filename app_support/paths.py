"""Folders the app reads and writes, and a safe file picker inside the read-only data folder (pure, no streamlit).

- Data folder (read-only): ``MGS_DATA_DIR``, default ``<repo>/sample_data``. Files are picked by a path *relative* to
  it; :func:`safe_join` refuses absolute paths, ``..`` parts and anything that resolves (e.g. via a symlink) outside.
- Work folder (per browser session): ``MGS_WORK_DIR``/<session id>, default ``~/.cache/mgs-live/work/<session id>``.
"""
from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath, PureWindowsPath

from mgs_core.errors import InputError

REPO = Path(__file__).resolve().parent.parent
VIDEO_EXTS = (".mp4", ".avi", ".mov", ".mkv", ".m4v", ".webm")
IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
RESULT_EXTS = (".csv", ".parquet")
ROI_EXTS = (".json",)
CHECKPOINT_EXTS = (".pt",)


def data_dir() -> Path:
    """The configured read-only data folder (resolved)."""
    return Path(os.environ.get("MGS_DATA_DIR") or REPO / "sample_data").expanduser().resolve()


def work_root() -> Path:
    """The root under which every browser session gets its own work folder."""
    return Path(os.environ.get("MGS_WORK_DIR") or Path.home() / ".cache" / "mgs-live" / "work").expanduser()


def safe_join(base: str | Path, rel: str) -> Path:
    """``base / rel`` resolved, guaranteed to stay inside ``base``; raises InputError otherwise."""
    if not isinstance(rel, str) or not rel.strip():
        raise InputError("no file chosen")
    rel = rel.strip()
    if "\x00" in rel:
        raise InputError(f"file name {rel!r} contains a NUL character")
    for flavour in (PurePosixPath(rel), PureWindowsPath(rel)):
        if flavour.is_absolute() or flavour.drive or flavour.root:
            raise InputError(f"{rel!r} is an absolute path: pick a file inside the data folder")
        if ".." in flavour.parts:
            raise InputError(f"{rel!r} leaves the data folder ('..' is not allowed)")
    base = Path(base).expanduser().resolve()
    path = (base / rel).resolve()
    if not path.is_relative_to(base):
        raise InputError(f"{rel!r} resolves outside the data folder")
    return path


def list_files(base: str | Path, exts: tuple[str, ...], max_files: int = 500) -> list[str]:
    """Files under ``base`` with one of ``exts`` (lower-case, with dot), as sorted relative POSIX paths.

    Hidden files/folders and anything whose real location is outside ``base`` (symlinks) are skipped.
    """
    base = Path(base).expanduser().resolve()
    if not base.is_dir():
        return []
    out = []
    for root, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or not name.lower().endswith(exts):
                continue
            path = Path(root) / name
            if not path.resolve().is_relative_to(base):
                continue
            out.append(path.relative_to(base).as_posix())
            if len(out) >= max_files:
                return sorted(out)
    return sorted(out)


def safe_filename(name: str, default: str = "upload") -> str:
    """A plain file name (no folders, no odd characters) for storing an upload."""
    name = PureWindowsPath(PurePosixPath(str(name)).name).name
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return name[:120] or default
