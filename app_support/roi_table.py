"""The ROI page's editable table: one per video, kept in session state, converted to/from a validated RoiSet."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from mgs_core.errors import RoiError
from mgs_core.io.rois import load_rois, rois_from_dict, same_rois
from mgs_core.types import RoiSet

COLUMNS = ["id", "animal", "group", "x", "y", "w", "h"]
COLUMN_CONFIG = {
    "id": st.column_config.TextColumn("ROI id", help="Unique name of the box", required=True),
    "animal": st.column_config.TextColumn("animal", help="The mouse's id"),
    "group": st.column_config.TextColumn("group", help="Treatment group, e.g. saline / drug"),
    "x": st.column_config.NumberColumn("x", min_value=0, step=1, format="%d"),
    "y": st.column_config.NumberColumn("y", min_value=0, step=1, format="%d"),
    "w": st.column_config.NumberColumn("width", min_value=1, step=1, format="%d"),
    "h": st.column_config.NumberColumn("height", min_value=1, step=1, format="%d"),
}


def _key(video: Path) -> str:
    return f"roi_table::{video}"


def empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object" if c in ("id", "animal", "group") else "Int64") for c in COLUMNS})


def from_roiset(roiset: RoiSet) -> pd.DataFrame:
    df = pd.DataFrame([{"id": r.id, "animal": r.animal, "group": r.group, "x": r.x, "y": r.y, "w": r.w, "h": r.h}
                       for r in roiset], columns=COLUMNS)
    return df.astype({c: "Int64" for c in "xywh"}) if len(df) else empty()


def current(video: Path, width: int, height: int) -> pd.DataFrame:
    """The table for ``video``: what the user edited, else the ROI file beside the video (NAME.rois.json), else empty."""
    key = _key(video)
    if key not in st.session_state:
        df = empty()
        for cand in (scoring_file(video), video.with_name(video.stem + ".rois.json")):
            if cand and cand.is_file():
                try:
                    rs = load_rois(cand)
                    if (rs.frame_width, rs.frame_height) == (width, height):
                        df = from_roiset(rs)
                        break
                except RoiError:
                    pass
        st.session_state[key] = df
    return st.session_state[key]


def version(video: Path) -> int:
    return st.session_state.get(f"{_key(video)}::v", 0)


def replace(video: Path, df: pd.DataFrame, proposed: bool = False) -> None:
    """Replace the table programmatically (new editor widget so its old edits do not re-apply); ``proposed`` marks
    it as an untouched automatic proposal (replacing it later needs no confirmation)."""
    st.session_state[_key(video)] = df.reset_index(drop=True)
    st.session_state[f"{_key(video)}::v"] = version(video) + 1
    st.session_state[f"{_key(video)}::proposed"] = df.reset_index(drop=True).copy() if proposed else None
    st.session_state.pop(f"{_key(video)}::pending", None)


def _rows(df: pd.DataFrame) -> list[tuple]:
    """The table's non-blank rows as plain tuples (for comparing tables whatever their dtypes)."""
    out = []
    for row in df.to_dict("records"):
        values = tuple("" if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else str(v)
                       for v in (row.get(c) for c in COLUMNS))
        if any(values):
            out.append(values)
    return out


def needs_confirmation(df: pd.DataFrame, last_proposal: pd.DataFrame | None) -> bool:
    """True when replacing ``df`` would lose the user's work: it has rows (names, groups, drawn or loaded boxes)
    and is not an untouched automatic proposal (pure)."""
    rows = _rows(df)
    if not rows:
        return False
    return last_proposal is None or rows != _rows(last_proposal)


def ask_before_proposing(video: Path, df: pd.DataFrame) -> bool:
    return needs_confirmation(df, st.session_state.get(f"{_key(video)}::proposed"))


def hold_proposal(video: Path, proposal: RoiSet | None) -> None:
    """Keep a proposal waiting for the user's choice (merge / replace / cancel); None drops it."""
    if proposal is None:
        st.session_state.pop(f"{_key(video)}::pending", None)
    else:
        st.session_state[f"{_key(video)}::pending"] = proposal


def held_proposal(video: Path) -> RoiSet | None:
    return st.session_state.get(f"{_key(video)}::pending")


def remember(video: Path, df: pd.DataFrame) -> None:
    """Keep the user's edits (the data editor's output) across reruns and page switches."""
    st.session_state[_key(video)] = df


def _next_id(df: pd.DataFrame) -> str:
    taken = set(df["id"].astype(str)) if len(df) else set()
    i = len(df) + 1
    while f"box{i}" in taken:
        i += 1
    return f"box{i}"


def add_box(df: pd.DataFrame, box) -> pd.DataFrame:
    rid = _next_id(df)
    row = pd.DataFrame([{"id": rid, "animal": f"mouse{len(df) + 1}", "group": "", "x": box[0], "y": box[1],
                         "w": box[2], "h": box[3]}], columns=COLUMNS).astype({c: "Int64" for c in "xywh"})
    return pd.concat([df, row], ignore_index=True) if len(df) else row


def move_box(df: pd.DataFrame, rid: str, box) -> pd.DataFrame:
    df = df.copy()
    mask = df["id"].astype(str) == str(rid)
    for col, value in zip("xywh", box):
        df.loc[mask, col] = value
    return df


def to_roiset(df: pd.DataFrame, width: int, height: int) -> RoiSet:
    """Validate the table as an ROI set for a width x height frame; RoiError names the row/ROI at fault."""
    items = []
    for i, row in enumerate(df.to_dict("records")):
        values = [row.get(c) for c in COLUMNS]
        if all(v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v == "" for v in values):
            continue  # a blank row just added with the table's "+"
        rid = "" if row.get("id") is None or row.get("id") is pd.NA else str(row["id"]).strip()
        label = f"ROI {rid!r}" if rid else f"ROI table row {i + 1}"
        box = {}
        for c in "xywh":
            v = row.get(c)
            if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
                raise RoiError(f"{label}: {c} is empty")
            box[c] = int(v)
        animal = row.get("animal")
        group = row.get("group")
        items.append({"id": rid, "animal": "" if animal is None or animal is pd.NA else str(animal),
                      "group": "" if group is None or group is pd.NA else str(group), **box})
    return rois_from_dict({"frame_width": width, "frame_height": height, "rois": items}, source="ROI table")


def use_for_scoring(video: Path, roi_file: Path) -> None:
    """Score ``video`` with ``roi_file`` in this session, and keep a copy of the set in the workspace (its ROI sets
    outlive the session); a workspace that cannot store it says so."""
    from app_support import workspace
    from mgs_core.errors import MGSError
    from mgs_core.io.rois import load_rois

    st.session_state.setdefault("roi_files", {})[str(video)] = str(roi_file)
    try:
        workspace.store_rois(load_rois(roi_file), f"{Path(video).stem}.rois.json", video=Path(video).name)
    except MGSError as exc:
        st.warning(f"The ROI set is used in this session but was not kept in the workspace: {exc}")


def saved_state(roiset: RoiSet | None, saved: RoiSet | None) -> str:
    """"saved" when the table is what the scoring file holds, "unsaved" when it differs, "none" without a file
    (pure; ``saved`` = the scoring file's ROI set or None)."""
    if saved is None:
        return "none"
    return "saved" if roiset is not None and same_rois(roiset, saved) else "unsaved"


def scoring_rois(video: Path, width: int, height: int) -> tuple[RoiSet | None, str | None]:
    """(the ROI set scoring would use for ``video``, None) or (None, why that file cannot be used)."""
    path = scoring_file(video)
    if path is None:
        return None, None
    from app_support import user_names

    try:
        return load_rois(path, frame_size=(width, height), name=user_names.shown(path)), None
    except RoiError as exc:
        return None, str(exc)


def scoring_file(video: Path) -> Path | None:
    """The ROI file this session scores ``video`` with: saved on the ROI page, else NAME.rois.json beside it."""
    saved = st.session_state.get("roi_files", {}).get(str(video))
    if saved and Path(saved).is_file():
        return Path(saved)
    beside = video.with_name(video.stem + ".rois.json")
    return beside if beside.is_file() else None
