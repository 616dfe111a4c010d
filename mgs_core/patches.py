"""Eye patches for the Table 1 regressor: the paper's fixed 50 x 50 window, or a scale-normalised one.

- ``"fixed"`` (the paper; reference mode): the 50 x 50 window of the 256-px crop centred on the eye
  (:func:`mgs_core.eyes.cut_patch`). A 15-px eye in a box ROI and a 100-px eye in a face close-up then look nothing
  alike to the network; the large one does not even fit.
- ``"scaled"``: the crop is resampled around the eye so that the eye length becomes ``50 / k`` pixels, and the 50 x 50
  window around the eye is cut, i.e. a window of ``k`` x the eye length resized to 50 x 50. Every eye then has the
  same geometry in the patch. Downscaling uses area averaging (no aliasing), upscaling bilinear interpolation.

Training and inference cut with the same function (:func:`scaled_window`): training keeps a larger window
(``mgs_core.train.data.WINDOW`` px in the normalised scale) so the paper's rotation and shift augmentation can be
applied exactly as in fixed mode.

Shift test-time augmentation (:func:`shift_views`, the score card's ``tta.shift_px``): the runner may also score
each eye with its centre moved by +-``shift_px`` patch pixels up and down and average the three views (not in the
paper; chosen on the validation sets by ``mgs evaluate --score-shift``, written to the card by ``mgs train release``;
shifts along x as well gave the same validation MAE for two more network passes).
"""
from __future__ import annotations

import cv2
import numpy as np

from mgs_core.eyes import cut_patch

PATCH = 50
PATCH_MODES = ("fixed", "scaled")
DEFAULT_K = 2.5
MIN_LENGTH = 2.0  # never scale by more than 50 / (k * 2 px)
MAX_SHIFT_PX = 10.0  # the largest shift test-time augmentation a card or `mgs evaluate --score-shift` may ask for
SHIFTS = ((0, 0), (0, 1), (0, -1))  # shift_views: the centre first, then down and up (the lids open vertically)


def normalised_scale(length: float, k: float, size: int = PATCH) -> float:
    """Resampling factor that makes an eye of ``length`` crop px ``size / k`` px long."""
    return (size / float(k)) / max(float(length), MIN_LENGTH)


def scaled_window(crop: np.ndarray, x: float, y: float, length: float, k: float = DEFAULT_K, out: int = PATCH,
                  size: int = PATCH) -> np.ndarray:
    """``out`` x ``out`` window around the eye (x, y) in the scale where the eye is ``size / k`` px long.

    The eye centre lands exactly on window pixel ``(out // 2, out // 2)``; the border is replicated.
    """
    return _windows(crop, [(x, y)], length, k, out, size)[0]


def _windows(crop: np.ndarray, centres: list[tuple[float, float]], length: float, k: float = DEFAULT_K,
             out: int = PATCH, size: int = PATCH) -> list[np.ndarray]:
    """:func:`scaled_window` for several centres of one eye length: the crop is area-averaged once for all."""
    f = normalised_scale(length, k, size)
    c = float(out // 2)
    if f < 1.0:  # shrink the crop once (area average), then shift each centre onto the window's centre pixel
        h, w = crop.shape[:2]
        nw, nh = max(1, int(round(w * f))), max(1, int(round(h * f)))
        src = cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_AREA)
        fx, fy = nw / w, nh / h
        to_src = [((x + 0.5) * fx - 0.5, (y + 0.5) * fy - 0.5) for x, y in centres]
        step, offset = 1.0, c
    else:  # enlarge in the warp: output (u, v) <- crop ((u - c) / f + x, (v - c) / f + y)
        src, to_src, step, offset = crop, list(centres), 1.0 / f, c / f
    return [cv2.warpAffine(src, np.array([[step, 0.0, sx - offset], [0.0, step, sy - offset]]), (out, out),
                           flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
            for sx, sy in to_src]


def eye_patches(crops: np.ndarray, eyes: list[tuple[float, float, float]], mode: str = "fixed",
                k: float = DEFAULT_K) -> np.ndarray:
    """(N, 50, 50, C) patches, one per (crop, (x, y, length)). ``length`` is ignored in fixed mode."""
    if mode not in PATCH_MODES:
        raise ValueError(f"patch mode must be one of {PATCH_MODES}, got {mode!r}")
    if len(crops) != len(eyes):
        raise ValueError(f"{len(crops)} crops but {len(eyes)} eyes")
    out = np.empty((len(crops), PATCH, PATCH, crops.shape[-1]), crops.dtype)
    for i, (crop, (x, y, length)) in enumerate(zip(crops, eyes)):
        if mode == "fixed":
            out[i] = cut_patch(crop, x, y, PATCH)
        else:
            out[i] = scaled_window(crop, x, y, length, k)
    return out


def shift_views(eyes: list[tuple[float, float, float]], shift_px: float, mode: str = "scaled",
                k: float = DEFAULT_K) -> list[list[tuple[float, float, float]]]:
    """The eyes of the shift test-time augmentation: ``[eyes]`` when ``shift_px`` is 0, else three views of them, each
    centre as given and moved by +-``shift_px`` pixels *of the 50 x 50 patch* down and up (:data:`SHIFTS`). In
    scaled mode one patch pixel is ``length * k / 50`` pixels of the crop the patch is cut from; in fixed mode, one."""
    if not shift_px > 0:
        return [list(eyes)]
    views = []
    for dx, dy in SHIFTS:
        view = []
        for x, y, length in eyes:
            step = shift_px * (max(float(length), MIN_LENGTH) * k / PATCH if mode == "scaled" else 1.0)
            view.append((x + dx * step, y + dy * step, length))
        views.append(view)
    return views


def shifted_patches(crops: np.ndarray, eyes: list[tuple[float, float, float]], shift_px: float, mode: str = "scaled",
                    k: float = DEFAULT_K) -> np.ndarray:
    """(V, N, 50, 50, C): the patches of every view of :func:`shift_views` (V = 1 or 3), view by view, equal to
    ``eye_patches`` of each view; a scaled crop is area-averaged once for all its views."""
    views = shift_views(eyes, shift_px, mode, k)
    if mode != "scaled" or len(views) == 1:
        return np.stack([eye_patches(crops, v, mode, k) for v in views])
    if len(crops) != len(eyes):
        raise ValueError(f"{len(crops)} crops but {len(eyes)} eyes")
    out = np.empty((len(views), len(crops), PATCH, PATCH, crops.shape[-1]), crops.dtype)
    for i, crop in enumerate(crops):
        for j, win in enumerate(_windows(crop, [(v[i][0], v[i][1]) for v in views], eyes[i][2], k)):
            out[j, i] = win
    return out


def shift_from_card(card: dict | None) -> float:
    """The shift test-time augmentation a score checkpoint's card asks for (``tta.shift_px``; 0 = off)."""
    tta = (card or {}).get("tta") or {}
    value = float(tta.get("shift_px", 0.0) or 0.0) if isinstance(tta, dict) else 0.0
    if not 0.0 <= value <= MAX_SHIFT_PX:
        raise ValueError(f"the score card's tta.shift_px must lie in [0, {MAX_SHIFT_PX:g}] patch pixels, got {value:g}")
    return value
