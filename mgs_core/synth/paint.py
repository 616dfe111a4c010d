"""Anti-aliased polygon painting on a float RGB canvas plus its uint8 label map.

The image is float32 H x W x 3 in [0, 1]; the label map is uint8 H x W (0 background, 1 animal, 2 ears, 3 eyes).
Polygons are float (x, y) arrays in canvas pixels (pixel centres at integers) and are drawn with sub-pixel
precision (``cv2`` fixed-point ``shift``). Only the polygon's bounding box is touched, so painting is cheap.
"""
from __future__ import annotations

import cv2
import numpy as np

SHIFT = 3
_ONE = 1 << SHIFT


def _fixed(pts: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(pts, np.float64) * _ONE).astype(np.int32).reshape(-1, 1, 2)


def _bbox(polys: list[np.ndarray], pad: int, h: int, w: int) -> tuple[int, int, int, int] | None:
    allp = np.concatenate([np.asarray(p, np.float64).reshape(-1, 2) for p in polys])
    x0 = max(int(np.floor(allp[:, 0].min())) - pad, 0)
    y0 = max(int(np.floor(allp[:, 1].min())) - pad, 0)
    x1 = min(int(np.ceil(allp[:, 0].max())) + pad + 1, w)
    y1 = min(int(np.ceil(allp[:, 1].max())) + pad + 1, h)
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


def coverage(polys: list[np.ndarray], h: int, w: int, pad: int = 2, blur: float = 0.0):
    """Anti-aliased coverage (float32 0-1) of the union of ``polys`` inside their bounding box.

    Returns ``(alpha, (x0, y0, x1, y1))`` or ``None`` when the polygons lie outside the canvas.
    """
    pad = pad + int(np.ceil(2 * blur))
    box = _bbox(polys, pad, h, w)
    if box is None:
        return None
    x0, y0, x1, y1 = box
    m = np.zeros((y1 - y0, x1 - x0), np.uint8)
    off = np.array([x0, y0], np.float64)
    for p in polys:  # one call per polygon: overlapping polygons in one call would cancel out (even-odd)
        cv2.fillPoly(m, [_fixed(np.asarray(p).reshape(-1, 2) - off)], 255, cv2.LINE_AA, SHIFT)
    a = m.astype(np.float32) * (1.0 / 255.0)
    if blur > 0:
        a = cv2.GaussianBlur(a, (0, 0), blur)
    return a, box


def blend(img: np.ndarray, alpha: np.ndarray, box, color) -> None:
    """img[box] = img * (1 - alpha) + color * alpha; ``color`` is an RGB triple or an array matching the box."""
    x0, y0, x1, y1 = box
    region = img[y0:y1, x0:x1]
    diff = np.asarray(color, np.float32) - region  # img + alpha * (color - img), one temporary
    diff *= alpha[..., None]
    region += diff


def fill(img: np.ndarray, polys: list[np.ndarray], color, alpha: float = 1.0, blur: float = 0.0) -> None:
    """Paint the union of ``polys`` with ``color`` at opacity ``alpha`` (anti-aliased, optionally soft-edged)."""
    h, w = img.shape[:2]
    cov = coverage(polys, h, w, blur=blur)
    if cov is None:
        return
    a, box = cov
    blend(img, a * alpha, box, color)


def label(lab: np.ndarray, polys: list[np.ndarray], cls: int) -> None:
    """Write class ``cls`` into the label map inside the union of ``polys`` (hard edges, no anti-aliasing)."""
    for p in polys:
        cv2.fillPoly(lab, [_fixed(np.asarray(p).reshape(-1, 2))], int(cls), cv2.LINE_8, SHIFT)


def stroke(img: np.ndarray, pts: np.ndarray, color, thickness: float, alpha: float = 1.0) -> None:
    """Anti-aliased open polyline of the given thickness (pixels) painted at opacity ``alpha``."""
    h, w = img.shape[:2]
    t = max(int(round(thickness)), 1)
    box = _bbox([pts], t + 2, h, w)
    if box is None:
        return
    x0, y0, x1, y1 = box
    m = np.zeros((y1 - y0, x1 - x0), np.uint8)
    p = np.asarray(pts, np.float64).reshape(-1, 2) - np.array([x0, y0], np.float64)
    cv2.polylines(m, [_fixed(p)], False, 255, t, cv2.LINE_AA, SHIFT)
    a = m.astype(np.float32) * (alpha / 255.0)
    if thickness < 1.0:
        a *= float(thickness)
    blend(img, a, box, color)


def ellipse_points(cx: float, cy: float, ax: float, ay: float, angle_rad: float = 0.0, n: int = 40) -> np.ndarray:
    """Polygon approximating an ellipse with semi-axes ``ax``, ``ay`` rotated by ``angle_rad``."""
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    x, y = ax * np.cos(t), ay * np.sin(t)
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    return np.stack([cx + c * x - s * y, cy + s * x + c * y], axis=1)


def label_stroke(lab: np.ndarray, pts: np.ndarray, cls: int, thickness: float) -> None:
    """Write class ``cls`` along an open polyline of the given thickness (hard edges)."""
    cv2.polylines(lab, [_fixed(np.asarray(pts).reshape(-1, 2))], False, int(cls), max(int(round(thickness)), 1),
                  cv2.LINE_8, SHIFT)


def rect_points(x0: float, y0: float, x1: float, y1: float, width: float) -> np.ndarray:
    """The 4 corners of a bar of ``width`` from (x0, y0) to (x1, y1)."""
    d = np.array([x1 - x0, y1 - y0], np.float64)
    d /= np.linalg.norm(d) + 1e-9
    n = np.array([-d[1], d[0]]) * width / 2.0
    a, b = np.array([x0, y0]), np.array([x1, y1])
    return np.array([a + n, b + n, b - n, a - n])
