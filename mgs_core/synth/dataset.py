"""Synthetic labelled crops: ``render_item`` (one crop) and ``make_dataset`` (a dataset folder, optionally parallel).

Each item is one of five scene kinds (:data:`KINDS`): ``rack`` (a small mouse in a wide box, the whole box as ROI,
eyes ~6-12 px in the 256-px crop), ``box`` (one box, eyes ~11-19 px), ``closeup`` (a face close-up in colour or
greyscale, eyes ~20-120 px), ``headfixed`` (an infrared greyscale close-up of a head-fixed mouse with apparatus,
eyes ~28-120 px) and ``nomouse`` (no animal at all, :mod:`mgs_core.synth.nomouse`). A sixth kind, ``far``, is drawn
only when asked for (``kinds``; the default mix is unchanged, so every seed renders as before): the head-fixed infrared
or face close-up scene filmed from further away, i.e. those looks with eyes of ~6-28 px (the whole-frame ROI of a wide
camera view), so that a small eye is not always a whole mouse in a box. A seventh, ``backlit``, likewise only when
asked for: the head-fixed infrared scene in dark field (a near-black background, a darker coat, the edges facing a lamp
lit, :mod:`mgs_core.synth.lighting`), eyes ~8-120 px, small ones drawn on a larger canvas as for ``far``. Box kinds,
``far`` and ``backlit`` render the scene and
crop the ROI with the project's own ``geometry.crop_roi`` (label map with the same transform, nearest neighbour);
close-ups are drawn directly at crop resolution (the ROI is the whole canvas), so fur, lids and whiskers keep their
detail. Item ``i`` of seed ``s`` uses ``numpy.random.default_rng([s, i])``: items do not depend on ``n``, on the
number of workers, or on their order.
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
from mgs_core.synth.apparatus import HeadFrame, draw_face_occluder, draw_part
from mgs_core.synth.distractors import draw_distractors
from mgs_core.synth.lighting import random_rim_light, rim_light
from mgs_core.synth.mouse import EYE_LENGTH, TextureCache, draw_mouse, eye_axes, random_look
from mgs_core.synth.nomouse import render_nomouse
from mgs_core.synth.render import place_in_box, random_pose
from mgs_core.synth.scene import SceneStyle, apply_camera, draw_background, draw_box_back, draw_box_front, random_optics, random_style
from mgs_core.types import Roi

KINDS = ("rack", "box", "closeup", "headfixed", "far", "backlit", "nomouse")
DEFAULT_KINDS = ("rack", "box", "closeup", "headfixed", "nomouse")  # the mix when no kinds are given
NOMOUSE_FRACTION = 0.07
MOUSE_KIND_P = {"rack": 0.22, "box": 0.24, "closeup": 0.30, "headfixed": 0.24, "far": 0.24, "backlit": 0.24}
EYE_RANGE = {"rack": (6.0, 12.5), "box": (11.0, 19.0), "closeup": (20.0, 120.0), "headfixed": (28.0, 120.0),
             "far": (6.0, 28.0), "backlit": (8.0, 120.0)}  # 256 px
FAR_HEADFIXED = 0.7  # share of far scenes in the head-fixed infrared look (the rest: a face close-up's look)
FAR_EYE = (28.0, 56.0)  # eye length in the far scene's own canvas, before it is downscaled to the crop
FAR_MAX_ZOOM = 4.0  # the far canvas is at most 4 x the crop side
HIDDEN_FRACTION = 0.075  # turned away or grooming; occluders add ~5% more hidden eyes
OCCLUDER_P = {"rack": 0.0, "box": 0.0, "closeup": 0.08, "headfixed": 0.12}  # by look; backlit: headfixed
HIDDEN_KINDS = ("", "turned", "grooming", "occluded")
OCCLUDED_COVER = 0.5  # an eye whose region is covered more than this by apparatus is hidden ("occluded")
EXTRA_COLUMNS = ["eye_length", "eye_angle", "facing", "hidden", "kind", "closeup", "greyscale", "background",
                 "exposure", "gamma", "contrast", "noise", "blur", "defocus", "motion_blur", "jpeg_quality",
                 "apparatus", "eye_cover", "distractors", "nomouse", "seed", "index"]


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
    hidden: str  # "" (visible or no mouse), "turned", "grooming", "occluded"
    closeup: bool  # kind is closeup or headfixed
    greyscale: bool
    background: str
    kind: str = "box"
    eye_angle: float | None = None  # degrees of the eye's long axis in the crop, counter-clockwise, in [-90, 90)
    style: SceneStyle | None = None  # the camera/scene parameters the item was rendered with
    apparatus: str = ""  # "+"-joined apparatus parts in view
    eye_cover: float = 0.0  # fraction of the eye region covered by apparatus/hand
    distractors: int = 0
    nomouse: str = ""  # the no-mouse scene (empty_box, texture, colour_bars, hand, apparatus) for kind nomouse

    def to_sample(self, seed: int, index: int) -> LabelledSample:
        st = self.style
        extra = {"eye_length": self.eye_length, "eye_angle": self.eye_angle,
                 "facing": "" if self.kind == "nomouse" else ("right" if self.facing > 0 else "left"),
                 "hidden": self.hidden or "", "kind": self.kind, "closeup": self.closeup,
                 "greyscale": self.greyscale, "background": self.background,
                 "exposure": None if st is None else round(st.exposure, 3),
                 "gamma": None if st is None else round(st.gamma, 3),
                 "contrast": None if st is None else round(st.contrast, 3),
                 "noise": None if st is None else round(st.noise, 4),
                 "blur": None if st is None else round(st.blur, 3),
                 "defocus": None if st is None else round(st.defocus, 3),
                 "motion_blur": None if st is None else round(st.motion, 3),
                 "jpeg_quality": None if st is None else st.jpeg_quality,
                 "apparatus": self.apparatus, "eye_cover": round(self.eye_cover, 3), "distractors": self.distractors,
                 "nomouse": self.nomouse, "seed": seed, "index": index}
        return LabelledSample(self.image, self.mask, self.eye_x, self.eye_y, self.eye_visible, self.score, extra)


def crop_labels(labels: np.ndarray, roi: Roi, size: int) -> np.ndarray:
    """The label map cropped with exactly the geometry of ``crop_roi`` (nearest neighbour, no class mixing)."""
    t = crop_transform(roi, size)
    sub = labels[roi.y : roi.y + roi.h, roi.x : roi.x + roi.w]
    return cv2.warpAffine(sub, t.matrix(), (size, size), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)


def _log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _pick_kind(rng: np.random.Generator, kinds: tuple[str, ...] | None) -> str:
    u = rng.random()
    v = rng.random()
    allowed = DEFAULT_KINDS if kinds is None else tuple(kinds)
    if "nomouse" in allowed and (u < NOMOUSE_FRACTION or allowed == ("nomouse",)):
        return "nomouse"
    mk = [k for k in MOUSE_KIND_P if k in allowed]
    p = np.array([MOUSE_KIND_P[k] for k in mk])
    return mk[int(np.searchsorted(np.cumsum(p / p.sum()), v * 0.999999))]


def _scene_style(rng: np.random.Generator, kind: str) -> SceneStyle:
    if kind == "headfixed":
        style = random_style(rng, greyscale=True)
        g = rng.uniform(0.02, 0.55)
        style = replace(style, background="ir_dark" if g < 0.2 else "ir_grey", bg_rgb=(g, g, g), reflections=0)
    else:
        style = random_style(rng, greyscale=bool(rng.random() < 0.4) if kind == "closeup" else None)
        if rng.random() < 0.15:
            style = replace(style, background="bedding", bg_rgb=tuple(float(c) for c in
                                                                        np.array([0.78, 0.68, 0.52]) * rng.uniform(0.6, 1.15)))
    return random_optics(rng, style, strong=style.greyscale)


def render_item(seed: int, index: int, size: int = 256, score: float | None = None, hidden: str | None = None,
                closeup: bool | None = None, cache: TextureCache | None = None, kind: str | None = None,
                kinds: tuple[str, ...] | None = None) -> SynthItem:
    """Render dataset item ``index`` of ``seed``.

    ``score``/``hidden``/``kind`` override the random draw (tests, figures); ``closeup=True`` means kind
    ``closeup`` and ``closeup=False`` kind ``box``; ``kinds`` restricts the random kind to a subset of KINDS.
    """
    rng = np.random.default_rng([int(seed), int(index)])
    drawn_kind = _pick_kind(rng, kinds)
    if kind is None and closeup is not None:
        kind = "closeup" if closeup else "box"
    kind = drawn_kind if kind is None else kind
    if kind not in KINDS:
        raise InputError(f"unknown scene kind {kind!r}; expected one of {', '.join(KINDS)}")
    if kind == "nomouse":
        nm = render_nomouse(rng, size=size)
        return SynthItem(nm.image, nm.mask, False, None, None, None, None, 1, "", False, nm.greyscale, nm.background,
                         kind="nomouse", style=nm.style, nomouse=nm.kind)
    draw_hidden = rng.random() < HIDDEN_FRACTION
    h_kind = str(rng.choice(["turned", "grooming"])) if draw_hidden else ""
    want_visible = hidden == ""  # an explicit "" asks for a visible eye: no occluder placed over it on purpose
    hidden = h_kind if hidden is None else hidden
    if hidden not in HIDDEN_KINDS:
        raise InputError(f"unknown hidden kind {hidden!r}; expected one of {', '.join(repr(h) for h in HIDDEN_KINDS)}")
    s = float(rng.uniform(0.0, 9.0))
    s = s if score is None else float(score)
    lo, hi = EYE_RANGE[kind]
    target = _log_uniform(rng, lo, hi) * size / 256.0  # eye length wanted in the crop
    far = kind == "far"
    lit = kind == "backlit"
    look_kind = "headfixed" if lit else (("headfixed" if rng.random() < FAR_HEADFIXED else "closeup") if far else kind)
    style = _scene_style(rng, look_kind)
    look = random_look(rng, style.greyscale)
    if lit:  # a black mouse in front of a dark background: the lamp behind or beside it (mgs_core.synth.lighting)
        g = rng.uniform(0.0, 0.08)
        style = replace(style, background="ir_dark", bg_rgb=(g, g, g), exposure=float(rng.uniform(0.7, 1.4)),
                        black_level=float(rng.uniform(0.0, 0.03)), contrast=float(rng.uniform(0.8, 1.2)))
        dim = rng.uniform(0.2, 0.6)
        look = replace(look, fur_rgb=tuple(float(c * dim) for c in look.fur_rgb),
                       ear_rgb=tuple(float(c * dim) for c in look.ear_rgb))
        light = random_rim_light(rng)
    pose = random_pose(rng, 100.0, "" if hidden == "occluded" else hidden)
    cache = cache or TextureCache()
    if kind in ("rack", "box"):
        if kind == "rack":
            bw = float(rng.uniform(300, 420))
            bh = bw / rng.uniform(1.3, 2.0)
        else:
            bw = float(rng.uniform(230, 340))
            bh = bw / rng.uniform(1.2, 1.5)
        m = 16
        width, height = int(np.ceil(bw + 2 * m)), int(np.ceil(bh + 2 * m))
        box = (m, m, int(bw), int(bh))
        jx, jy = rng.uniform(-0.03, 0.03, 2) * np.array([bw, bh])
        grow = rng.uniform(0.97, 1.06)
        rw, rh = int(min(bw * grow, width)), int(min(bh * grow, height))
        rx = int(np.clip(m + (bw - rw) / 2 + jx, 0, width - rw))
        ry = int(np.clip(m + (bh - rh) / 2 + jy, 0, height - rh))
        roi = Roi("box", rx, ry, rw, rh)
        scale = size / max(rw, rh)
        length = target / (EYE_LENGTH * look.eye_scale * pose.head_scale * scale)
        pose = replace(pose, length=float(min(length, 0.95 * bw)))
        pose = place_in_box(pose, look, box, rng)
        boxes = [box]
    else:
        # far: the same scene on a canvas zoom x the crop side, downscaled to the crop like a box ROI
        zoom = min(float(rng.uniform(*FAR_EYE)) * size / 256.0, FAR_MAX_ZOOM * target) / target if far or lit else 1.0
        zoom = max(1.0, zoom) if lit else zoom
        width = height = int(round(size * zoom))
        roi = Roi("head", 0, 0, width, height)
        if look_kind == "headfixed":
            pose = replace(pose, body_angle=float(rng.uniform(-8, 8)), head_angle=float(rng.uniform(-15, 15)))
        length = target * zoom / (EYE_LENGTH * look.eye_scale * pose.head_scale)
        pose = replace(pose, length=float(length))
        ex, ey, _, _, _ = eye_axes(pose, look)
        lo_xy, hi_xy = ((0.2, 0.8), (0.2, 0.75)) if far else ((0.28, 0.72), (0.28, 0.68))
        lo_xy, hi_xy = ((0.12, 0.88), (0.06, 0.8)) if lit else (lo_xy, hi_xy)  # the head often cut by the border
        tx, ty = rng.uniform(*lo_xy) * width, rng.uniform(*hi_xy) * height
        pose = replace(pose, x=pose.x + tx - ex, y=pose.y + ty - ey)
        walls = rng.random() < 0.4 and look_kind == "closeup"
        c = width
        boxes = [(int(c * rng.uniform(-1.2, -0.2)), int(c * rng.uniform(-0.8, -0.1)), int(c * 2.2), int(c * 1.6))] if walls else []
    img = np.empty((height, width, 3), np.float32)
    lab = np.zeros((height, width), np.uint8)
    draw_background(img, style, rng)
    for b in boxes:
        draw_box_back(img, b, style, rng)
    d = draw_mouse(img, lab, pose, look, s if pose.hidden == "" else None, cache, boxes[0] if kind in ("rack", "box") else None)
    for b in boxes:
        draw_box_front(img, b, style, rng)
    ex, ey, ux, uy, elen = eye_axes(pose, look)
    head = HeadFrame(ex, ey, ux, uy, 0.33 * pose.length * pose.head_scale)
    if lit:
        rim_light(img, lab, light, 0.33 * pose.length * pose.head_scale, rng)
    n_dis = int(rng.choice(5, p=[0.3, 0.25, 0.2, 0.15, 0.1]))
    n_dis = draw_distractors(img, lab, rng, head, elen, n_dis)
    parts: list[str] = []
    eye_px = int((lab == 3).sum())
    if look_kind == "headfixed":
        for part, p in (("tube", 0.6), ("post", 0.85), ("spout", 0.5), ("wire", 0.5), ("wire", 0.25),
                        ("reflector", 0.4), ("hand", 0.08)):
            if rng.random() < p:
                draw_part(img, lab, rng, head, part, style.greyscale)
                parts.append(part)
    elif look_kind == "closeup" and rng.random() < 0.25:
        part = str(rng.choice(["spout", "wire", "reflector", "hand", "post"]))
        draw_part(img, lab, rng, head, part, style.greyscale)
        parts.append(part)
    occlude = rng.random() < OCCLUDER_P[look_kind]
    if hidden == "occluded" or (hidden == "" and occlude and not want_visible):
        parts.append(draw_face_occluder(img, lab, rng, head, style.greyscale))
    cover = 0.0
    if eye_px > 0:
        cover = 1.0 - float((lab == 3).sum()) / eye_px
        if cover > OCCLUDED_COVER:
            hidden = "occluded"
            lab[lab == 3] = 1
    image_full = apply_camera(img, style, rng)
    if kind in ("rack", "box", "far", "backlit"):
        image = crop_roi(image_full, roi, size)
        mask = crop_labels(lab, roi, size)
    else:
        image, mask = image_full, lab
    t = crop_transform(roi, size)
    eye: tuple[float | None, float | None, float | None] = (None, None, None)
    visible = False
    if d.eye_visible and hidden != "occluded":
        cx, cy = t.to_crop(d.eye_x, d.eye_y)
        eye = (float(cx), float(cy), float(d.eye_length * t.scale))
        visible = bool((mask == 3).any())
    if not visible:
        mask[mask == 3] = 1
        eye = (None, None, None)
    angle = None
    if visible:
        a = float(np.degrees(np.arctan2(-uy, ux)))
        angle = round((a + 90.0) % 180.0 - 90.0, 2)
    return SynthItem(image, mask, visible, eye[0], eye[1], s if visible else None, eye[2], pose.facing,
                     hidden, kind in ("closeup", "headfixed"),
                     style.greyscale, style.background, kind=kind, eye_angle=angle, style=style,
                     apparatus="+".join(parts), eye_cover=cover if visible or hidden == "occluded" else 0.0,
                     distractors=n_dis)


HARD_HIDDEN = 0.4  # --hard: share of items with the eye side turned away or groomed over
HARD_SHUT = 0.3  # --hard: share of items with a tightened to shut eye (score 7-9)


def hard_overrides(seed: int, index: int) -> dict:
    """The ``render_item`` overrides of item ``index`` in a hard-case mix (its own random stream): a hidden eye
    (``HARD_HIDDEN``), a shut eye (``HARD_SHUT``), or the ordinary draw."""
    rng = np.random.default_rng([int(seed), int(index), 7])
    u = rng.random()
    if u < HARD_HIDDEN:
        return {"hidden": str(rng.choice(["turned", "grooming"]))}
    if u < HARD_HIDDEN + HARD_SHUT:
        return {"hidden": "", "score": float(rng.uniform(7.0, 9.0))}
    return {}


def _work(args) -> list[dict[str, str]]:
    out_dir, seed, indices, size, fmt, kinds, hard = args
    cache = TextureCache()
    rows = []
    for i in indices:
        item = render_item(seed, i, size, cache=cache, kinds=kinds, **(hard_overrides(seed, i) if hard else {}))
        rows.append(write_sample(out_dir, i, item.to_sample(seed, i), fmt))
    return rows


def make_dataset(out_dir: str | Path, n: int, seed: int, size: int = 256, workers: int = 2, fmt: str = "png",
                 progress: Callable[[int, int], None] | None = None,
                 kinds: tuple[str, ...] | None = None, hard: bool = False) -> LabelledDataset:
    """Render ``n`` items into ``out_dir`` (images/, masks/, labels.csv). Output is identical for any ``workers``.

    ``kinds`` restricts the scene kinds (a subset of KINDS; item i of a seed then differs from the unrestricted set).
    ``hard``: the hard-case mix (:func:`hard_overrides`): 40 % hidden eyes, 30 % shut eyes, the rest as usual.
    """
    if n <= 0:
        raise InputError(f"--n must be positive, got {n}")
    if size < 32:
        raise InputError(f"--size must be at least 32 pixels, got {size}")
    if workers <= 0:
        raise InputError(f"--workers must be positive, got {workers}")
    if fmt not in ("png", "jpg"):
        raise InputError(f"--format must be png or jpg, got {fmt!r}")
    if kinds is not None:
        kinds = tuple(kinds)
        bad = [k for k in kinds if k not in KINDS]
        if bad or not kinds:
            raise InputError(f"--kinds must be a comma-separated subset of {','.join(KINDS)}, got {','.join(kinds)!r}")
    out_dir = prepare_folder(out_dir)
    chunk = 25
    jobs = [(str(out_dir), int(seed), list(range(a, min(a + chunk, n))), size, fmt, kinds, bool(hard))
            for a in range(0, n, chunk)]
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
