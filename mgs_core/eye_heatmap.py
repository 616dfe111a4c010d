"""Eye keypoint: heatmap targets for training and peak decoding for inference (pure numpy/cv2, no torch).

The U-Net's keypoint head (``UNet(keypoint=True)``) predicts, at its input resolution S, an eye-centre heatmap
(logit) and a map of log2(eye length in 256-px crop pixels). Training targets (:func:`heatmap_target`) are a Gaussian
at the true eye centre whose spread grows with the eye (``sigma = clip(SIGMA_FRAC * length_S, SIGMA_MIN, SIGMA_MAX)``
in map pixels), equal to exactly 1 at the nearest map pixel (CenterNet's penalty-reduced focal loss needs that peak)
and 0 everywhere when no eye is visible. So the heatmap's peak value is the localiser's confidence that an eye is
there: a shut eye keeps its peak (the head defines where it is), a turned-away head has none.

Decoding (:func:`decode_peak`): the arg-max of the heatmap, refined to sub-pixel precision by the probability-weighted
centroid of a (2r+1)^2 window around it (r from the predicted eye size), mapped to crop pixels with the same
convention as :func:`mgs_core.eyes.seg_to_crop` (pixel centres at integers).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mgs_core.eyes import seg_to_crop

SIGMA_FRAC = 0.15  # heatmap sigma as a fraction of the eye length (map pixels)
SIGMA_MIN = 1.0
SIGMA_MAX = 6.0
DEFAULT_LENGTH_CROP = 20.0  # eye length assumed for the target spread when a label has none (clicks-only data)


@dataclass(frozen=True)
class EyePeak:
    """The decoded eye keypoint of one crop (crop pixels)."""

    x: float
    y: float
    confidence: float  # heatmap probability at the peak (0-1)
    length: float  # predicted eye length, crop pixels


def sigma_for(length_map_px: float) -> float:
    return float(np.clip(SIGMA_FRAC * length_map_px, SIGMA_MIN, SIGMA_MAX))


def heatmap_target(size: int, x: float | None, y: float | None, length_map_px: float | None) -> np.ndarray:
    """(size, size) float32 target for an eye centred at map pixel (x, y); zeros when ``x`` is None (no eye)."""
    out = np.zeros((size, size), np.float32)
    if x is None or y is None or not (np.isfinite(x) and np.isfinite(y)):
        return out
    length = length_map_px if length_map_px and np.isfinite(length_map_px) else DEFAULT_LENGTH_CROP * size / 256.0
    s = sigma_for(length)
    r = int(np.ceil(3 * s))
    cx, cy = int(round(x)), int(round(y))
    x0, x1, y0, y1 = max(0, cx - r), min(size, cx + r + 1), max(0, cy - r), min(size, cy + r + 1)
    if x0 >= x1 or y0 >= y1:
        return out  # the eye lies outside the map (e.g. shifted out by augmentation)
    xs = np.arange(x0, x1, dtype=np.float32) - np.float32(x)
    ys = np.arange(y0, y1, dtype=np.float32) - np.float32(y)
    g = np.exp(-(ys[:, None] ** 2 + xs[None, :] ** 2) / np.float32(2 * s * s))
    out[y0:y1, x0:x1] = g
    if 0 <= cx < size and 0 <= cy < size:
        out[cy, cx] = 1.0
    return out


def decode_peak(heat_prob: np.ndarray, log2_length: np.ndarray, crop_size: int = 256) -> EyePeak:
    """The eye keypoint of one crop from its (S, S) heatmap probability and log2-length maps."""
    s = heat_prob.shape[0]
    idx = int(np.argmax(heat_prob))
    py, px = divmod(idx, heat_prob.shape[1])
    conf = float(heat_prob[py, px])
    length = float(np.clip(2.0 ** float(log2_length[py, px]), 1.0, 4.0 * crop_size))
    r = int(np.clip(round(sigma_for(length * s / crop_size)), 1, 4))
    y0, y1, x0, x1 = max(0, py - r), min(s, py + r + 1), max(0, px - r), min(heat_prob.shape[1], px + r + 1)
    w = heat_prob[y0:y1, x0:x1].astype(np.float64)
    w = np.clip(w - 0.5 * conf, 0.0, None)  # the upper half of the peak only: robust to a neighbouring blob
    total = w.sum()
    if total > 0:
        gy, gx = np.mgrid[y0:y1, x0:x1]
        u, v = float((gx * w).sum() / total), float((gy * w).sum() / total)
    else:
        u, v = float(px), float(py)
    return EyePeak(seg_to_crop(u, heat_prob.shape[1], crop_size), seg_to_crop(v, s, crop_size), conf, length)
