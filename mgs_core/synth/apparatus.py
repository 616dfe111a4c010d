"""Laboratory apparatus and occluders drawn in front of the mouse: head post, body tube, lick spout, wires, a bright
reflective object and a (gloved) hand. All of it is background (class 0): it overwrites the label map where it lies.

Positions are given relative to a :class:`HeadFrame` (eye centre, nose direction, head size) so parts land where
they do on a head-fixed rig. :func:`draw_face_occluder` puts one part across the eye region on purpose (the caller
then marks the eye hidden, ``hidden = "occluded"``, when class-3 pixels were covered).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mgs_core.synth import paint

PARTS = ("post", "tube", "spout", "wire", "reflector", "hand")


@dataclass(frozen=True)
class HeadFrame:
    """Canvas geometry of the head the apparatus is arranged around."""

    x: float  # eye centre
    y: float
    ux: float  # unit vector towards the nose
    uy: float
    size: float  # head length, pixels

    def at(self, fu: float, fv: float) -> np.ndarray:
        """Point ``fu`` head lengths forward and ``fv`` up (v = u rotated towards the top of the head)."""
        vx, vy = self.uy, -self.ux
        if vy > 0:
            vx, vy = -vx, -vy
        return np.array([self.x + self.size * (fu * self.ux + fv * vx), self.y + self.size * (fu * self.uy + fv * vy)])


def _metal(rng: np.random.Generator, grey: bool) -> np.ndarray:
    v = rng.uniform(0.35, 0.8)
    tint = np.array([1.0, 1.0, 1.0]) if grey else np.array([1.0, rng.uniform(0.9, 1.0), rng.uniform(0.8, 1.05)])
    return np.clip(v * tint, 0, 1).astype(np.float32)


def _bar(img, lab, a, b, width, col, rng, shine: bool = True) -> None:
    poly = paint.rect_points(a[0], a[1], b[0], b[1], width)
    paint.fill(img, [poly], col, blur=0.5)
    if shine:  # a specular stripe along the bar
        d = (b - a) / (np.linalg.norm(b - a) + 1e-9)
        n = np.array([-d[1], d[0]]) * width * rng.uniform(-0.3, 0.3)
        stripe = paint.rect_points(*(a + n), *(b + n), max(1.0, width * rng.uniform(0.08, 0.2)))
        paint.fill(img, [stripe], np.minimum(col * 1.6 + 0.3, 1.0), alpha=rng.uniform(0.5, 0.95), blur=0.6)
    paint.label(lab, [poly], 0)


def draw_part(img: np.ndarray, lab: np.ndarray, rng: np.random.Generator, head: HeadFrame, part: str,
              grey: bool, at: np.ndarray | None = None) -> None:
    """Draw one apparatus ``part`` around ``head`` (or centred on ``at`` for a face occluder)."""
    s = head.size
    h, w = img.shape[:2]
    far = 3.0 * max(h, w)
    if part == "post":  # head bar: from above the skull out of the picture (up or sideways)
        a = head.at(rng.uniform(-0.6, 0.1), rng.uniform(0.3, 0.5)) if at is None else at
        ang = rng.uniform(-2.6, -0.5)
        b = a + far * np.array([np.cos(ang), np.sin(ang)])
        _bar(img, lab, a, b, s * rng.uniform(0.12, 0.3), _metal(rng, grey), rng)
        screw = paint.ellipse_points(*a, s * 0.09, s * 0.09, 0.0, 20)
        paint.fill(img, [screw], _metal(rng, grey) * 0.6, blur=0.5)
        paint.label(lab, [screw], 0)
    elif part == "tube":  # body tube behind the head, seen from the side
        a = head.at(rng.uniform(-1.0, -0.6), rng.uniform(-0.4, 0.0))
        b = a - far * np.array([head.ux, head.uy])
        col = np.float32([0.15, 0.15, 0.17]) * rng.uniform(0.6, 4.0) if rng.random() < 0.6 else _metal(rng, grey)
        _bar(img, lab, a, b, s * rng.uniform(1.2, 2.0), np.clip(col, 0, 1), rng)
        rim = paint.rect_points(*(a - 0.02 * s * np.array([head.ux, head.uy])), *a, s * 1.6)
        paint.fill(img, [rim], np.clip(col * 1.5 + 0.1, 0, 1), alpha=0.6, blur=0.5)
    elif part == "spout":  # lick spout ending at the mouth, with a bright droplet
        tip = head.at(rng.uniform(0.7, 1.0), rng.uniform(-0.45, -0.25)) if at is None else at
        ang = np.arctan2(head.uy, head.ux) + rng.uniform(-0.8, 0.8)
        b = tip + far * np.array([np.cos(ang), np.sin(ang)])
        _bar(img, lab, tip, b, max(2.0, s * rng.uniform(0.05, 0.1)), _metal(rng, grey), rng)
        drop = paint.ellipse_points(*tip, s * 0.04, s * 0.04, 0.0, 16)
        paint.fill(img, [drop], (0.95, 0.95, 0.97), alpha=rng.uniform(0.5, 1.0), blur=0.6)
    elif part == "wire":
        p0 = head.at(rng.uniform(-1.5, 1.5), rng.uniform(-1.0, 1.0)) if at is None else at
        ang = rng.uniform(0, 2 * np.pi)
        tt = np.linspace(-1, 1, 16)[:, None]
        d = np.array([np.cos(ang), np.sin(ang)])
        nrm = np.array([-d[1], d[0]])
        pts = p0 + tt * far * 0.4 * d + nrm * (rng.uniform(-0.3, 0.3) * s * np.sin(tt * rng.uniform(1, 3)))
        col = np.float32(rng.uniform(0.0, 1.0, 3)) if not grey else np.float32([rng.uniform(0.05, 0.9)] * 3)
        th = max(1.5, s * rng.uniform(0.02, 0.06))
        paint.stroke(img, pts, col, th, alpha=1.0)
        paint.label_stroke(lab, pts, 0, th)
    elif part == "reflector":  # a shiny round object (screw head, LED, metal cap): bright, eye-sized
        c = head.at(rng.uniform(-1.2, 1.4), rng.uniform(-0.8, 0.9)) if at is None else at
        r = s * rng.uniform(0.05, 0.18)
        disc = paint.ellipse_points(*c, r, r * rng.uniform(0.7, 1.0), rng.uniform(0, np.pi), 24)
        paint.fill(img, [disc], _metal(rng, grey) * rng.uniform(0.3, 0.9), blur=0.5)
        hl = paint.ellipse_points(c[0] + r * 0.2, c[1] - r * 0.2, r * 0.35, r * 0.3, 0.0, 16)
        paint.fill(img, [hl], (1.0, 1.0, 1.0), alpha=0.95, blur=0.6)
        paint.label(lab, [disc], 0)
    elif part == "hand":  # a gloved (blue/purple/white) or bare hand: palm plus fingers, coming in from an edge
        c = head.at(rng.uniform(-0.5, 1.5), rng.uniform(-1.0, 1.0)) if at is None else at
        if grey:
            col = np.float32([rng.uniform(0.3, 0.9)] * 3)
        else:
            col = np.float32([[0.35, 0.45, 0.85], [0.55, 0.4, 0.75], [0.9, 0.9, 0.88], [0.85, 0.62, 0.52]]
                             [int(rng.integers(0, 4))]) * rng.uniform(0.7, 1.1)
        draw_hand(img, lab, rng, c, s * rng.uniform(0.8, 1.6), np.clip(col, 0, 1))
    else:
        raise ValueError(part)


def draw_hand(img, lab, rng: np.random.Generator, c: np.ndarray, size: float, col: np.ndarray) -> None:
    """A palm with four fingers and a thumb, the wrist pointing away along a random direction."""
    ang = rng.uniform(0, 2 * np.pi)
    d = np.array([np.cos(ang), np.sin(ang)])
    n = np.array([-d[1], d[0]])
    palm = paint.ellipse_points(*c, size * 0.45, size * 0.38, ang, 28)
    wrist = paint.rect_points(*(c - d * size * 0.2), *(c - d * size * 4), size * 0.62)
    polys = [palm, wrist]
    for i, off in enumerate(np.linspace(-0.28, 0.28, 4)):
        base = c + d * size * 0.35 + n * size * off
        tip = base + (d * size * rng.uniform(0.45, 0.7) + n * size * rng.uniform(-0.1, 0.1))
        polys.append(paint.rect_points(*base, *tip, size * 0.15))
    thumb_base = c + n * size * 0.38
    polys.append(paint.rect_points(*thumb_base, *(thumb_base + (n * 0.5 + d * 0.3) * size), size * 0.17))
    for p in polys:
        paint.fill(img, [p], col, blur=0.8)
    for p in polys[2:]:  # finger gaps and nails catch a little shadow/light
        paint.stroke(img, np.vstack([p[0], p[1]]), col * 0.6, max(1.0, size * 0.02), alpha=0.6)
    paint.label(lab, polys, 0)


def draw_face_occluder(img, lab, rng: np.random.Generator, head: HeadFrame, grey: bool) -> str:
    """One part deliberately across the eye (hand, head post, spout, wire or reflector). Returns the part name."""
    part = str(rng.choice(["hand", "post", "wire", "spout", "reflector"], p=[0.35, 0.25, 0.15, 0.1, 0.15]))
    jitter = head.size * rng.uniform(-0.08, 0.08, 2)
    at = np.array([head.x, head.y]) + jitter
    if part == "reflector":  # big enough to cover the eye
        r = head.size * rng.uniform(0.15, 0.28)
        disc = paint.ellipse_points(*at, r, r, 0.0, 28)
        paint.fill(img, [disc], _metal(rng, grey) * rng.uniform(0.4, 1.0), blur=0.5)
        hl = paint.ellipse_points(at[0] + r * 0.25, at[1] - r * 0.25, r * 0.3, r * 0.25, 0.0, 16)
        paint.fill(img, [hl], (1.0, 1.0, 1.0), alpha=0.9, blur=0.6)
        paint.label(lab, [disc], 0)
    elif part == "post":
        ang = rng.uniform(0, np.pi)
        d = np.array([np.cos(ang), np.sin(ang)]) * 3.0 * max(img.shape[:2])
        _bar(img, lab, at - d, at + d, head.size * rng.uniform(0.18, 0.32), _metal(rng, grey), rng)
    elif part == "wire" or part == "spout":
        ang = rng.uniform(0, np.pi)
        d = np.array([np.cos(ang), np.sin(ang)]) * 3.0 * max(img.shape[:2])
        col = _metal(rng, grey) if part == "spout" else np.float32([rng.uniform(0.05, 0.9)] * 3)
        _bar(img, lab, at - d, at + d, head.size * rng.uniform(0.15, 0.25), col, rng, shine=part == "spout")
    else:
        draw_part(img, lab, rng, head, "hand", grey, at=at + head.size * 0.1 * rng.uniform(-1, 1, 2))
    return part
