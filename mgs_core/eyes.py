"""Eye selection and eye patches (pure numpy/cv2, no torch).

From a segmentation output at the U-Net's resolution S (class label map + eye-class probability) this module picks
the eye of each ROI crop and cuts the 50 x 50 patch the orbital-tightening regressor scores:

1. connected components of the pixels whose most likely class is "eyes" (8-connectivity);
2. a component is a *plausible* eye when its area (in segmentation pixels, scaled to a 128-px map) lies in
   ``[min_area, max_area_frac * S * S]``, its mean eye probability is at least ``min_prob``, and at least
   ``min_animal_ring`` of the thin ring around it (2 px on a 128-px map) is animal or ear: an eye sits in the head,
   while eye-sized dark things on the floor (droppings, reflections) are surrounded by background;
3. the largest plausible component is the eye (none -> the eye is not visible, nothing is scored), provided the
   animal it sits in (the connected non-background region around it) covers at least ``min_animal_frac`` of the
   map: an eye can only be judged on an animal that fills a good part of its ROI (the renderer's mice cover 10-80%
   of their crops); a whole-frame ROI around a mouse of a few dozen pixels gives "not visible", not a guess;
4. its centre is the eye-probability-weighted centroid of the component, mapped from segmentation pixels to crop
   pixels (pixel centres at integers: ``u_crop = (u_seg + 0.5) * crop/S - 0.5``);
5. the patch is the ``size`` x ``size`` window of the 256-px crop whose centre is the eye centre rounded to the pixel
   grid: top-left ``(round(x) - size // 2, round(y) - size // 2)``, border-replicated where it leaves the crop.

Training code cuts its patches with :func:`cut_patch` too, so training and inference see the same geometry.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

EYE_CLASS = 3  # index of "eyes" in mgs_core.models.unet.CLASSES
ANIMAL_CLASSES = (1, 2)  # "animal", "ears"
MIN_AREA_128 = 3.0  # smallest plausible eye blob, in pixels of a 128 x 128 segmentation map
MAX_AREA_FRAC = 0.08  # largest plausible eye blob, as a fraction of the segmentation map
MIN_PROB = 0.6  # smallest plausible mean eye probability inside the blob (true eyes: >= 0.64 on rendered video)
MIN_ANIMAL_RING = 0.25  # smallest fraction of animal/ear pixels in the ring around the blob
MIN_ANIMAL_FRAC = 0.04  # smallest area of the animal region holding the eye, as a fraction of the map


@dataclass(frozen=True)
class EyeBlob:
    """The chosen eye component of one crop."""

    x: float  # centre, crop pixels
    y: float
    area_px: int  # area at segmentation resolution
    confidence: float  # mean eye probability inside the blob (0-1)


@dataclass(frozen=True)
class EyeRules:
    """Plausibility rules for an eye blob (see module docstring)."""

    min_area_128: float = MIN_AREA_128
    max_area_frac: float = MAX_AREA_FRAC
    min_prob: float = MIN_PROB
    min_animal_ring: float = MIN_ANIMAL_RING
    min_animal_frac: float = MIN_ANIMAL_FRAC


def seg_to_crop(u: float, seg_size: int, crop_size: int) -> float:
    """Map a segmentation-map pixel coordinate to crop pixels (pixel centres at integers)."""
    return (u + 0.5) * (crop_size / seg_size) - 0.5


def select_eye(labels: np.ndarray, eye_prob: np.ndarray, crop_size: int = 256,
               rules: EyeRules = EyeRules()) -> EyeBlob | None:
    """Pick the eye in one crop from its S x S label map and eye probability map; None when no plausible eye."""
    if labels.ndim != 2 or labels.shape != eye_prob.shape:
        raise ValueError(f"labels {labels.shape} and eye_prob {eye_prob.shape} must be equal 2-D maps")
    seg = labels.shape[0]
    mask = (labels == EYE_CLASS).astype(np.uint8)
    if not mask.any():
        return None
    n, comp, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    min_area = rules.min_area_128 * (seg * labels.shape[1]) / (128.0 * 128.0)
    max_area = rules.max_area_frac * seg * labels.shape[1]
    ring_px = max(1, int(round(2 * seg / 128)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * ring_px + 1, 2 * ring_px + 1))
    best, best_area = None, -1
    for i in range(1, n):
        area = int(stats[i, cv2.CC_STAT_AREA])
        if area < min_area or area > max_area or area <= best_area:
            continue
        x, y, w, h = (int(stats[i, k]) for k in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT))
        sel = comp[y : y + h, x : x + w] == i
        p = eye_prob[y : y + h, x : x + w][sel].astype(np.float64)
        if p.mean() < rules.min_prob:
            continue
        if rules.min_animal_ring > 0:
            x0, y0 = max(0, x - ring_px), max(0, y - ring_px)
            x1, y1 = min(labels.shape[1], x + w + ring_px), min(seg, y + h + ring_px)
            own = (comp[y0:y1, x0:x1] == i).astype(np.uint8)
            ring = cv2.dilate(own, kernel).astype(bool) & ~own.astype(bool)
            around = labels[y0:y1, x0:x1][ring]
            if around.size and np.isin(around, ANIMAL_CLASSES).mean() < rules.min_animal_ring:
                continue
        best, best_area = (i, x, y, sel, p), area
    if best is None:
        return None
    _, x, y, sel, p = best
    if rules.min_animal_frac > 0 and not _animal_large_enough(labels, comp == best[0], rules.min_animal_frac):
        return None
    ys, xs = np.nonzero(sel)
    total = p.sum()
    cu = float((xs * p).sum() / total) + x
    cv = float((ys * p).sum() / total) + y
    return EyeBlob(seg_to_crop(cu, labels.shape[1], crop_size), seg_to_crop(cv, seg, crop_size), best_area,
                   float(p.mean()))


def _animal_large_enough(labels: np.ndarray, eye: np.ndarray, min_frac: float) -> bool:
    """True when the connected non-background region containing the eye covers at least ``min_frac`` of the map."""
    _, comp = cv2.connectedComponents((labels > 0).astype(np.uint8), connectivity=8)
    ids = np.unique(comp[eye])
    ids = ids[ids > 0]
    if ids.size == 0:
        return False
    return bool(np.isin(comp, ids).sum() >= min_frac * labels.size)


def patch_origin(x: float, y: float, size: int) -> tuple[int, int]:
    """Top-left crop pixel of the ``size`` x ``size`` patch centred on (x, y)."""
    return int(np.floor(x + 0.5)) - size // 2, int(np.floor(y + 0.5)) - size // 2


def cut_patch(crop: np.ndarray, x: float, y: float, size: int = 50) -> np.ndarray:
    """The ``size`` x ``size`` patch of ``crop`` centred on (x, y), border-replicated outside the crop."""
    h, w = crop.shape[:2]
    x0, y0 = patch_origin(x, y, size)
    if x0 >= 0 and y0 >= 0 and x0 + size <= w and y0 + size <= h:
        return crop[y0 : y0 + size, x0 : x0 + size]
    xs = np.clip(np.arange(x0, x0 + size), 0, w - 1)
    ys = np.clip(np.arange(y0, y0 + size), 0, h - 1)
    return crop[ys[:, None], xs[None, :]]


def cut_patches(crops: np.ndarray, centres: list[tuple[float, float]], size: int = 50) -> np.ndarray:
    """Patches for the given crops (one centre per crop) as one (N, size, size, C) array."""
    if len(crops) != len(centres):
        raise ValueError(f"{len(crops)} crops but {len(centres)} centres")
    out = np.empty((len(crops), size, size, crops.shape[-1]), crops.dtype)
    for i, (crop, (x, y)) in enumerate(zip(crops, centres)):
        out[i] = cut_patch(crop, x, y, size)
    return out
