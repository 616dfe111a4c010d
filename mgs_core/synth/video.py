"""Synthetic recordings: ``make_video`` writes NAME.mp4 (H.264), NAME.rois.json and NAME.truth.csv.

Each mouse gets its own look, a group ("vehicle"/"analgesic", alternating), a planted score curve
(:mod:`mgs_core.synth.curves`), slow smooth movement (position, body and head angle) and occasional 1-2 s episodes
where the eye is hidden. Everything is drawn from ``numpy.random.default_rng(seed)``; per-frame sensor noise from
``default_rng([seed, 1, frame])``, so a seed always gives the same video and truth.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from mgs_core.errors import InputError
from mgs_core.io.rois import save_rois
from mgs_core.synth.curves import GROUPS, ScoreCurve, Wander, hidden_episodes, random_curve, random_wander
from mgs_core.synth.mouse import MouseLook, MousePose, TextureCache, draw_mouse, random_look
from mgs_core.synth.render import place_in_box, random_pose
from mgs_core.synth.scene import Camera, draw_background, draw_box_back, draw_box_front, rack_layout, random_style
from mgs_core.types import Roi, RoiSet

TRUTH_COLUMNS = ["frame", "time_s", "roi", "animal", "group", "eye_visible", "eye_x", "eye_y", "score"]


@dataclass(frozen=True)
class VideoOutput:
    video: Path
    rois: Path
    truth: Path
    frames: int


@dataclass(frozen=True)
class AnimalPlan:
    roi: Roi
    look: MouseLook
    curve: ScoreCurve
    length: float
    facing: int
    fx: Wander  # horizontal position fraction in the box
    body: Wander
    head: Wander
    tail: Wander
    episodes: tuple[tuple[float, float, str], ...]

    def hidden_at(self, t: float) -> str:
        for a, b, kind in self.episodes:
            if a <= t < b:
                return kind
        return ""


def plan_animals(rng: np.random.Generator, boxes, seconds: float) -> list[AnimalPlan]:
    plans = []
    for i, b in enumerate(boxes):
        group = GROUPS[i % 2]
        look = random_look(rng, coat="black")  # the paper's strain: black C57BL/6
        base = random_pose(rng, b[2] * rng.uniform(0.7, 0.84))
        plans.append(AnimalPlan(
            roi=Roi(f"box{i + 1}", *b, animal=f"m{i + 1}", group=group), look=look,
            curve=random_curve(rng, group, seconds), length=base.length, facing=base.facing,
            fx=random_wander(rng, 0.5, 0.45, 6.0, 16.0), body=random_wander(rng, 2.0, 8.0, 4.0, 12.0),
            head=random_wander(rng, 0.0, 28.0, 2.5, 8.0), tail=random_wander(rng, 0.0, 0.8, 3.0, 9.0),
            episodes=tuple(hidden_episodes(rng, seconds)),
        ))
    return plans


def _check(out: Path, seconds: float, mice: int, width: int, height: int, fps: float, crf: int) -> None:
    if width <= 0 or height <= 0:
        raise InputError(f"--width/--height must be positive, got {width}x{height}")
    if width % 2 or height % 2:
        raise InputError(f"--width/--height must be even for H.264 yuv420p, got {width}x{height}")
    if not seconds > 0:
        raise InputError(f"--seconds must be positive, got {seconds}")
    if not fps > 0:
        raise InputError(f"--fps must be positive, got {fps}")
    if not 0 <= crf <= 51:
        raise InputError(f"--crf must be within 0-51, got {crf}")
    if out.suffix.lower() != ".mp4":
        raise InputError(f"--out must be a .mp4 path, got {out}")
    rack_layout(width, height, mice)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "wb"):
            pass
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror or exc}") from None


def _front_layers(boxes, style, seed: int, width: int, height: int):
    """The front walls (edges, reflections) as per-box affine layers: painted = canvas * mul + add (exact)."""
    layers = []
    for i, b in enumerate(boxes):
        x, y, bw, bh = b
        pad = int(bw / 40) + 6
        x0, y0 = max(x - pad, 0), max(y - pad, 0)
        x1, y1 = min(x + bw + pad, width), min(y + bh + pad, height)
        sub = (b[0] - x0, b[1] - y0, bw, bh)
        zero = np.zeros((y1 - y0, x1 - x0, 3), np.float32)
        one = np.ones_like(zero)
        draw_box_front(zero, sub, style, np.random.default_rng([seed, i]))
        draw_box_front(one, sub, style, np.random.default_rng([seed, i]))
        layers.append(((x0, y0, x1, y1), one - zero, zero))
    return layers


def _fmt(v: float | None, nd: int = 2) -> str:
    return "" if v is None else f"{v:.{nd}f}"


def make_video(out: str | Path, seconds: float, mice: int, seed: int, width: int = 1920, height: int = 1080,
               fps: float = 30.0, crf: int = 26, progress: Callable[[int, int], None] | None = None) -> VideoOutput:
    """Render the recording and its ROI and truth files beside it."""
    import av
    from fractions import Fraction

    out = Path(out)
    _check(out, seconds, mice, width, height, fps, crf)
    rng = np.random.default_rng(int(seed))
    boxes = rack_layout(width, height, mice)
    style = random_style(rng, greyscale=False, mild=True)
    style = replace(style, background="red", bg_rgb=tuple(float(x) for x in rng.uniform([0.68, 0.06, 0.08], [0.85, 0.14, 0.16])),
                    chroma_subsample=False, jpeg_quality=0, reflections=int(rng.integers(1, 3)))
    plans = plan_animals(rng, boxes, seconds)
    static = np.empty((height, width, 3), np.float32)
    draw_background(static, style, rng)
    for b in boxes:
        draw_box_back(static, b, style, rng)
    front = _front_layers(boxes, style, int(rng.integers(0, 2**31 - 1)), width, height)
    camera = Camera(style, height, width)
    stem = out.name[: -len(out.suffix)]
    rois_path = out.with_name(stem + ".rois.json")
    truth_path = out.with_name(stem + ".truth.csv")
    save_rois(RoiSet(tuple(p.roi for p in plans), width, height), rois_path)
    n = max(1, int(round(seconds * fps)))
    pad = 64
    bank = [rng.standard_normal((height + pad, width + pad, 3), dtype=np.float32) for _ in range(2)]
    cache = TextureCache()
    try:
        container = av.open(str(out), mode="w")
    except (OSError, av.FFmpegError) as exc:
        raise InputError(f"cannot write {out}: {exc}") from None
    rate = Fraction(fps).limit_denominator(1001)
    stream = container.add_stream("libx264", rate=rate)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.options = {"crf": str(crf), "preset": "veryfast"}
    with container, truth_path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(TRUTH_COLUMNS)
        for f in range(n):
            t = f / fps
            img = static.copy()
            lab = np.zeros((height, width), np.uint8)
            rows = []
            for p in plans:
                b = (p.roi.x, p.roi.y, p.roi.w, p.roi.h)
                hidden = p.hidden_at(t)
                pose = MousePose(0.0, 0.0, p.length, body_angle=p.body(t), head_angle=float(np.clip(p.head(t), -35, 35)),
                                 facing=p.facing, tail_curl=p.tail(t), hidden=hidden)
                pose = place_in_box(pose, p.look, b, rng, fx=float(np.clip(p.fx(t), 0.0, 1.0)))
                score = p.curve(t)
                d = draw_mouse(img, lab, pose, p.look, score if hidden == "" else None, cache, b)
                vis = d.eye_visible
                rows.append([f, f"{t:.4f}", p.roi.id, p.roi.animal, p.roi.group, int(vis),
                             _fmt(d.eye_x if vis else None), _fmt(d.eye_y if vis else None),
                             _fmt(score if vis else None, 3)])
            for (x0, y0, x1, y1), mul, add in front:
                region = img[y0:y1, x0:x1]
                region *= mul
                region += add
            frng = np.random.default_rng([int(seed), 1, f])
            ox, oy, k = (int(v) for v in frng.integers(0, [pad, pad, len(bank)]))
            frame = camera.apply(img, frng, noise_field=bank[k][oy:, ox:])
            vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
            for packet in stream.encode(vf):
                container.mux(packet)
            writer.writerows(rows)
            if progress and (f % 10 == 9 or f == n - 1):
                progress(f + 1, n)
        for packet in stream.encode():
            container.mux(packet)
    return VideoOutput(out, rois_path, truth_path, n)
