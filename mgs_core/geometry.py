"""ROI crop geometry: frame <-> square ROI crop, shared by the renderer's datasets, training and inference.

An ROI of w x h frame pixels is scaled so its longer side becomes ``size`` and centred in a ``size`` x ``size``
square (letterbox); the margin is filled by replicating the ROI's own border pixels, so neighbouring boxes never leak
into a crop. The same function makes the training crops and the inference crops, so both see identical geometry.
Pixel centres are at integer coordinates (OpenCV's convention).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mgs_core.errors import RoiError
from mgs_core.types import Roi


@dataclass(frozen=True)
class CropTransform:
    """Affine map between frame pixels and crop pixels for one ROI."""

    x0: int
    y0: int
    scale: float  # crop pixels per frame pixel
    off_x: float  # letterbox offset in crop pixels
    off_y: float
    size: int

    def to_crop(self, x: float, y: float) -> tuple[float, float]:
        return (self.scale * (x - self.x0 + 0.5) - 0.5 + self.off_x, self.scale * (y - self.y0 + 0.5) - 0.5 + self.off_y)

    def to_frame(self, u: float, v: float) -> tuple[float, float]:
        return ((u + 0.5 - self.off_x) / self.scale - 0.5 + self.x0, (v + 0.5 - self.off_y) / self.scale - 0.5 + self.y0)

    def matrix(self) -> np.ndarray:
        """2x3 affine matrix mapping ROI-local pixels (x - x0, y - y0) to crop pixels."""
        s = self.scale
        return np.array([[s, 0.0, 0.5 * s - 0.5 + self.off_x], [0.0, s, 0.5 * s - 0.5 + self.off_y]], np.float64)


def crop_transform(roi: Roi, size: int) -> CropTransform:
    if roi.w <= 0 or roi.h <= 0:
        raise RoiError(f"ROI {roi.id!r} has zero or negative size ({roi.w}x{roi.h})")
    scale = size / max(roi.w, roi.h)
    return CropTransform(roi.x, roi.y, scale, (size - scale * roi.w) / 2.0, (size - scale * roi.h) / 2.0, size)


def check_roi_in_frame(roi: Roi, width: int, height: int) -> None:
    """Raise RoiError naming the ROI when it is empty or not fully inside a width x height frame."""
    if roi.w <= 0 or roi.h <= 0:
        raise RoiError(f"ROI {roi.id!r} has zero or negative size ({roi.w}x{roi.h})")
    if roi.x < 0 or roi.y < 0 or roi.x + roi.w > width or roi.y + roi.h > height:
        raise RoiError(
            f"ROI {roi.id!r} ({roi.x},{roi.y},{roi.w}x{roi.h}) lies outside the {width}x{height} frame"
        )


def crop_roi(frame: np.ndarray, roi: Roi, size: int, interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
    """Square ``size`` x ``size`` crop of ``roi`` from ``frame`` (H x W x C), letterboxed, border-replicated."""
    h, w = frame.shape[:2]
    check_roi_in_frame(roi, w, h)
    t = crop_transform(roi, size)
    sub = frame[roi.y : roi.y + roi.h, roi.x : roi.x + roi.w]
    k = int(1.0 / t.scale) if t.scale < 0.5 else 1
    if k > 1:
        # Strong downscaling: exact k x k box filter first (anti-aliasing), then the residual warp (scale in (0.5, 1]).
        hh, ww = (roi.h // k) * k, (roi.w // k) * k
        sub = cv2.resize(sub[:hh, :ww], (ww // k, hh // k), interpolation=cv2.INTER_AREA)
    s, m = t.scale * k, t.matrix()
    m[0, 0] = m[1, 1] = s
    m[0, 2] = 0.5 * s - 0.5 + t.off_x
    m[1, 2] = 0.5 * s - 0.5 + t.off_y
    return cv2.warpAffine(sub, m, (size, size), flags=interpolation, borderMode=cv2.BORDER_REPLICATE)


def crop_rois(frame: np.ndarray, rois, size: int) -> np.ndarray:
    """Crops of all ROIs as one (N, size, size, C) uint8 array."""
    rois = list(rois)
    if not rois:
        return np.zeros((0, size, size, frame.shape[2] if frame.ndim == 3 else 1), frame.dtype)
    return np.stack([crop_roi(frame, r, size) for r in rois])
