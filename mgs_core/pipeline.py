"""Frame -> per-ROI results: crop every ROI, one runner call, map eye centres back to frame pixels. No drawing.

Detail crops: when every ROI of the set is at least k x 256 frame pixels on its longer side and the runner takes
k x 256 crops (``RunnerInfo.max_detail``), the ROIs are cropped at k x 256 (k <= ``max_detail``, default
:data:`DEFAULT_DETAIL`), so the runner cuts its closer looks and the eye patch from the ROI's own pixels (its first
look is at 256 px either way; :class:`mgs_core.runners.base.Runner`). ``detail=1`` switches this off.
"""
from __future__ import annotations

import time

import numpy as np

from mgs_core.errors import MGSError, ServerError
from mgs_core.geometry import crop_rois, crop_transform
from mgs_core.io.rois import validate_rois
from mgs_core.runners.base import Runner
from mgs_core.types import UNSCORED_SERVER, FrameResult, RoiResult, RoiSet


def unscored(roiset: RoiSet, status: str = UNSCORED_SERVER) -> tuple[RoiResult, ...]:
    """Every ROI of the set with no eye and no score (a frame that could not be scored), marked with ``status``."""
    return tuple(RoiResult(r.id, r.animal, r.group, False, None, None, None, 0.0, status) for r in roiset)


DEFAULT_DETAIL = 2


def detail_for(roiset: RoiSet, roi_size: int, max_detail: int) -> int:
    """The largest k <= max_detail with every ROI's longer side >= k x roi_size frame pixels (at least 1)."""
    sides = [max(r.w, r.h) for r in roiset]
    if not sides or max_detail <= 1:
        return 1
    return int(max(1, min(max_detail, min(sides) // roi_size)))


class Pipeline:
    """``Pipeline(runner).process(frame, roiset, frame_index, time_s) -> FrameResult`` (frame coordinates)."""

    def __init__(self, runner: Runner, roi_size: int = 256, max_detail: int = DEFAULT_DETAIL):
        self.runner = runner
        self.roi_size = roi_size
        self.max_detail = max(1, int(max_detail))  # further capped by the runner's own (asked once, when needed)
        self._runner_detail: int | None = None
        self._checked: tuple | None = None  # (id(roiset), width, height) validated last
        self._detail: tuple | None = None  # (roiset, crop side) for the ROI set seen last

    def crop_size(self, roiset: RoiSet) -> int:
        """Side of the crops this pipeline gives the runner for ``roiset`` (roi_size, or a detail crop's side)."""
        if self._detail is None or self._detail[0] is not roiset:
            if self._runner_detail is None and self.max_detail > 1:
                try:
                    self._runner_detail = int(getattr(self.runner.info(), "max_detail", 1) or 1)
                except MGSError:  # a remote runner whose server is down: plain crops; the call itself reports it
                    return self.roi_size
            k = detail_for(roiset, self.roi_size, min(self.max_detail, self._runner_detail or 1))
            self._detail = (roiset, self.roi_size * k)
        return self._detail[1]

    def crops(self, frame: np.ndarray, roiset: RoiSet) -> np.ndarray:
        """The ROI crops of one frame; refuses (RoiError naming the ROI) a ROI set made for another frame size."""
        if frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f"expected an H x W x 3 RGB frame, got shape {frame.shape}")
        h, w = frame.shape[:2]
        key = (id(roiset), w, h)
        if self._checked != key:
            validate_rois(roiset, w, h)
            self._checked = key
        return crop_rois(frame, roiset, self.crop_size(roiset))

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
                t = crop_transform(roi, self.crop_size(roiset))
                ex, ey = t.to_frame(res.eye_x, res.eye_y)
                length = None if res.eye_length is None else float(res.eye_length) / t.scale
                out.append(RoiResult(roi.id, roi.animal, roi.group, bool(res.eye_visible), float(ex), float(ey),
                                     None if res.score is None else float(res.score), float(res.confidence),
                                     status, length, float(res.scorability)))
            else:
                out.append(RoiResult(roi.id, roi.animal, roi.group, False, None, None, None, float(res.confidence),
                                     status, None, float(res.scorability)))
        return FrameResult(frame_index, float(time_s), tuple(out), (time.perf_counter() - t0) * 1e3)
