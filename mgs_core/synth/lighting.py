"""Back- and rim-lighting of a drawn mouse: the dark-field infrared look of many head-fixed set-ups.

A black mouse in front of a dark background, lit from behind or from the side by an infrared lamp, is mostly a dark
shape with a bright rim along the edges that face the lamp, bright fringe hairs standing out of that rim, and a
bright glint in the eye. :func:`rim_light` adds that light to a float canvas (0-1 RGB) from the canvas' label map
(classes 1-3 are the animal), before the camera model is applied; the labels do not change.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class RimLight:
    """One lamp: its direction in the image (radians, 0 = from the right, pi/2 = from below), how bright the rim is
    (0-1 added), how deep it reaches into the silhouette (as a share of the head length), how tightly it is held to the
    edges that face the lamp (cosine power), a soft key light over the whole animal, and the fringe hairs."""

    angle: float
    strength: float
    depth: float
    focus: float
    key: float
    hairs: float  # hairs per edge pixel facing the lamp
    hair_length: float  # as a share of the head length
    hair_strength: float


def random_rim_light(rng: np.random.Generator) -> RimLight:
    return RimLight(angle=float(rng.uniform(0, 2 * np.pi)), strength=float(rng.uniform(0.3, 1.0)),
                    depth=float(np.exp(rng.uniform(np.log(0.015), np.log(0.08)))), focus=float(rng.uniform(0.5, 3.0)),
                    key=float(rng.uniform(0.0, 0.12)), hairs=float(rng.uniform(0.0, 0.5)),
                    hair_length=float(rng.uniform(0.03, 0.12)), hair_strength=float(rng.uniform(0.2, 0.8)))


def rim_light(img: np.ndarray, lab: np.ndarray, light: RimLight, head_length: float,
              rng: np.random.Generator) -> None:
    """Light the animal of ``lab`` (classes 1-3) on ``img`` in place (module docstring). ``head_length``: canvas px."""
    animal = np.isin(lab, (1, 2, 3)).astype(np.uint8)
    if not animal.any():
        return
    dist = cv2.distanceTransform(animal, cv2.DIST_L2, 3)
    outside = cv2.distanceTransform(1 - animal, cv2.DIST_L2, 3)
    sdf = cv2.GaussianBlur(dist - outside, (0, 0), max(1.0, 0.01 * head_length))
    gx = cv2.Sobel(sdf, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(sdf, cv2.CV_32F, 0, 1, ksize=3)
    norm = np.sqrt(gx * gx + gy * gy) + 1e-6
    lx, ly = np.cos(light.angle), np.sin(light.angle)
    facing = np.clip(-(gx * lx + gy * ly) / norm, 0.0, 1.0) ** light.focus  # outward normal . lamp direction
    depth = max(0.8, light.depth * head_length)
    rim = light.strength * np.exp(-dist / depth) * facing * animal
    rim += light.key * animal
    img += rim[..., None].astype(np.float32)
    if light.hairs > 0:
        _fringe(img, animal, dist, facing, light, head_length, rng)
    np.clip(img, 0.0, 1.0, out=img)


def _fringe(img: np.ndarray, animal: np.ndarray, dist: np.ndarray, facing: np.ndarray, light: RimLight,
            head_length: float, rng: np.random.Generator) -> None:
    """Thin bright hairs standing out of the lit edge, pointing away from the body (drawn on the image only)."""
    edge = (animal > 0) & (dist <= 1.5) & (facing > 0.3)
    ys, xs = np.nonzero(edge)
    if len(xs) == 0:
        return
    n = int(min(4000, light.hairs * len(xs)))
    if n == 0:
        return
    pick = rng.choice(len(xs), size=n, replace=len(xs) < n)
    layer = np.zeros(animal.shape, np.float32)
    length = max(2.0, light.hair_length * head_length)
    outward = cv2.GaussianBlur(animal.astype(np.float32), (0, 0), max(1.0, 0.02 * head_length))
    gx = cv2.Sobel(outward, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(outward, cv2.CV_32F, 0, 1, ksize=3)
    for k in pick:
        x, y = int(xs[k]), int(ys[k])
        dx, dy = -gx[y, x], -gy[y, x]
        nrm = float(np.hypot(dx, dy)) or 1.0
        a = np.arctan2(dy / nrm, dx / nrm) + rng.normal(0.0, 0.35)
        ln = length * rng.uniform(0.4, 1.2)
        x1, y1 = x + ln * np.cos(a), y + ln * np.sin(a)
        v = float(light.hair_strength * facing[y, x] * rng.uniform(0.4, 1.0))
        cv2.line(layer, (x * 4, y * 4), (int(x1 * 4), int(y1 * 4)), v, 1, cv2.LINE_AA, shift=2)
    img += layer[..., None]
