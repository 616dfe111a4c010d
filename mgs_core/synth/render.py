"""Render whole camera frames of the rack: background, boxes, one mouse per box, camera; plus per-mouse truth.

``render_scene`` draws given boxes and mice; ``random_pose`` / ``place_in_box`` make a plausible pose that keeps
the mouse inside its box; ``render_rack`` is the one-call random frame used by figures and quick checks.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from mgs_core.synth.mouse import DrawnMouse, MouseLook, MousePose, TextureCache, draw_mouse, random_look, silhouette_bbox
from mgs_core.synth.scene import SceneStyle, apply_camera, draw_background, draw_box_back, draw_box_front, rack_layout, random_style
from mgs_core.types import Roi


@dataclass(frozen=True)
class MouseSpec:
    """One box with its mouse, as input to the renderer."""

    roi: Roi  # the box, frame pixels
    pose: MousePose
    look: MouseLook
    score: float | None  # None when the eye is hidden


@dataclass(frozen=True)
class MouseTruth:
    """Ground truth of one mouse in one frame (frame pixels)."""

    roi: Roi
    eye_visible: bool
    eye_x: float | None
    eye_y: float | None
    score: float | None
    eye_length: float | None
    facing: int


@dataclass(frozen=True)
class RenderedFrame:
    image: np.ndarray  # H x W x 3 uint8 RGB
    labels: np.ndarray  # H x W uint8: 0 background, 1 animal, 2 ears, 3 eyes
    mice: tuple[MouseTruth, ...]


def random_pose(rng: np.random.Generator, length: float, hidden: str = "") -> MousePose:
    """A random posture (position set later by :func:`place_in_box`). Head rotation covers at least +-30 degrees."""
    return MousePose(
        x=0.0, y=0.0, length=float(length), body_angle=float(rng.uniform(-12, 15)),
        head_angle=float(np.clip(rng.normal(0, 18), -38, 38)), facing=int(rng.choice([-1, 1])),
        head_scale=float(rng.uniform(0.92, 1.08)), tail_curl=float(rng.uniform(-1, 1)), hidden=hidden,
    )


def place_in_box(pose: MousePose, look: MouseLook, box: tuple[int, int, int, int], rng: np.random.Generator,
                 fx: float | None = None) -> MousePose:
    """Put the mouse on the floor of ``box`` at horizontal fraction ``fx`` (random when None), inside the walls."""
    x, y, bw, bh = box
    x0, y0, x1, y1 = silhouette_bbox(replace(pose, x=0.0, y=0.0), look)
    inset = 0.03 * bw
    lo, hi = x + inset - x0, x + bw - inset - x1
    f = rng.uniform(0, 1) if fx is None else fx
    px = lo + f * (hi - lo) if hi > lo else (lo + hi) / 2
    floor = y + bh - 0.05 * bh
    py = floor - y1
    py = max(py, y + 0.04 * bh - y0)  # never above the lid
    return replace(pose, x=float(px), y=float(py))


def render_scene(width: int, height: int, specs: list[MouseSpec], style: SceneStyle, rng: np.random.Generator,
                 boxes: list[tuple[int, int, int, int]] | None = None, cache: TextureCache | None = None) -> RenderedFrame:
    """Draw the setup with one mouse per spec. ``boxes`` default to the specs' ROIs."""
    img = np.empty((height, width, 3), np.float32)
    lab = np.zeros((height, width), np.uint8)
    draw_background(img, style, rng)
    if boxes is None:
        boxes = [(s.roi.x, s.roi.y, s.roi.w, s.roi.h) for s in specs]
    for b in boxes:
        draw_box_back(img, b, style, rng)
    cache = cache or TextureCache()
    drawn: list[DrawnMouse] = []
    for i, s in enumerate(specs):
        box = boxes[i] if len(boxes) == len(specs) else None
        drawn.append(draw_mouse(img, lab, s.pose, s.look, s.score if s.pose.hidden == "" else None, cache, box))
    for b in boxes:
        draw_box_front(img, b, style, rng)
    image = apply_camera(img, style, rng)
    truth = tuple(
        MouseTruth(s.roi, d.eye_visible, d.eye_x, d.eye_y, s.score if d.eye_visible else None, d.eye_length, s.pose.facing)
        for s, d in zip(specs, drawn)
    )
    return RenderedFrame(image, lab, truth)


def render_rack(width: int, height: int, k: int, seed: int, scores: list[float] | None = None) -> RenderedFrame:
    """A random frame of a rack of ``k`` boxes (paper's red tent, black mice, mild camera). Deterministic for a seed."""
    rng = np.random.default_rng(seed)
    boxes = rack_layout(width, height, k)
    style = random_style(rng, greyscale=False, mild=True)
    style = replace(style, background="red", bg_rgb=(0.78, 0.1, 0.13))
    specs = []
    for i, b in enumerate(boxes):
        look = random_look(rng, coat="black")
        score = float(rng.uniform(0, 9)) if scores is None else float(scores[i])
        pose = random_pose(rng, b[2] * rng.uniform(0.68, 0.85))
        pose = place_in_box(pose, look, b, rng)
        specs.append(MouseSpec(Roi(f"box{i + 1}", *b, animal=f"m{i + 1}"), pose, look, score))
    return render_scene(width, height, specs, style, rng, boxes)
