"""Still frames for the pages (ROI drawing, previews): video/image metadata and the frame at an index.

Everything is read through :mod:`mgs_core.io.video` (``read_frame`` decodes exactly to the index: seeking to key
frames gave corrupt pictures on some real H.264 files). Results are cached per file path + modification time, so
returning to a frame on the slider is instant.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st

from mgs_core.errors import InputError, VideoError
from mgs_core.io.video import open_video, probe_video, read_frame


@dataclass(frozen=True)
class MediaInfo:
    width: int
    height: int
    n_frames: int
    fps: float
    is_image: bool


@st.cache_data(max_entries=16, show_spinner=False)
def _info(path: str, mtime: float) -> MediaInfo:
    v = probe_video(path)
    return MediaInfo(v.width, v.height, max(int(v.n_frames), 1), float(v.fps), bool(v.is_image))


@st.cache_data(max_entries=32, show_spinner=False)
def _frame(path: str, mtime: float, index: int) -> np.ndarray:
    return read_frame(path, index)


def info(path: Path) -> MediaInfo:
    """Size, frame count and fps; raises VideoError/InputError for a missing, corrupt or non-video file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path.name} does not exist")
    return _info(str(path), path.stat().st_mtime)


def frame_at(path: Path, index: int) -> np.ndarray:
    path = Path(path)
    frame = _frame(str(path), path.stat().st_mtime, int(index))
    if frame is None:
        raise VideoError(f"{path.name}: frame {index} could not be decoded")
    return frame


def iter_frames(path: Path, seconds: float | None = None, stride: int = 1):
    """(frame_index, time_s, rgb) for every ``stride``-th frame of the first ``seconds`` (all when None)."""
    with open_video(path, stride=stride) as src:
        for vf in src:
            if seconds is not None and vf.time_s >= seconds:
                break
            yield vf.index, vf.time_s, vf.image
