"""Silent-failure check of a scored run: the whole frame as one ROI, and no eye found in most frames.

Without an ROI file a video is scored as one ROI covering the whole frame (``full_frame_rois``). On a rack of
boxes, or any frame where the mouse is small, the networks then find no eye at all: the table is full of
``eye_visible`` 0 rows and every figure downstream is empty, which looks like a finished run. The rule here turns
that into one plain warning that names the video and says what to do; the Batch page and ``mgs score`` both use it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mgs_core.types import UNSCORED_DECODE, UNSCORED_SERVER

MOST = 0.5  # "most frames": more than half of the judged frames have no visible eye


@dataclass(frozen=True)
class EyeCoverage:
    """How many judged frames (machinery failures left out) had a visible eye in at least one ROI."""

    frames: int
    frames_with_eye: int

    @property
    def fraction_without_eye(self) -> float:
        return 1.0 - self.frames_with_eye / self.frames if self.frames else 0.0


def eye_coverage(df: pd.DataFrame) -> EyeCoverage:
    """Frames of a results table (``load_scores``) judged by the networks, and those with a visible eye."""
    if df.empty:
        return EyeCoverage(0, 0)
    judged = df
    if "status" in df.columns:
        judged = df[~df["status"].isin([UNSCORED_SERVER, UNSCORED_DECODE])]
    if judged.empty:
        return EyeCoverage(0, 0)
    seen = judged.groupby("frame")["eye_visible"].max()
    return EyeCoverage(int(len(seen)), int(np.count_nonzero(seen.to_numpy() > 0)))


def whole_frame_warning(df: pd.DataFrame, whole_frame: bool, name: str, most: float = MOST) -> str | None:
    """The warning for a run scored with the whole frame as one ROI where no eye was found in most frames, else
    None (a run with an ROI file, or one where eyes were found, gets no warning)."""
    if not whole_frame:
        return None
    cov = eye_coverage(df)
    if cov.frames == 0 or cov.fraction_without_eye <= most:
        return None
    missing = cov.frames - cov.frames_with_eye
    return (f"{name} was scored with the whole frame as one ROI (no ROI file was given), and no eye was found in "
            f"{missing} of {cov.frames} frames ({cov.fraction_without_eye:.0%}). The networks need one ROI around "
            "each box or mouse: draw them on the Regions of interest page (CLI: `mgs rois propose`, then "
            "`mgs score --rois FILE`) and score again.")


def run_warning(csv_path: str | Path, name: str | None = None, table: pd.DataFrame | None = None) -> str | None:
    """:func:`whole_frame_warning` for a published run: its table and the provenance JSON beside it (whether the
    whole frame was the ROI). None when the run was scored with an ROI file or its provenance cannot be read.
    ``table``: the run's results when the caller has already read them (else they are read from ``csv_path``)."""
    from mgs_core.io.results import load_scores

    csv_path = Path(csv_path)
    try:
        prov = json.loads(csv_path.with_suffix(".json").read_text())
        whole = bool(prov.get("rois", {}).get("whole_frame"))
        shown = name or prov.get("input", {}).get("name") or csv_path.stem
    except (OSError, ValueError, AttributeError):
        return None
    if not whole:
        return None
    return whole_frame_warning(load_scores(csv_path) if table is None else table, True, shown)
