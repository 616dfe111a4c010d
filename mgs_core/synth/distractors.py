"""Eye-like distractors: dark spots, fur folds (crease-like lines), droppings and bright glints, placed on and near
the head where a naive dark-blob or highlight detector would fire. They change pixels only, never labels: a spot on
the fur stays animal (1), one on the floor background (0). Nothing is drawn over or next to the eye region.
"""
from __future__ import annotations

import numpy as np

from mgs_core.synth import paint
from mgs_core.synth.apparatus import HeadFrame

KINDS = ("spot", "fold", "dropping", "glint")


def _clear_of_eye(lab: np.ndarray, pts: np.ndarray, margin: float) -> bool:
    h, w = lab.shape
    x0, y0 = int(max(pts[:, 0].min() - margin, 0)), int(max(pts[:, 1].min() - margin, 0))
    x1, y1 = int(min(pts[:, 0].max() + margin + 1, w)), int(min(pts[:, 1].max() + margin + 1, h))
    if x1 <= x0 or y1 <= y0:
        return False
    return not (lab[y0:y1, x0:x1] == 3).any()


def draw_distractors(img: np.ndarray, lab: np.ndarray, rng: np.random.Generator, head: HeadFrame, eye_len: float,
                     n: int) -> int:
    """Draw up to ``n`` distractors around ``head`` (eye-sized, ``eye_len`` pixels). Returns how many were drawn."""
    drawn = 0
    fur_dark = np.float32([0.012, 0.011, 0.014])
    for _ in range(n):
        kind = str(rng.choice(KINDS, p=[0.4, 0.3, 0.15, 0.15]))
        for _try in range(4):
            c = head.at(rng.uniform(-1.2, 1.3), rng.uniform(-0.9, 0.8))
            ln = eye_len * rng.uniform(0.5, 1.3)
            ang = rng.uniform(-0.6, 0.6) + np.arctan2(head.uy, head.ux)
            if kind == "spot" or kind == "dropping":
                ratio = rng.uniform(0.4, 0.9) if kind == "spot" else rng.uniform(0.35, 0.55)
                pts = paint.ellipse_points(c[0], c[1], ln / 2, ln / 2 * ratio, ang, 24)
            elif kind == "fold":
                t = np.linspace(-0.5, 0.5, 10)
                bend = rng.uniform(-0.25, 0.25)
                x, y = t * ln, bend * ln * (1 - 4 * t ** 2)
                pts = np.stack([c[0] + np.cos(ang) * x - np.sin(ang) * y, c[1] + np.sin(ang) * x + np.cos(ang) * y], 1)
            else:
                r = max(0.8, eye_len * rng.uniform(0.06, 0.2))
                pts = paint.ellipse_points(c[0], c[1], r, r * rng.uniform(0.7, 1.0), ang, 16)
            if not _clear_of_eye(lab, pts, 0.4 * eye_len + 2):
                continue
            if kind == "spot":
                paint.fill(img, [pts], fur_dark * rng.uniform(0.5, 2.0), alpha=rng.uniform(0.7, 1.0),
                           blur=max(0.5, 0.05 * ln))
                if rng.random() < 0.35:  # a glossy dot makes it look even more like an open eye
                    hl = paint.ellipse_points(c[0] + 0.12 * ln, c[1] - 0.1 * ln, 0.08 * ln + 0.5, 0.07 * ln + 0.5)
                    paint.fill(img, [hl], (0.9, 0.9, 0.88), alpha=rng.uniform(0.4, 0.9), blur=0.4)
            elif kind == "dropping":
                paint.fill(img, [pts], np.float32([0.05, 0.04, 0.035]) * rng.uniform(0.5, 1.5), alpha=0.95, blur=0.5)
            elif kind == "fold":
                paint.stroke(img, pts, fur_dark, max(1.0, ln * rng.uniform(0.05, 0.14)), alpha=rng.uniform(0.6, 0.95))
            else:
                paint.fill(img, [pts], (1.0, 1.0, 0.98), alpha=rng.uniform(0.6, 1.0), blur=0.5)
            drawn += 1
            break
    return drawn
