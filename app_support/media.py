"""Still frames for the pages (ROI drawing, previews): video/image metadata and the frame at an index.

Videos are decoded with PyAV (seek to the nearest key frame, then decode forward to the index); images are read
with OpenCV and converted to RGB. Whole-video scoring goes through mgs_core, not through this module.
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
    p = Path(path)
    if p.suffix.lower() in IMAGE_EXTS:
        img = _read_image(p)
        return MediaInfo(img.shape[1], img.shape[0], 1, 0.0, True)
    with _open(p) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or stream.guessed_rate or 0.0)
        n = int(stream.frames or 0)
        if n <= 0 and stream.duration and stream.time_base:
            n = int(float(stream.duration * stream.time_base) * fps)
        if n <= 0 and container.duration:
            n = int(container.duration / 1e6 * fps)
        first = next(container.decode(video=0), None)
        if first is None:
            raise VideoError(f"{p.name}: no decodable video frame")
        return MediaInfo(int(first.width), int(first.height), max(n, 1), fps, False)


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
    path = Path(path)
    if path.suffix.lower() in IMAGE_EXTS:
        yield 0, 0.0, _read_image(path)
        return
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            for i, frame in enumerate(container.decode(stream)):
                t = float(frame.pts * stream.time_base) if frame.pts is not None and stream.time_base else 0.0
                if seconds is not None and t >= seconds:
                    break
                if i % max(1, stride) == 0:
                    yield i, t, frame.to_ndarray(format="rgb24")
        except av.error.FFmpegError as exc:
            raise VideoError(f"{path.name}: decoding stopped ({exc})") from None
