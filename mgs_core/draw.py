"""Overlays on RGB frames: ROI boxes with ids and animal names, eye markers, score text and bars, "no eye" labels.

Pure functions over H x W x 3 uint8 RGB arrays; each returns a new array (the input is never modified). Used by the
app and by ``mgs score --annotate``; inference code never imports this module.
"""
from __future__ import annotations

import cv2
import numpy as np

from mgs_core.types import FrameResult, Roi, RoiResult, RoiSet

BOX = (255, 255, 255)
EYE = (0, 255, 255)
NO_EYE = (200, 200, 200)
FONT = cv2.FONT_HERSHEY_SIMPLEX


def score_colour(score: float) -> tuple[int, int, int]:
    """Green (0, eye open) through yellow to red (9, eye closed), RGB."""
    t = float(np.clip(score / 9.0, 0.0, 1.0))
    return (int(255 * min(1.0, 2 * t)), int(255 * min(1.0, 2 * (1 - t))), 0)


def _scale(frame: np.ndarray) -> float:
    return max(0.4, min(frame.shape[0], frame.shape[1]) / 720.0)


def _text(img: np.ndarray, text: str, x: int, y: int, colour, scale: float) -> None:
    """Text with a dark outline so it reads on any background; (x, y) is the baseline start."""
    th = max(1, int(round(2 * scale)))
    cv2.putText(img, text, (x, y), FONT, 0.6 * scale, (0, 0, 0), th + 2, cv2.LINE_AA)
    cv2.putText(img, text, (x, y), FONT, 0.6 * scale, colour, th, cv2.LINE_AA)


def draw_rois(frame: np.ndarray, rois: RoiSet | list[Roi], selected: str | None = None) -> np.ndarray:
    """ROI rectangles labelled with ``id`` (and animal name when it differs); ``selected`` is drawn thicker."""
    out = frame.copy()
    s = _scale(frame)
    for r in rois:
        th = max(1, int(round((4 if r.id == selected else 2) * s)))
        cv2.rectangle(out, (r.x, r.y), (r.x + r.w - 1, r.y + r.h - 1), BOX, th)
        label = r.id if not r.animal or r.animal == r.id else f"{r.id}: {r.animal}"
        _text(out, label, r.x + int(6 * s), r.y + int(22 * s), BOX, s)
    return out


def draw_eye(frame: np.ndarray, x: float, y: float, radius: int | None = None, colour=EYE) -> np.ndarray:
    """A cross-hair circle on the eye centre (frame pixels)."""
    out = frame.copy()
    _eye(out, x, y, radius or int(round(10 * _scale(frame))), colour, _scale(frame))
    return out


def _eye(img, x, y, radius, colour, s) -> None:
    c = (int(round(x)), int(round(y)))
    th = max(1, int(round(2 * s)))
    cv2.circle(img, c, radius, colour, th, cv2.LINE_AA)
    cv2.line(img, (c[0] - radius // 2, c[1]), (c[0] + radius // 2, c[1]), colour, th)
    cv2.line(img, (c[0], c[1] - radius // 2), (c[0], c[1] + radius // 2), colour, th)


def _score_bar(img, roi: Roi, score: float, s: float) -> None:
    """A vertical 0-9 bar inside the right edge of the ROI, filled to the score."""
    bw = max(4, int(10 * s))
    x1, y0, y1 = roi.x + roi.w - int(6 * s), roi.y + int(30 * s), roi.y + roi.h - int(8 * s)
    x0 = x1 - bw
    if y1 - y0 < 10:
        return
    cv2.rectangle(img, (x0, y0), (x1, y1), (40, 40, 40), -1)
    fill = int(round((y1 - y0) * float(np.clip(score, 0, 9)) / 9.0))
    if fill > 0:
        cv2.rectangle(img, (x0, y1 - fill), (x1, y1), score_colour(score), -1)
    cv2.rectangle(img, (x0, y0), (x1, y1), BOX, 1)


def draw_results(frame: np.ndarray, rois: RoiSet, result: FrameResult, show_time: bool = True) -> np.ndarray:
    """ROI boxes + per ROI: eye marker and score text/bar, or "no eye"; an error banner when the frame failed."""
    out = draw_rois(frame, rois)
    s = _scale(frame)
    by_id: dict[str, RoiResult] = {r.roi: r for r in result.rois}
    for roi in rois:
        res = by_id.get(roi.id)
        ty = roi.y + roi.h - int(12 * s)
        if res is None:
            continue
        if res.eye_visible and res.eye_x is not None and res.eye_y is not None:
            col = score_colour(res.score) if res.score is not None else EYE
            _eye(out, res.eye_x, res.eye_y, int(round(10 * s)), col, s)
            if res.score is not None:
                _text(out, f"score {res.score:.1f}", roi.x + int(6 * s), ty, col, s * 1.2)
                _score_bar(out, roi, res.score, s)
        else:
            _text(out, "no eye", roi.x + int(6 * s), ty, NO_EYE, s * 1.2)
    if show_time:  # top-right corner, clear of the ROI labels (top-left) and scores (bottom-left)
        label = f"frame {result.frame}  t={result.time_s:.2f}s"
        (tw, th), _ = cv2.getTextSize(label, FONT, 0.6 * s, max(1, int(round(2 * s))))
        _text(out, label, frame.shape[1] - tw - int(30 * s), th + int(8 * s), BOX, s)
    if result.error:
        _text(out, f"not scored: {result.error}"[:90], int(8 * s), int(28 * s), (255, 80, 80), s)
    return out


def draw_keyframe(crop: np.ndarray, eye_uv: tuple[float, float] | None, score: float | None, caption: str,
                  status: str = "") -> np.ndarray:
    """One tile of a key-frame strip: an ROI crop with the eye marker (crop pixels) and the score drawn in, or why
    there is no score (``status``, e.g. "eye hidden"); ``caption`` (e.g. "lowest  t=3.2 s") along the top."""
    out = crop.copy()
    s = max(0.45, min(out.shape[:2]) / 400.0)
    col = score_colour(score) if score is not None else NO_EYE
    if eye_uv is not None:
        _eye(out, eye_uv[0], eye_uv[1], int(round(12 * s / 0.64)), col, s)
    h = out.shape[0]
    band = int(34 * s / 0.64)
    out[:band] = (out[:band] * 0.35).astype(np.uint8)  # dark bands so the text reads on any crop
    out[h - band:] = (out[h - band:] * 0.35).astype(np.uint8)
    _text(out, caption, int(6 * s), band - int(10 * s / 0.64), BOX, s * 1.15)
    label = f"score {score:.1f}" if score is not None else (status.replace("_", " ") or "no eye")
    _text(out, label, int(6 * s), h - int(10 * s / 0.64), col, s * 1.3)
    return out
