"""Frames without a mouse: an empty box of the rack/arena, random textures (noise, stripes, bedding, gradients),
a colour-bar test pattern (SMPTE-like), a gloved or bare hand, and apparatus alone. The label mask is all background.

``render_nomouse(rng_or_seed, kind, size)`` renders one such crop through the same camera model as the mice.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from mgs_core.synth import paint
from mgs_core.synth.apparatus import HeadFrame, draw_hand, draw_part
from mgs_core.synth.scene import SceneStyle, apply_camera, bedding_texture, draw_background, draw_box_back, draw_box_front, random_optics, random_style

NOMOUSE_KINDS = ("empty_box", "texture", "colour_bars", "hand", "apparatus")


@dataclass(frozen=True)
class NoMouseFrame:
    image: np.ndarray  # size x size x 3 uint8 RGB
    mask: np.ndarray  # size x size uint8, all 0
    kind: str
    greyscale: bool
    background: str
    style: SceneStyle  # camera parameters used


def _texture(img: np.ndarray, rng: np.random.Generator) -> str:
    h, w = img.shape[:2]
    which = str(rng.choice(["noise", "stripes", "bedding", "gradient"]))
    base = np.float32(rng.uniform(0.05, 0.9, 3))
    if which == "noise":
        s = int(rng.choice([2, 4, 8, 16, 32]))
        small = rng.standard_normal((max(2, h // s), max(2, w // s), 3)).astype(np.float32)
        tex = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC) * np.float32(rng.uniform(0.05, 0.3))
        img[:] = np.clip(base + tex, 0, 1)
    elif which == "stripes":
        period = rng.uniform(4, 60)
        ang = rng.uniform(0, np.pi)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        ph = (xx * np.cos(ang) + yy * np.sin(ang)) * (2 * np.pi / period)
        wave = np.sin(ph) if rng.random() < 0.5 else np.sign(np.sin(ph))
        other = np.float32(rng.uniform(0.0, 1.0, 3))
        f = (0.5 + 0.5 * wave)[..., None]
        img[:] = base * f + other * (1 - f)
    elif which == "bedding":
        img[:] = np.float32([0.75, 0.65, 0.5]) * rng.uniform(0.5, 1.2)
        img *= bedding_texture(rng, h, w)[..., None]
    else:
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        ang = rng.uniform(0, 2 * np.pi)
        g = ((xx * np.cos(ang) + yy * np.sin(ang)) / max(h, w) + 1) / 2
        other = np.float32(rng.uniform(0.0, 1.0, 3))
        img[:] = base * g[..., None] + other * (1 - g[..., None])
    np.clip(img, 0, 1, out=img)
    return which


def _colour_bars(img: np.ndarray, rng: np.random.Generator) -> None:
    h, w = img.shape[:2]
    bars = np.float32([[0.75, 0.75, 0.75], [0.75, 0.75, 0], [0, 0.75, 0.75], [0, 0.75, 0], [0.75, 0, 0.75],
                       [0.75, 0, 0], [0, 0, 0.75]])
    top = int(h * rng.uniform(0.6, 0.75))
    xs = np.linspace(0, w, 8).astype(int)
    for i in range(7):
        img[:top, xs[i]:xs[i + 1]] = bars[i]
        img[top:, xs[i]:xs[i + 1]] = bars[6 - i] * 0.3 if i % 2 else np.float32([0.07, 0.07, 0.07])
    low = int(h * 0.85)
    q = np.linspace(0, w, 5).astype(int)
    for i, v in enumerate([[0, 0.13, 0.3], [1, 1, 1], [0.2, 0, 0.4], [0.03, 0.03, 0.03]]):
        img[low:, q[i]:q[i + 1]] = v
    if rng.random() < 0.5:  # the channel logo / clock some sources overlay
        m = np.zeros((h, w), np.uint8)
        cv2.putText(m, str(int(rng.integers(0, 99))).zfill(2), (int(w * 0.05), int(h * 0.15)),
                    cv2.FONT_HERSHEY_SIMPLEX, h / 300, 255, max(1, h // 120), cv2.LINE_AA)
        a = (m.astype(np.float32) / 255.0)[..., None]
        img[:] = img * (1 - a) + a


def draw_nomouse(img: np.ndarray, rng: np.random.Generator, kind: str, greyscale: bool, style) -> str:
    """Paint a no-mouse scene of ``kind`` into the float canvas. Returns a short background description."""
    h, w = img.shape[:2]
    lab = np.zeros((h, w), np.uint8)  # apparatus helpers write labels; here everything stays background
    head = HeadFrame(w * rng.uniform(0.3, 0.7), h * rng.uniform(0.3, 0.7), 1.0, 0.0, min(h, w) * rng.uniform(0.2, 0.5))
    if kind == "empty_box":
        draw_background(img, style, rng)
        m = int(w * rng.uniform(0.0, 0.06))
        box = (m, m, w - 2 * m, h - 2 * m)
        draw_box_back(img, box, style, rng)
        draw_box_front(img, box, style, rng)
        return style.background
    if kind == "texture":
        return _texture(img, rng)
    if kind == "colour_bars":
        _colour_bars(img, rng)
        return "colour_bars"
    draw_background(img, style, rng)
    if kind == "hand":
        col = (np.float32([0.35, 0.45, 0.85]), np.float32([0.9, 0.9, 0.88]), np.float32([0.85, 0.62, 0.52]),
               np.float32([0.55, 0.4, 0.75]))[int(rng.integers(0, 4))]
        draw_hand(img, lab, rng, np.array([head.x, head.y]), head.size * rng.uniform(1.0, 2.0), col)
        return style.background
    for part in rng.choice(["post", "tube", "spout", "wire", "reflector"], size=int(rng.integers(2, 5)), replace=False):
        draw_part(img, lab, rng, head, str(part), greyscale)
    return style.background


def render_nomouse(rng_or_seed, kind: str | None = None, size: int = 256) -> NoMouseFrame:
    """One no-mouse crop (``size`` x ``size``). ``kind`` is one of NOMOUSE_KINDS (random when None)."""
    rng = rng_or_seed if isinstance(rng_or_seed, np.random.Generator) else np.random.default_rng(rng_or_seed)
    k = str(rng.choice(NOMOUSE_KINDS, p=[0.3, 0.25, 0.1, 0.15, 0.2])) if kind is None else kind
    if k not in NOMOUSE_KINDS:
        raise ValueError(f"unknown no-mouse kind {k!r}; expected one of {', '.join(NOMOUSE_KINDS)}")
    greyscale = bool(rng.random() < 0.4)
    style = random_optics(rng, random_style(rng, greyscale=greyscale), strong=greyscale)
    if k == "colour_bars":
        style = replace(style, greyscale=False)
    img = np.empty((size, size, 3), np.float32)
    bg = draw_nomouse(img, rng, k, greyscale, style)
    image = apply_camera(img, style, rng)
    return NoMouseFrame(image, np.zeros((size, size), np.uint8), k, style.greyscale, bg, style)
