"""Frame -> per-ROI results: crop every ROI, one runner call, map eye centres back to frame pixels. No drawing."""
from __future__ import annotations

import time

import numpy as np

from mgs_core.errors import ServerError
from mgs_core.geometry import crop_rois, crop_transform
from mgs_core.io.rois import validate_rois
from mgs_core.runners.base import Runner
from mgs_core.types import UNSCORED_SERVER, FrameResult, RoiResult, RoiSet


def unscored(roiset: RoiSet, status: str = UNSCORED_SERVER) -> tuple[RoiResult, ...]:
    """Every ROI of the set with no eye and no score (a frame that could not be scored), marked with ``status``."""
    return tuple(RoiResult(r.id, r.animal, r.group, False, None, None, None, 0.0, status) for r in roiset)


class Pipeline:
    """``Pipeline(runner).process(frame, roiset, frame_index, time_s) -> FrameResult`` (frame coordinates)."""

    def __init__(self, runner: Runner, roi_size: int = 256):
        self.runner = runner
        self.roi_size = roi_size
        self._checked: tuple | None = None  # (id(roiset), width, height) validated last

    def crops(self, frame: np.ndarray, roiset: RoiSet) -> np.ndarray:
        """The ROI crops of one frame; refuses (RoiError naming the ROI) a ROI set made for another frame size."""
        if frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f"expected an H x W x 3 RGB frame, got shape {frame.shape}")
        h, w = frame.shape[:2]
        key = (id(roiset), w, h)
        if self._checked != key:
            validate_rois(roiset, w, h)
            self._checked = key
        return crop_rois(frame, roiset, self.roi_size)

    def process(self, frame: np.ndarray, roiset: RoiSet, frame_index: int = 0, time_s: float = 0.0) -> FrameResult:
        t0 = time.perf_counter()
        crops = self.crops(frame, roiset)
        try:
            results = self.runner.infer(crops)
        except ServerError as exc:
            return FrameResult(frame_index, float(time_s), unscored(roiset), (time.perf_counter() - t0) * 1e3,
                               error=str(exc))
        if len(results) != len(roiset):
            raise RuntimeError(f"runner returned {len(results)} results for {len(roiset)} crops")
        out = []
        for roi, res in zip(roiset, results):
            status = res.status
            if res.eye_x is not None and res.eye_y is not None:  # a scored eye, or one found but too small
                t = crop_transform(roi, self.roi_size)
                ex, ey = t.to_frame(res.eye_x, res.eye_y)
                length = None if res.eye_length is None else float(res.eye_length) / t.scale
                out.append(RoiResult(roi.id, roi.animal, roi.group, bool(res.eye_visible), float(ex), float(ey),
                                     None if res.score is None else float(res.score), float(res.confidence),
                                     status, length, float(res.scorability)))
            else:
                out.append(RoiResult(roi.id, roi.animal, roi.group, False, None, None, None, float(res.confidence),
                                     status, None, float(res.scorability)))
        return FrameResult(frame_index, float(time_s), tuple(out), (time.perf_counter() - t0) * 1e3)
