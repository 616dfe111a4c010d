"""What the live view shows, drawn without Streamlit (so the scoring process can draw it): the annotated picture at
display size, one strip of per-mouse tiles, and their JPEG encoding.

Drawn once per published update (a few times a second), never per scored frame.
"""
from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from mgs_core.draw import NO_EYE, draw_results, score_colour
from mgs_core.geometry import crop_roi
from mgs_core.types import SCORED, FrameResult, RoiSet

DISPLAY_WIDTH = 640  # readable boxes, eye markers and scores at a third of the bytes of 960 px (docs/benchmarks.md)
TILE = 176
JPEG_QUALITY = 70


def _scaled(roiset: RoiSet, result: FrameResult, s: float) -> tuple[RoiSet, FrameResult]:
    rois = tuple(replace(r, x=int(round(r.x * s)), y=int(round(r.y * s)), w=max(1, int(round(r.w * s))),
                         h=max(1, int(round(r.h * s)))) for r in roiset)
    res = tuple(replace(r, eye_x=None if r.eye_x is None else r.eye_x * s,
                        eye_y=None if r.eye_y is None else r.eye_y * s) for r in result.rois)
    return (RoiSet(rois, max(1, int(round(roiset.frame_width * s))), max(1, int(round(roiset.frame_height * s)))),
            replace(result, rois=res))


def preview(image: np.ndarray, roiset: RoiSet, result: FrameResult, width: int = DISPLAY_WIDTH):
    """(annotated picture at most ``width`` wide, the ROI set scaled to it): boxes, eye markers, scores."""
    h, w = image.shape[:2]
    s = min(1.0, width / w)
    small = image if s == 1.0 else cv2.resize(image, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    rs, fr = _scaled(roiset, result, s) if s != 1.0 else (roiset, result)
    return draw_results(small, rs, fr, show_time=True), rs


def tile_strip(drawn: np.ndarray, roiset: RoiSet, result: FrameResult, tile: int = TILE, per_row: int = 4):
    """One image with a square tile per ROI (the crop the networks see, with its overlay), name and score below."""
    by_id = {r.roi: r for r in result.rois}
    tiles = []
    for roi in roiset:
        t = crop_roi(drawn, roi, tile)
        res = by_id.get(roi.id)
        band = np.full((30, tile, 3), 24, np.uint8)
        if res is not None and res.status == SCORED and res.score is not None:
            label, colour = f"{roi.animal or roi.id}: {res.score:.1f}", score_colour(res.score)
        else:
            label, colour = f"{roi.animal or roi.id}: {(res.status if res else 'none').replace('_', ' ')}", NO_EYE
        cv2.putText(band, label[:22], (6, 21), cv2.FONT_HERSHEY_SIMPLEX, 0.5, colour, 1, cv2.LINE_AA)
        tiles.append(np.vstack([t, band]))
    rows = []
    for i in range(0, len(tiles), per_row):
        row = tiles[i:i + per_row]
        row += [np.full_like(tiles[0], 255)] * (per_row - len(row)) if len(tiles) > per_row else []
        rows.append(np.hstack([np.pad(t, ((2, 2), (2, 2), (0, 0)), constant_values=255) for t in row]))
    return np.vstack(rows)


def jpeg(rgb: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(rgb[:, :, ::-1]), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("the picture could not be JPEG-encoded")
    return buf.tobytes()


def view_jpegs(image: np.ndarray, roiset: RoiSet, result: FrameResult, width: int = DISPLAY_WIDTH,
               quality: int = JPEG_QUALITY) -> tuple[bytes, bytes, int]:
    """(annotated picture JPEG, tile strip JPEG, tile strip width in px) for one scored frame."""
    drawn, rs = preview(image, roiset, result, width)
    strip = tile_strip(drawn, rs, result)
    return jpeg(drawn, quality), jpeg(strip, quality), int(strip.shape[1])
