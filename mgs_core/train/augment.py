"""Augmentation geometry and photometry (pure numpy/cv2).

Eye patches follow the paper: rotate by a random angle in [-30, 30] degrees about the eye centre, take the 60 x 60
window centred on the eye, then a random 50 x 50 sub-window, i.e. the patch centre is shifted by up to 5 px per axis.
Both steps are done by ONE inverse affine warp straight into the 50 x 50 output, so the eye lands exactly at
``(25 - shift_x, 25 - shift_y)`` in patch pixels (pixel centres at integers; with no rotation and no shift, the patch
equals :func:`mgs_core.eyes.cut_patch` at an integer eye centre).

Segmentation augmentation (on crops already at the U-Net's input size): horizontal flip, small rotation, scale and
translation (image bilinear, labels nearest), then colour/brightness/contrast/gamma, blur, noise and greyscale.
``SegAug.edge_p``: that share of crops is instead magnified 1-1.6x and shifted by up to the magnification's margin, so
the head is cut by the crop border and the eye can sit at (or leave through) an edge, as in a tight real ROI; the
shift never uncovers the border, so nothing is replicated in. ``SegAug.letterbox_p``: that share of crops is cut to a
central band (aspect up to 1.8, bands top and bottom or left and right) whose edge rows or columns are replicated
outwards, exactly as :func:`mgs_core.geometry.crop_roi` letterboxes a non-square ROI (a whole 832 x 747 camera frame,
say); eye pixels replicated into the bands become animal, and an eye whose centre is in a band is cut off with the
scene (no eye). Square-scene kinds (close-ups, head-fixed, far, backlit) otherwise never show those bands.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

PATCH = 50


@dataclass(frozen=True)
class PatchAug:
    """Eye-patch augmentation of the paper: rotation range (deg) and maximal shift of the 50 px patch (px)."""

    max_rotation: float = 30.0
    max_shift: int = 5
    jitter_sd: float = 0.0  # extra Gaussian shift (px) that imitates the segmentation's localisation error
    photometric: bool = False  # colour/contrast/blur/noise/greyscale jitter (not in the paper)
    scale_sd: float = 0.0  # log2 scale jitter about the eye (scaled patches: imitates the eye-length estimate's error)
    flip: bool = False  # mirror half the patches left-right (a mouse faces either way; not in the paper)


@dataclass(frozen=True)
class SegAug:
    flip: bool = True
    max_rotation: float = 15.0
    scale: tuple[float, float] = (0.75, 1.3)
    max_translate: float = 0.06  # fraction of the image side
    photometric: bool = True
    edge_p: float = 0.0  # share of crops magnified and shifted toward a border instead (module docstring)
    edge_scale: tuple[float, float] = (1.0, 1.6)
    letterbox_p: float = 0.0  # share of crops letterboxed like a non-square ROI (module docstring)
    letterbox_band: tuple[float, float] = (0.02, 0.22)  # each band's share of the side


def eye_patch(crop: np.ndarray, x: float, y: float, angle: float = 0.0, shift: tuple[float, float] = (0.0, 0.0),
              size: int = PATCH, scale: float = 1.0) -> np.ndarray:
    """``size`` x ``size`` patch of ``crop`` rotated by ``angle`` deg (and magnified by ``scale``) about the eye
    (x, y), its centre shifted by ``shift`` px (in patch axes). The eye lands at
    ``(size // 2 - shift_x, size // 2 - shift_y)`` in the patch."""
    a = np.deg2rad(angle)
    r = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) / float(scale)
    c = np.array([x, y], np.float64)
    o = np.array([x - size // 2 + shift[0], y - size // 2 + shift[1]], np.float64)
    m = np.hstack([r, (c + r @ (o - c))[:, None]])
    return cv2.warpAffine(crop, m, (size, size), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE)


def random_patch_params(rng: np.random.Generator, aug: PatchAug) -> tuple[float, tuple[float, float]]:
    """(angle, shift): angle uniform in [-max_rotation, max_rotation]; shift an integer in [-max_shift, max_shift]
    per axis (the paper's random 50 x 50 sub-window of the 60 x 60 window), plus optional Gaussian jitter."""
    angle = float(rng.uniform(-aug.max_rotation, aug.max_rotation)) if aug.max_rotation > 0 else 0.0
    s = rng.integers(-aug.max_shift, aug.max_shift + 1, size=2).astype(np.float64)
    if aug.jitter_sd > 0:
        s = s + rng.normal(0.0, aug.jitter_sd, size=2)
    return angle, (float(s[0]), float(s[1]))


def photometric(img: np.ndarray, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """Random brightness/contrast/per-channel gain/gamma, blur, Gaussian noise and greyscale of a uint8 RGB image."""
    x = img.astype(np.float32) / 255.0
    if rng.random() < 0.25:
        x = np.repeat(x @ np.array([0.299, 0.587, 0.114], np.float32)[:, None], 3, axis=-1)
    gain = rng.uniform(1 - 0.15 * strength, 1 + 0.15 * strength, size=3).astype(np.float32)
    contrast = rng.uniform(1 - 0.35 * strength, 1 + 0.35 * strength)
    bright = rng.uniform(-0.15 * strength, 0.15 * strength)
    mean = x.mean()
    x = (x - mean) * contrast + mean + bright
    x = x * gain
    x = np.clip(x, 0.0, 1.0) ** np.float32(np.exp(rng.uniform(-0.3, 0.3) * strength))
    if rng.random() < 0.3:
        k = int(rng.choice([3, 5]))
        x = cv2.GaussianBlur(x, (k, k), 0)
    if rng.random() < 0.5:
        x = x + rng.normal(0.0, rng.uniform(0.005, 0.04) * strength, size=x.shape).astype(np.float32)
    return (np.clip(x, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def augment_patch(crop: np.ndarray, x: float, y: float, rng: np.random.Generator, aug: PatchAug) -> np.ndarray:
    angle, shift = random_patch_params(rng, aug)
    scale = float(2.0 ** rng.normal(0.0, aug.scale_sd)) if aug.scale_sd > 0 else 1.0
    patch = eye_patch(crop, x, y, angle, shift, scale=scale)
    if aug.flip and rng.random() < 0.5:
        patch = np.ascontiguousarray(patch[:, ::-1])
    return photometric(patch, rng) if aug.photometric else patch


def augment_seg(img: np.ndarray, labels: np.ndarray, rng: np.random.Generator, aug: SegAug = SegAug()):
    """Randomly flipped/rotated/scaled/shifted copy of an image and its label map (same size), plus photometry."""
    out, lab, _ = augment_seg_matrix(img, labels, rng, aug)
    return out, lab


def augment_seg_matrix(img: np.ndarray, labels: np.ndarray, rng: np.random.Generator, aug: SegAug = SegAug()):
    """:func:`augment_seg` that also returns the 2 x 3 affine matrix (map pixel -> map pixel), its scale and the
    rectangle ``(x0, y0, x1, y1)`` (map pixels, end exclusive) left of the scene (the whole map unless letterboxed),
    so keypoints follow the image: ``(out, labels, (matrix, scale, content))``; a point outside ``content`` is cut
    off."""
    h, w = labels.shape
    angle = rng.uniform(-aug.max_rotation, aug.max_rotation)
    scale = rng.uniform(*aug.scale)
    edge = aug.edge_p > 0 and rng.random() < aug.edge_p
    if edge:  # magnified; the shift stays within the margin the magnification leaves (no border uncovered)
        angle = 0.0
        scale = rng.uniform(*aug.edge_scale)
    m = cv2.getRotationMatrix2D(((w - 1) / 2.0, (h - 1) / 2.0), angle, scale)
    if edge:
        m[:, 2] += rng.uniform(-1.0, 1.0, size=2) * (scale - 1.0) / 2.0 * np.array([w - 1.0, h - 1.0])
    else:
        m[:, 2] += rng.uniform(-aug.max_translate, aug.max_translate, size=2) * np.array([w, h])
    if aug.flip and rng.random() < 0.5:
        m = np.array([[-1.0, 0.0, w - 1.0], [0.0, 1.0, 0.0]]) @ np.vstack([m, [0.0, 0.0, 1.0]])
    # replicated borders: a reflected border could mirror the eye into a second, unlabelled one
    out = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    lab = cv2.warpAffine(labels, m, (w, h), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)
    content = (0, 0, w, h)
    if aug.letterbox_p > 0 and rng.random() < aug.letterbox_p:
        content = letterbox(out, lab, rng, aug.letterbox_band)
    if aug.photometric:
        out = photometric(out, rng)
    return out, lab, (m, float(scale), content)


def letterbox(img: np.ndarray, labels: np.ndarray, rng: np.random.Generator,
              band: tuple[float, float] = (0.02, 0.22)) -> tuple[int, int, int, int]:
    """In place: keep a central band of the image and replicate its edge rows (or columns) over the rest, as a
    non-square ROI is letterboxed; replicated eye labels become animal. Returns the kept ``(x0, y0, x1, y1)``."""
    h, w = labels.shape
    rows = bool(rng.random() < 0.5)  # bands top and bottom (a wide ROI) or left and right (a tall one)
    side = h if rows else w
    b = int(round(rng.uniform(*band) * side))
    if b < 1:
        return (0, 0, w, h)
    for a in (img, labels):
        v = a if rows else a.swapaxes(0, 1)
        v[:b] = v[b]
        v[side - b :] = v[side - b - 1]
    for sl in (slice(0, b), slice(side - b, side)):
        band_lab = labels[sl] if rows else labels[:, sl]
        band_lab[band_lab == 3] = 1
    return (0, b, w, h - b) if rows else (b, 0, w - b, h)


def move_point(matrix: np.ndarray, x: float, y: float) -> tuple[float, float]:
    """Where the affine ``matrix`` (as used by cv2.warpAffine, forward) takes the map point (x, y)."""
    v = matrix @ np.array([x, y, 1.0])
    return float(v[0]), float(v[1])
