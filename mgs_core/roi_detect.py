"""Automatic ROI proposal with classical computer vision: one rectangle per dark animal, box-sized where a box is seen.

The paper's setup films a rack of transparent boxes (pale edges) on a red background, one black C57BL/6 mouse per
box. :func:`propose_rois`:

1. works on a copy scaled to at most 640 px on the long side;
2. finds the animals: pixels much darker than the scene (HSV value below min(Otsu threshold, 90)), opened with a
   kernel about 1.5 % of the frame so tails and whiskers drop off; components covering 0.3-60 % of the frame;
3. finds the boxes: pale, low-saturation line pixels (min(G, B) well above the background) in long straight
   horizontal or vertical runs (morphological opening with 8 %-of-frame line kernels), closed into outlines;
   external contours whose bounding rectangle is box-sized (5-90 % of the frame side);
4. for each animal, the ROI is the smallest box containing its centre, or else a square of 1.4 x the animal's
   longer side centred on it (clipped to the frame);
5. ROIs are sorted in reading order (rows top to bottom, then left to right) and named ``box1``, ``box2``, ...

It is a starting point the user edits in the app, not a detector with guarantees: a frame without a dark animal
gives an empty set.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mgs_core.types import Roi, RoiSet

WORK_SIDE = 640


@dataclass(frozen=True)
class Blob:
    """A dark animal candidate (frame pixels)."""

    cx: float
    cy: float
    x: int
    y: int
    w: int
    h: int
    area: int


def _work_image(frame: np.ndarray) -> tuple[np.ndarray, float]:
    if frame.ndim == 2:
        frame = np.repeat(frame[..., None], 3, axis=2)
    h, w = frame.shape[:2]
    s = min(1.0, WORK_SIDE / max(h, w))
    small = cv2.resize(frame[..., :3], (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA) \
        if s < 1 else frame[..., :3]
    return np.ascontiguousarray(small), s


def find_animals(small: np.ndarray) -> list[tuple[int, int, int, int, int, float, float]]:
    """Dark blobs in the work image: (x, y, w, h, area, cx, cy)."""
    value = small.max(axis=2)
    value = cv2.GaussianBlur(value, (5, 5), 0)
    otsu, _ = cv2.threshold(value, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    thr = min(float(otsu), 90.0)
    dark = (value < thr).astype(np.uint8)
    h, w = dark.shape
    k = max(3, int(round(0.015 * max(h, w))) | 1)
    dark = cv2.morphologyEx(dark, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    n, _, stats, cents = cv2.connectedComponentsWithStats(dark, connectivity=8)
    out = []
    for i in range(1, n):
        area = int(stats[i, cv2.CC_STAT_AREA])
        if not (0.003 * h * w <= area <= 0.6 * h * w):
            continue
        x, y, bw, bh = (int(stats[i, j]) for j in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT))
        if bw >= 0.98 * w and bh >= 0.98 * h:
            continue  # the whole frame is dark: not an animal
        out.append((x, y, bw, bh, area, float(cents[i][0]), float(cents[i][1])))
    return out


def find_boxes(small: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Box-sized rectangles outlined by pale lines in the work image: (x, y, w, h)."""
    h, w = small.shape[:2]
    pale = np.minimum(small[..., 1], small[..., 2]).astype(np.int16)
    level = float(np.median(pale))
    mask = (pale > max(level + 40, 60)).astype(np.uint8)
    # keep only long straight horizontal/vertical runs (box edges), not tails, whiskers or fur highlights
    lh, lv = max(5, int(0.08 * w)), max(5, int(0.08 * h))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((1, lh), np.uint8)) | \
        cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((lv, 1), np.uint8))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    boxes = []
    for c in contours:
        x, y, bw, bh = cv2.boundingRect(c)
        if 0.05 * w <= bw <= 0.9 * w and 0.05 * h <= bh <= 0.9 * h and 0.4 <= bw / bh <= 2.5:
            boxes.append((x, y, bw, bh))
    return boxes


def _reading_order(rects: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    rects = sorted(rects, key=lambda r: r[1] + r[3] / 2)
    rows: list[list[tuple[int, int, int, int]]] = []
    for r in rects:
        cy = r[1] + r[3] / 2
        if rows:
            last = rows[-1]
            ly = np.mean([q[1] + q[3] / 2 for q in last])
            lh = np.mean([q[3] for q in last])
            if abs(cy - ly) < 0.5 * max(lh, r[3]):
                last.append(r)
                continue
        rows.append([r])
    return [r for row in rows for r in sorted(row, key=lambda q: q[0])]


def _square_around(cx: float, cy: float, side: float, width: int, height: int) -> tuple[int, int, int, int]:
    side = int(round(min(side, width, height)))
    x = int(round(cx - side / 2))
    y = int(round(cy - side / 2))
    x = min(max(0, x), width - side)
    y = min(max(0, y), height - side)
    return x, y, side, side


def propose_rois(frame: np.ndarray, prefix: str = "box") -> RoiSet:
    """ROIs for the animals in an RGB frame (see the module docstring); an empty set when none is found."""
    if frame.ndim not in (2, 3) or frame.shape[0] < 8 or frame.shape[1] < 8:
        raise ValueError(f"expected an image of at least 8 x 8 pixels, got shape {frame.shape}")
    height, width = frame.shape[:2]
    small, s = _work_image(frame)
    animals = find_animals(small)
    boxes = find_boxes(small)
    rects: list[tuple[int, int, int, int]] = []
    for x, y, bw, bh, area, cx, cy in sorted(animals, key=lambda a: -a[4]):
        holders = [b for b in boxes if b[0] <= cx <= b[0] + b[2] and b[1] <= cy <= b[1] + b[3]]
        if holders:
            bx, by, bbw, bbh = min(holders, key=lambda b: b[2] * b[3])
            rect = (int(bx / s), int(by / s), int(round(bbw / s)), int(round(bbh / s)))
        else:
            rect = _square_around(cx / s, cy / s, 1.4 * max(bw, bh) / s, width, height)
        x0, y0 = max(0, rect[0]), max(0, rect[1])
        rect = (x0, y0, min(rect[2], width - x0), min(rect[3], height - y0))
        if rect[2] >= 8 and rect[3] >= 8 and rect not in rects:
            rects.append(rect)
    rois = tuple(Roi(f"{prefix}{i + 1}", x, y, w, h, f"{prefix}{i + 1}", "")
                 for i, (x, y, w, h) in enumerate(_reading_order(rects)))
    return RoiSet(rois, width, height)


def box_iou(a: Roi, b: Roi) -> float:
    """Intersection over union of two ROI rectangles (0 when they do not touch)."""
    ix = max(0, min(a.x + a.w, b.x + b.w) - max(a.x, b.x))
    iy = max(0, min(a.y + a.h, b.y + b.h) - max(a.y, b.y))
    inter = ix * iy
    union = a.w * a.h + b.w * b.h - inter
    return inter / union if union > 0 else 0.0


MERGE_IOU = 0.3  # a proposed box this close to a drawn one is the same box/mouse


def merge_proposal(current: RoiSet, proposed: RoiSet, min_iou: float = MERGE_IOU) -> RoiSet:
    """A proposal merged into the user's ROIs without losing their work.

    Each current ROI that overlaps a proposed box (IoU >= ``min_iou``, best pair first, one to one) keeps its id,
    animal and group and takes the proposed rectangle; current ROIs without a match are kept as they are
    (hand-drawn boxes the detector missed); proposed boxes without a match are added with fresh ``boxN`` ids.
    """
    pairs = sorted(((box_iou(c, p), i, j) for i, c in enumerate(current.rois) for j, p in enumerate(proposed.rois)),
                   reverse=True)
    match_of: dict[int, int] = {}
    used: set[int] = set()
    for iou, i, j in pairs:
        if iou < min_iou:
            break
        if i not in match_of and j not in used:
            match_of[i] = j
            used.add(j)
    out = []
    for i, c in enumerate(current.rois):
        if i in match_of:
            p = proposed.rois[match_of[i]]
            out.append(Roi(c.id, p.x, p.y, p.w, p.h, c.animal, c.group))
        else:
            out.append(c)
    taken = {r.id for r in out}
    n = 1
    for j, p in enumerate(proposed.rois):
        if j in used:
            continue
        while f"box{n}" in taken:
            n += 1
        taken.add(f"box{n}")
        out.append(Roi(f"box{n}", p.x, p.y, p.w, p.h, f"box{n}", ""))
    return RoiSet(tuple(out), proposed.frame_width, proposed.frame_height)
