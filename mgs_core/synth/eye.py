"""The eye: how the orbital-tightening score s in [0, 9] changes a mouse's eye, and its label region.

Score -> aperture (monotonic, the documented mapping): the lid opening is ``a = open_height * (1 - s/9) ** gamma``
with ``open_height = open_ratio * length`` (open_ratio 0.62-0.82, gamma 0.85-1.25 per animal), so ``a`` falls
strictly from the open height at s = 0 to 0 at s = 9.

Appearance (drawn in canvas pixels around the eye centre, along the head's forward axis ``u`` and up axis ``v``),
with the closing ``c = 1 - a/open_height`` and the tightening strength ``k = clip((s - 2)/7, 0, 1)``:
- open: a near-black glossy almond with one to three specular highlights (size/position per animal) and, under IR,
  sometimes a large bright corneal reflection; a lid margin line and a lighter periorbital ring;
- tightening: the upper lid lowers (60-75% of the closing) *and* the lower lid rises (the rest), so the lids meet
  on a line somewhat below the centre; the highlight shrinks and is gone once ``a`` drops below ~35% of the open
  height; the periorbital area narrows and is shaded (a sunken orbit); fur strands converge onto the lid line;
  squint wrinkles grow behind and above the eye; a dark crease runs where the lids meet once half shut;
- closed (a below ~1 px): only a dark crease, tapering at the corners and following the upper lid's arch, with the
  lid margins and converging fur.

Label region (class 3, the **eye-mask definition**, fixed): an ellipse of the eye's length ``e`` whose height is
``sqrt(a**2 + (0.3 e)**2)`` (a smooth maximum of the aperture and 30% of the length), centred on the eye centre
(the point the head defines, also when the lids are shut). So a closed eye is still a labelled, visible eye (a thick
region), and the region height decreases strictly with the score.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from mgs_core.synth import paint

MIN_REGION_RATIO = 0.3  # region height floor as a fraction of eye length
HIGHLIGHT_MIN_OPENNESS = 0.35  # below this fraction of the open height no highlight is drawn


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


@dataclass(frozen=True)
class EyeLook:
    """Per-animal eye appearance (constant over a video)."""

    ring: float = 0.7  # periorbital ring visibility 0-1
    gloss: float = 0.8  # highlight strength 0-1
    highlights: int = 1  # number of specular highlights (1-3)
    hl_x: float = 0.16  # main highlight position, fractions of the eye length / aperture
    hl_y: float = 0.18
    hl_size: float = 0.11  # main highlight radius / eye length
    ir_glint: float = 0.0  # strength of a large bright corneal reflection (IR illuminators), 0 = none
    upper_share: float = 0.68  # fraction of the closing done by the upper lid
    lid_rgb: tuple[float, float, float] | None = None  # lid margin colour (None: derived from the fur)
    wrinkles: float = 0.8  # squint wrinkle strength


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


def _converging_fur(img, g: EyeGeometry, fur, light, line_y: float, k: float, rh: float) -> None:
    """Short irregular strands from around the orbit pointing onto the lid line (tightened eyes)."""
    e = g.length
    half = e / 2.0
    n = 14 if e >= 30 else 8
    jit = np.random.default_rng(int(e * 1000) % 2**31).uniform(-1, 1, (n, 3))  # fixed by the geometry
    for i in range(n):
        f = (i + 0.5 + 0.35 * jit[i, 0]) / n
        side = 1.0 if i % 2 == 0 else -1.0
        x0 = (-0.95 + 1.9 * f) * half
        y0 = line_y + side * (0.35 + 0.25 * (1 - abs(2 * f - 1))) * rh * (1.6 + 0.4 * jit[i, 1])
        x1, y1 = x0 * (0.8 + 0.1 * jit[i, 2]), line_y + side * 0.06 * e
        col = light if i % 3 else fur * 0.4
        paint.stroke(img, _at(g, np.array([x0, x1]), np.array([y0, y1])), col, max(1.0, 0.025 * e), alpha=0.3 * k)


def _crease(g: EyeGeometry, xs: np.ndarray, t: np.ndarray, mid: float, width: float) -> np.ndarray:
    """A thin lens along the (slightly arched) lid line, widest in the middle and tapering at the corners."""
    arch = mid + 0.05 * g.length * np.sin(t)
    w = width / 2.0 * np.sin(t) ** 0.6 + 0.15
    return np.concatenate([_at(g, xs, arch + w), _at(g, xs[::-1], (arch - w)[::-1])])


def draw_eye(img: np.ndarray, lab: np.ndarray, g: EyeGeometry, score: float, open_ratio: float, gamma: float,
             fur_rgb, ring: float, gloss: float, look: EyeLook | None = None) -> float:
    """Paint the eye into ``img`` and its region into ``lab`` (class 3). Returns the region height in pixels."""
    look = replace(look or EyeLook(), ring=float(ring), gloss=float(gloss))
    e = g.length
    half = e / 2.0
    a0 = open_ratio * e
    a = aperture(score, a0, gamma)
    c = 1.0 - a / max(a0, 1e-6)  # closing 0..1
    k = min(max((score - 2.0) / 7.0, 0.0), 1.0)  # tightening strength for crease, wrinkles and converging fur
    fur = np.asarray(fur_rgb, np.float32)
    light = np.clip(fur * 1.8 + 0.05 * look.ring + 0.02, 0.0, 1.0)
    line = np.asarray(look.lid_rgb, np.float32) if look.lid_rgb is not None else np.clip(fur * 2.2 + 0.08, 0.0, 1.0)
    thin = max(1.0, 0.035 * e)
    n = 24 if e < 40 else 40
    t = np.linspace(0.0, np.pi, n)
    xs = -np.cos(t) * half
    # Lid positions: the upper lid lowers, the lower lid rises; they meet at line_y when shut.
    top = a0 / 2.0 - c * a0 * look.upper_share
    bot = -a0 / 2.0 + c * a0 * (1.0 - look.upper_share)
    mid = (top + bot) / 2.0
    line_y = a0 / 2.0 - a0 * look.upper_share

    # Periorbital ring: lighter, sparser fur around the eye, narrowing as the orbit tightens.
    rh = (max(a, 0.25 * e) / 2.0) * (1.35 - 0.25 * k) + 0.14 * e
    ring_poly = _at(g, *paint.ellipse_points(0.0, mid, half * (1.3 - 0.1 * k) + 1.0, rh, 0.0, 32).T)
    paint.fill(img, [ring_poly], light, alpha=0.55 * look.ring, blur=max(0.6, 0.08 * e))

    if k > 0:
        # A tightened orbit looks sunken: soft shade around the lid line.
        shade = _at(g, *paint.ellipse_points(0.0, mid, half * 1.05, 0.22 * e, 0.0, 24).T)
        paint.fill(img, [shade], fur * 0.45, alpha=0.35 * k, blur=max(0.8, 0.1 * e))
        if e >= 14:
            _converging_fur(img, g, fur, light, mid, k, rh)
        # Crease above the eye and squint wrinkles behind it.
        cy0 = top + 0.16 * e + 0.05 * e * (1 - k)
        cx_ = np.linspace(-0.5 * half, 0.9 * half, 12)
        cy_ = cy0 + 0.1 * e * np.sin(np.linspace(0, np.pi, 12))
        paint.stroke(img, _at(g, cx_, cy_), fur * 0.35, max(1.0, 0.06 * e), alpha=0.8 * k * look.wrinkles)
        paint.stroke(img, _at(g, cx_, cy_ + max(1.0, 0.05 * e)), line, thin, alpha=0.25 * k * look.wrinkles)
        for j, dy in enumerate((0.14, 0.0, -0.12)):
            wx = np.linspace(-half * 1.02, -half * (1.5 + 0.15 * j), 5)
            wy = mid + dy * e * np.linspace(0, 2.0, 5) + 0.03 * e * np.sin(np.linspace(0, np.pi, 5))
            paint.stroke(img, _at(g, wx, wy), fur * 0.3, thin, alpha=0.6 * k * look.wrinkles)
            paint.stroke(img, _at(g, wx, wy + thin), light, thin, alpha=0.35 * k * look.wrinkles)

    if a >= 1.0:
        p_up = 1.0 - 0.45 * k  # flatter, drooping upper lid as it lowers
        upper = mid + (a / 2.0) * np.sin(t) ** p_up
        lower = mid - (a / 2.0) * np.sin(t) ** (1.1 - 0.3 * k)
        almond = np.concatenate([_at(g, xs, upper), _at(g, xs[::-1], lower[::-1])])
        eye_rgb = np.array([0.018, 0.016, 0.022], np.float32)
        paint.fill(img, [almond], eye_rgb, alpha=1.0)
        # Glossy lower reflection (the environment in the cornea).
        refl = _at(g, *paint.ellipse_points(-0.05 * e, mid - 0.18 * a, 0.32 * e, 0.18 * a, 0.0, 20).T)
        paint.fill(img, [refl], eye_rgb + 0.07 * look.gloss, alpha=0.6, blur=max(0.5, 0.05 * e))
        # Lid margins along both lids.
        paint.stroke(img, _at(g, xs, upper + 0.3), line, thin, alpha=0.5)
        paint.stroke(img, _at(g, xs * 0.9, lower - 0.3), line, thin, alpha=0.3)
        if c > 0.5:  # nearly shut: the lids' meeting line is a dark crease
            paint.fill(img, [_crease(g, xs, t, mid, thin)], (0.01, 0.01, 0.012), alpha=0.8, blur=0.4)
        openness = a / max(a0, 1e-6)
        if openness > HIGHLIGHT_MIN_OPENNESS:
            fade = min(1.0, (openness - HIGHLIGHT_MIN_OPENNESS) * 3.0) * look.gloss
            r = max(0.6, look.hl_size * e * openness ** 0.5)
            spots = [(look.hl_x, look.hl_y, 1.0), (-0.2, -0.15, 0.45), (0.02, 0.3, 0.3)][: look.highlights]
            for fx, fy, fs in spots:
                hl = _at(g, *paint.ellipse_points(fx * e, mid + fy * a, r * fs, r * fs * 0.85, 0.0, 16).T)
                paint.fill(img, [hl], (0.97, 0.96, 0.93), alpha=fade * (1.0 if fs == 1.0 else 0.8), blur=0.4)
            if look.ir_glint > 0:
                gl = _at(g, *paint.ellipse_points(0.05 * e, mid + 0.05 * a, 0.2 * e, 0.17 * a, 0.0, 20).T)
                paint.fill(img, [gl], (1.0, 1.0, 1.0), alpha=look.ir_glint * fade, blur=max(0.8, 0.05 * e))
    else:
        # Closed: a dark, tapering crease (following the upper lid's curve) with the lid margins meeting on it.
        slit_y = mid + 0.05 * e * np.sin(t)
        paint.fill(img, [_crease(g, xs, t, mid, max(1.2, 0.06 * e))], (0.01, 0.01, 0.012), alpha=0.95, blur=0.4)
        paint.stroke(img, _at(g, xs * 0.9, slit_y + max(1.0, 0.06 * e)), line, thin, alpha=0.6)
        paint.stroke(img, _at(g, xs * 0.8, slit_y - max(1.0, 0.06 * e)), line, thin, alpha=0.35)

    h = region_height(score, e, open_ratio, gamma)
    region = _at(g, *paint.ellipse_points(0.0, 0.0, half, h / 2.0, 0.0, 32).T)
    paint.label(lab, [region], 3)
    return h
