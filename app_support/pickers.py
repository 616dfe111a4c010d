"""Shared input widgets: pick a file from the data folder or upload one (saved into the session's work folder)."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_support import paths, state, user_names
from mgs_core.errors import MGSError


def pick_file(label: str, exts: tuple[str, ...], key: str, default: str | None = None,
              upload_types: list[str] | None = None, allow_upload: bool = True) -> Path | None:
    """Radio "data folder / upload" + selectbox or uploader. Returns the chosen file's path or None.

    Errors (a name escaping the data folder, an oversized or empty upload) are shown with st.error.
    """
    sources = ["Data folder", "Upload"] if allow_upload else ["Data folder"]
    src = st.radio(label, sources, key=f"{key}_src", horizontal=True) if allow_upload else "Data folder"
    if src == "Data folder":
        files = paths.list_files(paths.data_dir(), exts)
        if not files:
            st.info(f"No {', '.join(exts)} files in the data folder `{paths.data_dir()}`.")
            return None
        index = files.index(default) if default in files else 0
        rel = st.selectbox(f"File in the data folder ({paths.data_dir().name}/)", files, index=index, key=f"{key}_sel")
        try:
            return paths.safe_join(paths.data_dir(), rel)
        except MGSError as exc:
            user_names.error(str(exc))
            return None
    types = upload_types or [e.lstrip(".") for e in exts]
    up = st.file_uploader(f"Upload ({', '.join(types)})", type=types, key=f"{key}_up", help=state.upload_note())
    st.caption(state.upload_note())
    if up is None:
        return None
    try:
        return state.save_upload(up)
    except MGSError as exc:
        user_names.error(str(exc))
        return None


def pick_many(label: str, exts: tuple[str, ...], key: str, default: list[str] | None = None) -> list[Path]:
    """Several files: a multiselect over the data folder plus a multi-file uploader."""
    files = paths.list_files(paths.data_dir(), exts)
    chosen = st.multiselect(f"{label} from the data folder ({paths.data_dir().name}/)", files,
                            default=[d for d in (default or []) if d in files], key=f"{key}_ms")
    out = []
    for rel in chosen:
        try:
            out.append(paths.safe_join(paths.data_dir(), rel))
        except MGSError as exc:
            user_names.error(str(exc))
    ups = st.file_uploader(f"…or upload {label.lower()}", type=[e.lstrip(".") for e in exts],
                           accept_multiple_files=True, key=f"{key}_up", help=state.upload_note())
    for up in ups or []:
        try:
            out.append(state.save_upload(up))
        except MGSError as exc:
            user_names.error(str(exc))
    return out
