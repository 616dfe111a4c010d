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


def _patch(img: np.ndarray, x: float, y: float, half: int) -> np.ndarray:
    pad = np.pad(img, ((half, half), (half, half), (0, 0)), mode="edge")
    xi, yi = int(round(x)) + half, int(round(y)) + half
    return pad[yi - half : yi + half, xi - half : xi + half]


def _strip_indices(seed: int) -> list[tuple[int, str]]:
    """Deterministic picks: a box item on the red tent, a colour close-up and an IR head-fixed close-up, each
    without apparatus in front of the face and with a 40-80 px eye for the close-ups."""
    want = [("box", False), ("closeup", False), ("headfixed", True)]
    out = []
    for kind, grey in want:
        for idx in range(400):
            it = render_item(seed, idx, kind=kind, score=0.0, hidden="")
            big = kind == "box" or 40 <= (it.eye_length or 0) <= 80
            if it.eye_visible and it.greyscale == grey and it.eye_cover == 0 and big and (kind != "box" or it.background == "red"):
                out.append((idx, kind))
                break
    return out


def eye_strip(seed: int = FIGURE_SEED, patch: int = 50, zoom: int = 3) -> np.ndarray:
    """Rows of eye patches for scores 0, 1, ..., 9: a box crop's 50x50 patch (as the regressor sees it, x3), then a
    colour and an IR close-up (a window of 2.4 eye lengths around the eye, shown at 150 px)."""
    rows = []
    tile = patch * zoom
    for idx, kind in _strip_indices(seed):
        tiles = []
        for s in range(10):
            it = render_item(seed, idx, kind=kind, score=float(s), hidden="")
            half = patch // 2 if kind == "box" else int(round(1.2 * it.eye_length))
            p = _patch(it.image, it.eye_x, it.eye_y, half)
            interp = cv2.INTER_NEAREST if kind == "box" else cv2.INTER_AREA
            p = cv2.resize(p, (tile, tile), interpolation=interp)
            tiles.append(_label(p, f"{kind} {s}"))
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
