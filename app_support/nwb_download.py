"""NWB downloads for the Batch and Curves pages: results files -> the bytes of one NWB file (mgs_core.io.nwb)."""
from __future__ import annotations

from pathlib import Path

from app_support import state
from mgs_core.errors import MGSError


def nwb_bytes(files: list[Path], name: str = "mgs_scores.nwb") -> tuple[bytes | None, str]:
    """(bytes of an NWB file made from ``files``, "") or (None, the error); reused while the files are unchanged."""
    from mgs_core.io.nwb import export_nwb

    files = [Path(f) for f in files]
    try:
        key = ("nwb", tuple((str(f), f.stat().st_mtime_ns) for f in files))
    except OSError as exc:
        return None, f"a results file is gone ({exc.filename})"
    cache = state.get("nwb_download_cache", {})
    if key in cache:
        return cache[key], ""
    try:
        path = export_nwb(files, state.work_dir("nwb") / name).path
    except MGSError as exc:
        return None, str(exc)
    data = path.read_bytes()
    state.put("nwb_download_cache", {key: data})  # only the latest, to keep the session small
    return data, ""


def download_button(container, files: list[Path], key: str, name: str = "mgs_scores.nwb") -> None:
    """An NWB download button for ``files`` (or a caption saying why there is none)."""
    data, err = nwb_bytes(files, name)
    if data is None:
        from app_support import user_names

        container.caption(f"NWB not available: {user_names.clean(err)}")
        return
    container.download_button("NWB", data, file_name=name, mime="application/x-hdf5", key=key, on_click="ignore",
                              help="Per-animal score, eye position and status as NWB TimeSeries (processing/behavior), "
                                   "with the models, code version and ROIs in the file's notes.")
