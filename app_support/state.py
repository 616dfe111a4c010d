"""Per-browser-session state: a session id, a private work folder, uploads saved into it.

Nothing here is module-level mutable state: everything lives in ``st.session_state`` (one per browser tab) or in the
session's own folder, so two people scoring at once never see each other's files or results.
"""
from __future__ import annotations

import uuid
from pathlib import Path

import streamlit as st

from app_support import limits
from app_support.paths import safe_filename, work_root
from mgs_core.errors import InputError


def session_id() -> str:
    if "mgs_session_id" not in st.session_state:
        st.session_state["mgs_session_id"] = uuid.uuid4().hex[:12]
    return st.session_state["mgs_session_id"]


def work_dir(*sub: str) -> Path:
    """This session's work folder (created on demand), optionally a sub-folder of it."""
    path = work_root() / session_id()
    for part in sub:
        path = path / safe_filename(part)
    path.mkdir(parents=True, exist_ok=True)
    return path


def max_upload_mb() -> int:
    return int(st.get_option("server.maxUploadSize"))


def upload_note() -> str:
    return (f"Uploads are limited to {max_upload_mb()} MB per file and stay private to this browser session. "
            + limits.workspace_note())


def save_upload(uploaded, kind: str = "uploads") -> Path:
    """Store a ``st.file_uploader`` file in this session's work folder; returns its path (same name -> same file)."""
    if uploaded is None:
        raise InputError("no file uploaded")
    size = getattr(uploaded, "size", None)
    if size is not None and size > max_upload_mb() * 1024 * 1024:
        raise InputError(f"{uploaded.name} is {size / 2**20:.0f} MB; the limit is {max_upload_mb()} MB")
    if size == 0:
        raise InputError(f"{uploaded.name} is empty")
    limits.check_workspace(size or 0)  # the work folder's quota, for every session together
    path = work_dir(kind) / safe_filename(uploaded.name)
    data = uploaded.getvalue()
    if not path.exists() or path.stat().st_size != len(data) or path.read_bytes() != data:
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    from app_support import user_names

    user_names.remember(path, uploaded.name)  # messages call it by the name it was uploaded as
    return path


def get(key: str, default=None):
    return st.session_state.get(key, default)


def put(key: str, value) -> None:
    st.session_state[key] = value
