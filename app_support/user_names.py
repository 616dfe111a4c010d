"""Messages name the user's own files, never the server's folders.

Uploads are stored under this session's work folder with a sanitised name (``MGS_WORK_DIR/<session>/uploads/...``)
and data-folder files are opened by their absolute path, so a core error such as "cannot read
/home/lab/.cache/mgs-live/work/3f9a.../uploads/my_cage.mp4" would show the server's cache to the user. Every
upload's stored path is remembered with the name it was uploaded as (:func:`remember`), and :func:`clean` rewrites
every path under the work root or the data folder in a message to that name (or the data-folder-relative path).
The pages show problems through :func:`error` / :func:`warning`, which clean first.
"""
from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

from app_support import paths

_KEY = "mgs_upload_names"
_PATH_END = r"[^\s'\"`,;()\[\]{}<>]*"


def remember(stored: str | Path, name: str) -> None:
    """Remember that ``stored`` (a file or folder in the work folder) is what the user calls ``name``."""
    st.session_state.setdefault(_KEY, {})[str(Path(stored).resolve())] = str(name)


def names() -> dict[str, str]:
    return dict(st.session_state.get(_KEY, {}))


def shown_name(path: str | Path, known: dict[str, str], data_dir: Path | None = None) -> str:
    """How the user calls ``path``: the uploaded name (also for a file inside an uploaded/unpacked folder),
    else its path inside the data folder, else its file name."""
    p = Path(path)
    try:
        resolved = p.resolve()
    except OSError:
        resolved = p
    for stored, name in sorted(known.items(), key=lambda kv: -len(kv[0])):
        if str(resolved) == stored:
            return name
        if resolved.is_relative_to(stored):
            return f"{name}/{resolved.relative_to(stored).as_posix()}"
    if data_dir is not None and resolved.is_relative_to(data_dir):
        return resolved.relative_to(data_dir).as_posix() or data_dir.name
    return p.name or str(p)


def clean_text(text: str, known: dict[str, str], roots: list[Path], data_dir: Path | None = None) -> str:
    """``text`` with every absolute path under one of ``roots`` replaced by :func:`shown_name` (pure)."""
    for root in sorted({str(r) for r in roots if str(r) not in ("", "/", ".")}, key=len, reverse=True):
        def repl(m: re.Match) -> str:
            found = m.group(0)
            tail = re.search(r"[.:]+$", found)  # a sentence's full stop or colon after the path
            core = found[: tail.start()] if tail else found
            return shown_name(core, known, data_dir) + (tail.group(0) if tail else "")

        text = re.sub(re.escape(root) + r"(?=[/\\]|\b)" + _PATH_END, repl, text)
    return text


def _roots() -> list[Path]:
    work = paths.work_root()
    roots = [work, paths.data_dir()]
    try:
        roots.append(work.resolve())
    except OSError:
        pass
    return roots


def clean(text) -> str:
    """A message (or exception) for this session's user: server paths replaced by the user's names."""
    return clean_text(str(text), names(), _roots(), paths.data_dir())


def error(text) -> None:
    st.error(clean(text))


def warning(text) -> None:
    st.warning(clean(text))


def shown(path: str | Path) -> str:
    """:func:`shown_name` of ``path`` for this session."""
    return shown_name(path, names(), paths.data_dir())
