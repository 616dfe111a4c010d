"""The eye: how the orbital-tightening score s in [0, 9] changes a black mouse's eye, and its label region.

Appearance (drawn in canvas pixels around the eye centre, along the head's forward axis ``u`` and up axis ``v``):
- aperture height ``a = open_height * (1 - s/9) ** gamma``; the upper lid flattens as it lowers; at s = 9 a closed slit;
- the eye is dark and glossy with a specular highlight that shrinks and vanishes as the eye closes;
- a subtle lighter periorbital ring and lid edge; a crease and wrinkle lines above/behind the eye as it tightens.

Label region (class 3, the **eye-mask definition**, fixed): an ellipse of the eye's length ``e`` whose height is
``sqrt(a**2 + (0.3 e)**2)`` (a smooth maximum of the aperture and 30% of the length), centred on the eye centre. So a
closed eye is still a labelled, visible eye (a thin region), and the region height decreases strictly with the score.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mgs_core.synth import paint

MIN_REGION_RATIO = 0.3  # region height floor as a fraction of eye length


@dataclass(frozen=True)
class EyeGeometry:
    """Where and how big the eye is, in canvas pixels."""

    cx: float
    cy: float
    ux: float  # unit vector towards the nose
    uy: float
    vx: float  # unit vector "up" in the head's frame
    vy: float
    length: float  # eye length (corner to corner), pixels


def aperture(score: float, open_height: float, gamma: float) -> float:
    """Lid opening (pixels) for a score in [0, 9]."""
    s = min(max(float(score), 0.0), 9.0)
    return open_height * (1.0 - s / 9.0) ** gamma


def region_height(score: float, length: float, open_ratio: float, gamma: float) -> float:
    """Height of the labelled eye region (pixels): smooth max of the aperture and 30% of the length."""
    a = aperture(score, open_ratio * length, gamma)
    return float(np.hypot(a, MIN_REGION_RATIO * length))


def _at(g: EyeGeometry, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Canvas points for eye-local coordinates (x along u, y along v)."""
    return np.stack([g.cx + g.ux * x + g.vx * y, g.cy + g.uy * x + g.vy * y], axis=1)


def draw_eye(img: np.ndarray, lab: np.ndarray, g: EyeGeometry, score: float, open_ratio: float, gamma: float,
             fur_rgb, ring: float, gloss: float) -> float:
    """Paint the eye into ``img`` and its region into ``lab`` (class 3). Returns the region height in pixels."""
    e = g.length
    half = e / 2.0
    a = aperture(score, open_ratio * e, gamma)
    k = min(max((score - 2.0) / 7.0, 0.0), 1.0)  # tightening strength for lid shape, crease and wrinkles
    fur = np.asarray(fur_rgb, np.float32)
    light = np.clip(fur * 1.8 + 0.05 * ring, 0.0, 1.0)
    line = np.clip(fur * 2.2 + 0.08, 0.0, 1.0)  # lid margins and fold highlights catch more light than fur
    n = 24
    t = np.linspace(0.0, np.pi, n)
    xs = -np.cos(t) * half

    # Periorbital ring: slightly lighter, sparser fur around the eye (soft-edged).
    rh = max(a, 0.25 * e) / 2.0 * 1.35 + 0.14 * e
    ring_poly = _at(g, *paint.ellipse_points(0.0, 0.0, half * 1.3 + 1.0, rh, 0.0, 32).T)
    paint.fill(img, [ring_poly], light, alpha=0.55 * ring, blur=max(0.6, 0.08 * e))

    # Crease and wrinkles above/behind a tightening eye.
    if k > 0:
        cy0 = a / 2.0 + 0.16 * e + 0.05 * e * (1 - k)
        cx_ = np.linspace(-0.5 * half, 0.9 * half, 12)
        cy_ = cy0 + 0.1 * e * np.sin(np.linspace(0, np.pi, 12))
        paint.stroke(img, _at(g, cx_, cy_), fur * 0.35, max(1.0, 0.07 * e), alpha=0.8 * k)
        paint.stroke(img, _at(g, cx_, cy_ + max(1.0, 0.06 * e)), line, 1.0, alpha=0.55 * k)
        for dy in (0.12, -0.08):
            wx = np.array([-half * 1.05, -half * 1.6])
            wy = np.array([0.0, dy * e * 2.0])
            paint.stroke(img, _at(g, wx, wy), light, 1.0, alpha=0.35 * k)

    if a >= 1.0:
        p_up = 1.0 - 0.45 * k  # flatter, drooping upper lid as it lowers
        upper = (a / 2.0) * np.sin(t) ** p_up
        lower = -(a / 2.0) * np.sin(t) ** 1.1
        almond = np.concatenate([_at(g, xs, upper), _at(g, xs[::-1], lower[::-1])])
        eye_rgb = np.array([0.018, 0.016, 0.022], np.float32)
        paint.fill(img, [almond], eye_rgb, alpha=1.0)
        # Glossy lower reflection (the environment in the cornea).
        refl = _at(g, *paint.ellipse_points(-0.05 * e, -0.18 * a, 0.32 * e, 0.18 * a, 0.0, 20).T)
        paint.fill(img, [refl], eye_rgb + 0.07 * gloss, alpha=0.6, blur=max(0.5, 0.05 * e))
        # Lid edge along the upper lid.
        paint.stroke(img, _at(g, xs, upper + 0.3), line, max(1.0, 0.05 * e), alpha=0.5)
        # Specular highlight, shrinking and fading as the eye closes.
        openness = a / max(open_ratio * e, 1e-6)
        if openness > 0.12:
            r = max(0.6, 0.11 * e * openness ** 0.5)
            hx, hy = 0.16 * e, 0.18 * a
            hl = _at(g, *paint.ellipse_points(hx, hy, r, r * 0.85, 0.0, 16).T)
            paint.fill(img, [hl], (0.97, 0.96, 0.93), alpha=min(1.0, (openness - 0.12) * 3.0) * gloss, blur=0.4)
    else:
        # Closed: a dark slit with a lighter lid line above it.
        slit_y = 0.02 * e * np.sin(t)
        paint.stroke(img, _at(g, xs, slit_y), (0.01, 0.01, 0.012), max(1.0, 0.06 * e), alpha=0.95)
        paint.stroke(img, _at(g, xs * 0.9, slit_y + max(1.0, 0.06 * e)), line, 1.0, alpha=0.7)

    h = region_height(score, e, open_ratio, gamma)
    region = _at(g, *paint.ellipse_points(0.0, 0.0, half, h / 2.0, 0.0, 32).T)
    paint.label(lab, [region], 3)
    return h
