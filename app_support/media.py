"""Still frames for the pages (ROI drawing, previews): video/image metadata and the frame at an index.

Metadata and sequential frames come from :mod:`mgs_core.io.video`; the frame slider needs random access, so
:func:`frame_at` seeks with PyAV to the nearest key frame and decodes forward to the index (images: OpenCV).
Results are cached per file path + modification time, so moving the frame slider stays quick.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np
import streamlit as st

from app_support.paths import IMAGE_EXTS
from mgs_core.errors import InputError, VideoError
from mgs_core.io.video import open_video, probe_video


@dataclass(frozen=True)
class MediaInfo:
    width: int
    height: int
    n_frames: int
    fps: float
    is_image: bool


def _read_image(path: Path) -> np.ndarray:
    data = np.fromfile(str(path), np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if img is None:
        raise InputError(f"{path.name} is not a readable image")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


@st.cache_data(max_entries=16, show_spinner=False)
def _info(path: str, mtime: float) -> MediaInfo:
    v = probe_video(path)
    return MediaInfo(v.width, v.height, max(int(v.n_frames), 1), float(v.fps), bool(v.is_image))


@st.cache_data(max_entries=32, show_spinner=False)
def _frame(path: str, mtime: float, index: int) -> np.ndarray:
    p = Path(path)
    if p.suffix.lower() in IMAGE_EXTS:
        return _read_image(p)
    with _open(p) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or stream.guessed_rate or 30.0)
        target = index / fps
        if index > 0 and stream.time_base:
            container.seek(int(target / float(stream.time_base)), stream=stream, backward=True, any_frame=False)
        last = None
        try:
            for frame in container.decode(stream):
                last = frame
                t = float(frame.pts * stream.time_base) if frame.pts is not None else 0.0
                if t >= target - 0.5 / fps:
                    break
        except av.error.FFmpegError as exc:
            if last is None:
                raise VideoError(f"{p.name}: cannot decode frame {index} ({exc})") from None
        if last is None:
            raise VideoError(f"{p.name}: frame {index} could not be decoded")
        return last.to_ndarray(format="rgb24")


def _open(path: Path):
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise VideoError(f"{path.name} is not a readable video ({exc.__class__.__name__}: {exc})") from None
    if not container.streams.video:
        container.close()
        raise VideoError(f"{path.name} has no video stream")
    return container


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
