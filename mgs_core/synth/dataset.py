"""Synthetic labelled crops: ``render_item`` (one crop) and ``make_dataset`` (a dataset folder, optionally parallel).

Each item renders a single-box scene at modest resolution (or, for ~15% "close-ups", a region tight around the head),
then crops the ROI with the project's own ``geometry.crop_roi`` and the label map with the same transform
(nearest-neighbour), so training crops and inference crops have identical geometry. Item ``i`` of seed ``s`` uses
``numpy.random.default_rng([s, i])``: items do not depend on ``n``, on the number of workers, or on their order.
"""
from __future__ import annotations

import multiprocessing
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from mgs_core.errors import InputError
from mgs_core.geometry import crop_roi, crop_transform
from mgs_core.io.dataset import LabelledDataset, LabelledSample, load_dataset, prepare_folder, write_labels, write_sample
from mgs_core.synth.mouse import TextureCache, eye_anchor, random_look
from mgs_core.synth.render import MouseSpec, place_in_box, random_pose, render_scene
from mgs_core.synth.scene import random_style
from mgs_core.types import Roi

HIDDEN_FRACTION = 0.12
CLOSEUP_FRACTION = 0.15
EXTRA_COLUMNS = ["eye_length", "facing", "hidden", "closeup", "greyscale", "background", "seed", "index"]


@dataclass(frozen=True)
class SynthItem:
    """One rendered, cropped and labelled item (crop pixels)."""

    image: np.ndarray  # size x size x 3 uint8 RGB
    mask: np.ndarray  # size x size uint8 0-3
    eye_visible: bool
    eye_x: float | None
    eye_y: float | None
    score: float | None
    eye_length: float | None
    facing: int
    hidden: str
    closeup: bool
    greyscale: bool
    background: str

    def to_sample(self, seed: int, index: int) -> LabelledSample:
        extra = {"eye_length": self.eye_length, "facing": "right" if self.facing > 0 else "left",
                 "hidden": self.hidden or "", "closeup": self.closeup, "greyscale": self.greyscale,
                 "background": self.background, "seed": seed, "index": index}
        return LabelledSample(self.image, self.mask, self.eye_x, self.eye_y, self.eye_visible, self.score, extra)


def crop_labels(labels: np.ndarray, roi: Roi, size: int) -> np.ndarray:
    """The label map cropped with exactly the geometry of ``crop_roi`` (nearest neighbour, no class mixing)."""
    t = crop_transform(roi, size)
    sub = labels[roi.y : roi.y + roi.h, roi.x : roi.x + roi.w]
    return cv2.warpAffine(sub, t.matrix(), (size, size), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)


def render_item(seed: int, index: int, size: int = 256, score: float | None = None, hidden: str | None = None,
                closeup: bool | None = None, cache: TextureCache | None = None) -> SynthItem:
    """Render dataset item ``index`` of ``seed``. ``score``/``hidden``/``closeup`` override the random draw (tests, figures)."""
    rng = np.random.default_rng([int(seed), int(index)])
    draw_hidden = rng.random() < HIDDEN_FRACTION
    kind = str(rng.choice(["turned", "grooming"])) if draw_hidden else ""
    hidden = kind if hidden is None else hidden
    s = float(rng.uniform(0.0, 9.0))
    s = s if score is None else float(score)
    is_closeup = bool(rng.random() < CLOSEUP_FRACTION) if closeup is None else bool(closeup)
    style = random_style(rng)
    look = random_look(rng, style.greyscale)
    if not is_closeup:
        bw = float(rng.uniform(230, 340))
        bh = bw / rng.uniform(1.2, 1.5)
        m = 16
        width, height = int(np.ceil(bw + 2 * m)), int(np.ceil(bh + 2 * m))
        box = (m, m, int(bw), int(bh))
        pose = random_pose(rng, bw * rng.uniform(0.62, 0.9), hidden)
        pose = place_in_box(pose, look, box, rng)
        jx, jy = rng.uniform(-0.03, 0.03, 2) * np.array([bw, bh])
        grow = rng.uniform(0.97, 1.06)
        rw, rh = int(min(bw * grow, width)), int(min(bh * grow, height))
        rx = int(np.clip(m + (bw - rw) / 2 + jx, 0, width - rw))
        ry = int(np.clip(m + (bh - rh) / 2 + jy, 0, height - rh))
        roi = Roi("box", rx, ry, rw, rh)
    else:
        c = int(rng.uniform(230, 300))
        width = height = c
        pose = random_pose(rng, c * rng.uniform(1.0, 1.8), hidden)
        ex, ey = eye_anchor(pose, look)
        tx, ty = rng.uniform(0.3, 0.7) * c, rng.uniform(0.3, 0.65) * c
        pose = replace(pose, x=pose.x + tx - ex, y=pose.y + ty - ey)
        box = (int(c * rng.uniform(-1.2, -0.2)), int(c * rng.uniform(-0.8, -0.1)), int(c * 2.2), int(c * 1.6))
        roi = Roi("head", 0, 0, c, c)
    spec = MouseSpec(roi, pose, look, s if hidden == "" else None)
    frame = render_scene(width, height, [spec], style, rng, boxes=[box], cache=cache)
    image = crop_roi(frame.image, roi, size)
    mask = crop_labels(frame.labels, roi, size)
    t = crop_transform(roi, size)
    truth = frame.mice[0]
    if truth.eye_visible:
        ex, ey = t.to_crop(truth.eye_x, truth.eye_y)
        eye = (float(ex), float(ey), float(truth.eye_length * t.scale))
        visible = bool((mask == 3).any())
    else:
        eye, visible = (None, None, None), False
    if not visible:
        mask[mask == 3] = 1
        eye = (None, None, None)
    return SynthItem(image, mask, visible, eye[0], eye[1], s if visible else None, eye[2], pose.facing, hidden,
                     is_closeup, style.greyscale, style.background)


def _work(args) -> list[dict[str, str]]:
    out_dir, seed, indices, size, fmt = args
    cache = TextureCache()
    rows = []
    for i in indices:
        item = render_item(seed, i, size, cache=cache)
        rows.append(write_sample(out_dir, i, item.to_sample(seed, i), fmt))
    return rows


def make_dataset(out_dir: str | Path, n: int, seed: int, size: int = 256, workers: int = 2, fmt: str = "png",
                 progress: Callable[[int, int], None] | None = None) -> LabelledDataset:
    """Render ``n`` items into ``out_dir`` (images/, masks/, labels.csv). Output is identical for any ``workers``."""
    if n <= 0:
        raise InputError(f"--n must be positive, got {n}")
    if size < 32:
        raise InputError(f"--size must be at least 32 pixels, got {size}")
    if workers <= 0:
        raise InputError(f"--workers must be positive, got {workers}")
    if fmt not in ("png", "jpg"):
        raise InputError(f"--format must be png or jpg, got {fmt!r}")
    out_dir = prepare_folder(out_dir)
    chunk = 25
    jobs = [(str(out_dir), int(seed), list(range(a, min(a + chunk, n))), size, fmt) for a in range(0, n, chunk)]
    rows: list[dict[str, str]] = []
    if workers == 1 or len(jobs) == 1:
        for j in jobs:
            rows += _work(j)
            if progress:
                progress(len(rows), n)
    else:
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(min(workers, len(jobs))) as pool:
            for part in pool.imap(_work, jobs):
                rows += part
                if progress:
                    progress(len(rows), n)
    write_labels(out_dir, rows, EXTRA_COLUMNS)
    return load_dataset(out_dir, verify_images=False)


def stderr_progress(label: str) -> Callable[[int, int], None]:
    """A progress callback printing ``label: done/total`` on stderr (one updating line)."""
    start = time.monotonic()

    def report(done: int, total: int) -> None:
        rate = done / max(time.monotonic() - start, 1e-6)
        end = "\n" if done >= total else ""
        print(f"\r{label}: {done}/{total} ({rate:.1f}/s)", end=end, file=sys.stderr, flush=True)

    return report
