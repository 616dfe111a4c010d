"""Tiny in-test labelled crops: a dark ellipse 'mouse' on red with a bright eye whose opening narrows with the score."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Item:
    image: np.ndarray
    mask: np.ndarray
    eye_x: float | None
    eye_y: float | None
    eye_visible: bool
    score: float | None
    row: int


def make_item(rng: np.random.Generator, row: int, visible: bool = True, size: int = 256) -> Item:
    img = np.zeros((size, size, 3), np.uint8)
    img[:] = (170 + rng.integers(-20, 20), 30, 30)
    mask = np.zeros((size, size), np.uint8)
    cx, cy = int(rng.integers(90, 166)), int(rng.integers(90, 166))
    cv2.ellipse(img, (cx, cy), (70, 45), 0, 0, 360, (25, 25, 28), -1)
    cv2.ellipse(mask, (cx, cy), (70, 45), 0, 0, 360, 1, -1)
    cv2.circle(img, (cx - 40, cy - 42), 12, (35, 30, 30), -1)
    cv2.circle(mask, (cx - 40, cy - 42), 12, 2, -1)
    score = float(rng.uniform(0, 9))
    ex, ey = cx + 35, cy - 10
    if visible:
        h = max(1, int(round(8 * (1 - score / 10.0))))
        cv2.ellipse(img, (ex, ey), (9, h), 0, 0, 360, (200, 200, 210), -1)
        cv2.ellipse(mask, (ex, ey), (9, h), 0, 0, 360, 3, -1)
    return Item(img, mask, float(ex) if visible else None, float(ey) if visible else None, visible, score, row)


def make_items(n: int, seed: int = 0, invisible_every: int = 0) -> list[Item]:
    rng = np.random.default_rng(seed)
    return [make_item(rng, i, visible=not (invisible_every and i % invisible_every == 0)) for i in range(n)]
