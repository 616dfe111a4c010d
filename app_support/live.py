"""Live scoring plumbing: a thread-safe scorer that streamlit-webrtc's frame callback feeds.

The callback runs on streamlit-webrtc's worker thread and must not touch ``st.*``: it runs the mgs_core pipeline on
the newest frame (streamlit-webrtc's async processing hands it only the latest frame, so stale frames are dropped
rather than queued), draws the overlay, and puts the typed :class:`FrameResult` on a bounded queue. The page loop
drains that queue into tiles and the chart and saves the series into the session's work folder.
"""
from __future__ import annotations

import queue
import threading
import time
from collections import deque
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from mgs_core.draw import draw_results
from mgs_core.io.results import frames_to_table, save_scores
from mgs_core.io.rois import full_frame_rois
from mgs_core.pipeline import Pipeline
from mgs_core.types import FrameResult, RoiSet


class LiveScorer:
    """Scores frames pushed by a video callback; everything shared with the callback thread is locked or a queue."""

    def __init__(self, runner, roiset: RoiSet | None = None, max_queue: int = 64, display_width: int = 960):
        self.runner = runner
        self.display_width = display_width  # the frame sent back to the browser is at most this wide (cheaper VP8)
        self.roiset = roiset  # None: the whole frame is one ROI (made from the first frame's size)
        self._pipeline = Pipeline(runner)
        self.results: queue.Queue = queue.Queue(maxsize=max_queue)
        self.paused = threading.Event()
        self._lock = threading.Lock()
        self._times: deque = deque(maxlen=60)
        self._t0: float | None = None
        self._index = 0
        self.dropped = 0
        self.error: str | None = None
        self.latest_frame: np.ndarray | None = None

    def roiset_for(self, frame: np.ndarray) -> RoiSet:
        h, w = frame.shape[:2]
        rs = self.roiset
        if rs is None or (rs.frame_width, rs.frame_height) != (w, h):
            rs = full_frame_rois(w, h)
        return rs

    def process(self, rgb: np.ndarray) -> np.ndarray:
        """Score one RGB frame (callback thread); returns the frame with ROI boxes, eye markers and scores drawn."""
        now = time.monotonic()
        with self._lock:
            if self._t0 is None:
                self._t0 = now
            index, t = self._index, now - self._t0
            self._index += 1
        rs = self.roiset_for(rgb)
        if self.paused.is_set():
            return self._for_display(rgb)
        try:
            result = self._pipeline.process(rgb, rs, index, t)
        except Exception as exc:  # noqa: BLE001 - reported in the page; the stream keeps running
            with self._lock:
                self.error = f"{type(exc).__name__}: {exc}"
            return self._for_display(rgb)
        with self._lock:
            self._times.append(time.monotonic())
            self.latest_frame = rgb
        try:
            self.results.put_nowait(result)
        except queue.Full:  # the page is not draining fast enough: drop the oldest, keep the newest
            try:
                self.results.get_nowait()
                self.dropped += 1
            except queue.Empty:
                pass
            self.results.put_nowait(result)
        return self._for_display(draw_results(rgb, rs, result))

    def _for_display(self, rgb: np.ndarray) -> np.ndarray:
        """Scoring uses the full frame; the picture streamed back is downscaled, as WebRTC's software encoder would
        otherwise spend more time on a 1080p frame than the networks do."""
        h, w = rgb.shape[:2]
        if w <= self.display_width:
            return rgb
        return cv2.resize(rgb, (self.display_width, round(h * self.display_width / w)), interpolation=cv2.INTER_AREA)

    def callback(self, frame):
        """streamlit-webrtc ``video_frame_callback``: av.VideoFrame in, annotated av.VideoFrame out."""
        import av

        out = self.process(frame.to_ndarray(format="rgb24"))
        new = av.VideoFrame.from_ndarray(np.ascontiguousarray(out), format="rgb24")
        new.pts, new.time_base = frame.pts, frame.time_base
        return new

    def drain(self) -> list[FrameResult]:
        out = []
        while True:
            try:
                out.append(self.results.get_nowait())
            except queue.Empty:
                return out

    def fps(self) -> float:
        """Frames scored per second over the last couple of seconds."""
        with self._lock:
            times = list(self._times)
        if len(times) < 2:
            return 0.0
        return (len(times) - 1) / max(1e-6, times[-1] - times[0])

    def snapshot(self) -> np.ndarray | None:
        with self._lock:
            return self.latest_frame


class LiveSeries:
    """The scored series of one live run (kept in session state), saved as CSV + Parquet in the work folder."""

    def __init__(self, out_stem: Path, max_rows: int = 200_000):
        self.out_stem = Path(out_stem)
        self.frames: list[FrameResult] = []
        self.max_rows = max_rows
        self._saved_n = 0
        self._saved_at = float("-inf")

    def extend(self, frames: list[FrameResult]) -> None:
        self.frames.extend(frames)
        if len(self.frames) > self.max_rows:
            del self.frames[: len(self.frames) - self.max_rows]

    def table(self, last: int | None = None) -> pd.DataFrame:
        """The scored rows (of the ``last`` frames only, when given: the live chart needs just the recent ones)."""
        return frames_to_table(self.frames if last is None else self.frames[-last:])

    def save(self, force: bool = False, min_interval_s: float = 5.0) -> Path | None:
        """Write CSV + Parquet of the whole series; at most every ``min_interval_s`` unless ``force`` (at STOP)."""
        if not self.frames or (not force and len(self.frames) == self._saved_n):
            return None
        now = time.monotonic()
        if not force and now - self._saved_at < min_interval_s:
            return None
        csv, _ = save_scores(self.table(), self.out_stem)
        self._saved_n, self._saved_at = len(self.frames), now
        return csv
