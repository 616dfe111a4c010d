"""Key-frame strips: per animal, the frames behind the numbers (lowest, median, highest score, one without an eye),
cut as the networks saw them, with the eye marker and the score drawn in.

:func:`keyframe_strip` reads the picks of :func:`mgs_core.analysis.keyframes.strip_picks` from the video with
:func:`mgs_core.analysis.keyframes.iter_video_frames` (one decoding pass, the same frame numbering as scoring), cuts
each ROI crop with :func:`mgs_core.geometry.crop_roi` and draws it with :func:`mgs_core.draw.draw_keyframe`.
:func:`run_strip` does it for a published run, from its results and the provenance beside them (the video and the
exact ROIs it was scored with).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mgs_core.analysis.keyframes import ROI_SIZE, _eye_in_crop, iter_video_frames, strip_picks
from mgs_core.errors import InputError, VideoError
from mgs_core.types import Roi, RoiSet


@dataclass(frozen=True)
class KeyTile:
    roi: str
    animal: str
    group: str
    pick: str  # "lowest", "median", "highest", "no eye"
    frame: int
    time_s: float
    score: float | None
    status: str
    image: np.ndarray  # RGB uint8, ROI_SIZE x ROI_SIZE, drawn


def keyframe_strip(df: pd.DataFrame, video: str | Path, rois: RoiSet, size: int = ROI_SIZE) -> list[KeyTile]:
    """The drawn key frames of every ROI in ``df`` (ROI order as in ``rois``, picks in STRIP_PICKS order)."""
    from mgs_core.draw import draw_keyframe
    from mgs_core.geometry import crop_roi

    picks = strip_picks(df)
    if picks.empty:
        return []
    by_id = {r.id: r for r in rois}
    missing = sorted(set(picks["roi"].astype(str)) - set(by_id))
    if missing:
        raise InputError(f"the results name ROI(s) {missing} that the run's ROI set does not define")
    images: dict[int, np.ndarray] = {}
    wanted = set(int(f) for f in picks["frame"])
    for fi, img in iter_video_frames(video, wanted):
        images[fi] = img
    if len(images) != len(wanted):
        raise VideoError(f"{Path(video).name} ended before frame {max(wanted - set(images))}: results and video "
                         "do not match")
    tiles = []
    for row in picks.to_dict("records"):
        roi: Roi = by_id[str(row["roi"])]
        crop = crop_roi(images[int(row["frame"])], roi, size)
        visible = bool(row["eye_visible"]) and np.isfinite(row["eye_x"]) and np.isfinite(row["eye_y"])
        uv = None
        if visible or (np.isfinite(row.get("eye_x", np.nan)) and np.isfinite(row.get("eye_y", np.nan))):
            u, v = _eye_in_crop(roi, float(row["eye_x"]), float(row["eye_y"]))
            uv = (u * size / ROI_SIZE, v * size / ROI_SIZE)
        score = float(row["score"]) if visible and np.isfinite(row["score"]) else None
        status = str(row.get("status") or "")
        caption = f"{row['pick']}  t={float(row['time_s']):.1f}s"
        tiles.append(KeyTile(str(row["roi"]), str(row["animal"]), str(row.get("group") or ""), str(row["pick"]),
                             int(row["frame"]), float(row["time_s"]), score, status,
                             draw_keyframe(crop, uv, score, caption, status)))
    order = {r.id: i for i, r in enumerate(rois)}
    return sorted(tiles, key=lambda t: order.get(t.roi, len(order)))


def run_strip(csv_path: str | Path, video: str | Path | None = None) -> list[KeyTile]:
    """:func:`keyframe_strip` of a published run (``<stem>.csv`` with ``<stem>.json`` provenance beside it)."""
    from mgs_core.io.results import load_scores
    from mgs_core.io.rois import rois_from_dict

    csv_path = Path(csv_path)
    try:
        prov = json.loads(csv_path.with_suffix(".json").read_text())
        rois = rois_from_dict(prov["rois"]["content"], source=f"the ROIs recorded for {csv_path.name}")
        video = Path(video or prov["input"]["path"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"the provenance beside {csv_path.name} cannot be read ({exc})") from None
    if not video.is_file():
        raise InputError(f"the video {video.name} of {csv_path.name} is no longer there")
    return keyframe_strip(load_scores(csv_path), video, rois)
