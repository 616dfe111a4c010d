"""Small scoring jobs run from a page (the Home demo): frames -> mgs_core Pipeline -> results table."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from app_support import media
from mgs_core.io.results import frames_to_table
from mgs_core.io.rois import full_frame_rois, load_rois
from mgs_core.pipeline import Pipeline


def roiset_for(video: Path, roi_file: Path | None = None):
    """The ROI file given, else NAME.rois.json beside the video, else the whole frame as one ROI."""
    roi_file = roi_file or video.with_name(video.stem + ".rois.json")
    if roi_file.is_file():
        return load_rois(roi_file)
    info = media.info(video)
    return full_frame_rois(info.width, info.height)


def quick_score(video: Path, runner, seconds: float = 2.0, stride: int = 3, roi_file: Path | None = None,
                progress=None) -> pd.DataFrame:
    """Score every ``stride``-th frame of the first ``seconds`` of ``video``; returns the standard results table."""
    video = Path(video)
    roiset = roiset_for(video, roi_file)
    info = media.info(video)
    total = max(1, int(min(info.n_frames, seconds * (info.fps or 30)) // max(1, stride)))
    pipe, frames = Pipeline(runner), []
    for i, t, rgb in media.iter_frames(video, seconds=seconds, stride=stride):
        frames.append(pipe.process(rgb, roiset, i, t))
        if progress:
            progress(len(frames), total)
    return frames_to_table(frames)
