"""Docs figures: a rendered frame beside its colourised label mask, and the eye strip for scores 0-9."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from mgs_core.errors import InputError
from mgs_core.synth.dataset import render_item
from mgs_core.synth.render import render_rack

CLASS_COLOURS = np.array([[30, 30, 30], [90, 150, 230], [240, 200, 60], [250, 60, 200]], np.uint8)  # RGB
FIGURE_SEED = 1900  # sample-data seed range 1000-1999


def colourise(labels: np.ndarray) -> np.ndarray:
    """Label map (0-3) -> RGB image (background dark, animal blue, ears yellow, eyes magenta)."""
    return CLASS_COLOURS[np.clip(labels, 0, 3)]


def frame_mask_figure(width: int = 1920, height: int = 1080, mice: int = 4, seed: int = FIGURE_SEED) -> np.ndarray:
    f = render_rack(width, height, mice, seed, scores=[0.5, 3.0, 6.0, 8.8][:mice] if mice <= 4 else None)
    half = (width // 2, height // 2)
    left = cv2.resize(f.image, half, interpolation=cv2.INTER_AREA)
    right = cv2.resize(colourise(f.labels), half, interpolation=cv2.INTER_NEAREST)
    gap = np.full((half[1], 8, 3), 255, np.uint8)
    return np.hstack([left, gap, right])


def _label(img: np.ndarray, text: str) -> np.ndarray:
    bar = np.full((26, img.shape[1], 3), 255, np.uint8)
    cv2.putText(bar, text, (6, 19), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    return np.vstack([bar, img])


def eye_strip(indices=(6, 4, 2, 3), seed: int = FIGURE_SEED, patch: int = 50, zoom: int = 3) -> np.ndarray:
    """Rows of 50x50 eye patches (from the 256-px crop, as the regressor sees them) for scores 0, 1, ..., 9."""
    rows = []
    for idx in indices:
        tiles = []
        for s in range(10):
            it = render_item(seed, idx, score=float(s), hidden="")
            x, y = int(round(it.eye_x)), int(round(it.eye_y))
            pad = np.pad(it.image, ((patch, patch), (patch, patch), (0, 0)), mode="edge")
            p = pad[y + patch - patch // 2 : y + patch + patch // 2, x + patch - patch // 2 : x + patch + patch // 2]
            p = cv2.resize(p, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_NEAREST)
            tiles.append(_label(p, f"score {s}"))
            tiles.append(np.full((tiles[-1].shape[0], 4, 3), 255, np.uint8))
        rows.append(np.hstack(tiles[:-1]))
        rows.append(np.full((4, rows[-1].shape[1], 3), 255, np.uint8))
    return np.vstack(rows[:-1])


def make_figures(out_dir: str | Path) -> list[Path]:
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {out}: {exc.strerror or exc}") from None
    paths = []
    for name, img in (("synth_frame_mask.png", frame_mask_figure()), ("eye_strip.png", eye_strip())):
        p = out / name
        if not cv2.imwrite(str(p), cv2.cvtColor(img, cv2.COLOR_RGB2BGR)):
            raise InputError(f"cannot write {p}")
        paths.append(p)
    return paths
