"""The imaging setup around the mice: tent background, transparent boxes in a rack, light and camera.

:class:`SceneStyle` holds everything random about the setup and camera for one video or one dataset item; the
background and the box walls behind the mouse are drawn by :func:`draw_background` / :func:`draw_box_back`, the
front-wall edges and reflections by :func:`draw_box_front` (over the mouse), and :func:`apply_camera` turns the float
canvas into the uint8 RGB a camera would deliver (lighting gradient, colour temperature, exposure, greyscale IR,
blur, sensor noise, chroma subsampling and JPEG compression).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mgs_core.errors import InputError
from mgs_core.synth import paint

BACKGROUNDS = ("red", "white", "grey", "blue")
MIN_BOX_W, MIN_BOX_H = 120, 90
MAX_MICE = 8


@dataclass(frozen=True)
class SceneStyle:
    background: str
    bg_rgb: tuple[float, float, float]
    greyscale: bool
    light_angle: float  # radians, direction of the brightness gradient
    light_strength: float  # 0 = flat
    temperature: tuple[float, float, float]  # per-channel gains
    exposure: float
    blur: float  # Gaussian sigma in canvas pixels
    noise: float  # sensor noise sigma (0-1 scale)
    jpeg_quality: int  # 0 = no compression artefacts
    chroma_subsample: bool
    box_edge: float  # opacity of box edges
    reflections: int  # number of reflection streaks per box
    tint: float  # acrylic haze
    # Optics and tone (defaults change nothing; the dataset randomises them with :func:`random_optics`).
    gamma: float = 1.0  # output = input ** gamma (on 0-1 values)
    contrast: float = 1.0  # scaling around mid-grey (< 1: washed out)
    black_level: float = 0.0  # added offset, 0-1 scale
    vignette: float = 0.0  # corner darkening 0-1
    defocus: float = 0.0  # disk blur radius, canvas pixels
    motion: float = 0.0  # motion blur length, canvas pixels
    motion_angle: float = 0.0  # radians


def random_style(rng: np.random.Generator, greyscale: bool | None = None, mild: bool = False) -> SceneStyle:
    """Mostly the paper's red tent; some white/grey/blue; ~10% greyscale IR-like. ``mild`` narrows the camera range."""
    if greyscale is None:
        greyscale = bool(rng.random() < 0.1)
    kind = str(rng.choice(BACKGROUNDS, p=[0.7, 0.12, 0.1, 0.08]))
    if kind == "red":
        rgb = (rng.uniform(0.62, 0.9), rng.uniform(0.04, 0.2), rng.uniform(0.06, 0.2))
    elif kind == "white":
        v = rng.uniform(0.75, 0.95)
        rgb = (v, v * rng.uniform(0.95, 1.0), v * rng.uniform(0.9, 1.0))
    elif kind == "grey":
        v = rng.uniform(0.35, 0.65)
        rgb = (v, v, v * rng.uniform(0.95, 1.05))
    else:
        rgb = (rng.uniform(0.1, 0.3), rng.uniform(0.25, 0.45), rng.uniform(0.55, 0.85))
    warm = rng.uniform(-0.12, 0.12)
    return SceneStyle(
        background=kind, bg_rgb=tuple(float(c) for c in rgb), greyscale=greyscale,
        light_angle=float(rng.uniform(0, 2 * np.pi)), light_strength=float(rng.uniform(0.0, 0.2 if mild else 0.45)),
        temperature=(1.0 + warm, 1.0, 1.0 - warm), exposure=float(rng.uniform(0.9, 1.1) if mild else rng.uniform(0.7, 1.4)),
        blur=float(rng.uniform(0.0, 0.6) if mild else rng.uniform(0.0, 1.4)),
        noise=float(rng.uniform(0.003, 0.012) if mild else rng.uniform(0.003, 0.04)),
        jpeg_quality=0 if mild else int(rng.choice([0, 0, rng.integers(30, 96)])),
        chroma_subsample=bool(rng.random() < 0.6), box_edge=float(rng.uniform(0.2, 0.7)),
        reflections=int(rng.integers(0, 4)), tint=float(rng.uniform(0.0, 0.12)),
    )


def random_optics(rng: np.random.Generator, style: SceneStyle, strong: bool) -> SceneStyle:
    """Randomise exposure, gamma, contrast, vignetting, defocus and motion blur (``strong``: IR-camera range)."""
    from dataclasses import replace

    exposure = float(np.exp(rng.uniform(np.log(0.45), np.log(2.2)))) if strong else style.exposure
    return replace(
        style, exposure=exposure, gamma=float(np.exp(rng.uniform(np.log(0.6), np.log(1.6)))),
        contrast=float(rng.uniform(0.45, 1.15) if strong else rng.uniform(0.75, 1.1)),
        black_level=float(rng.uniform(0.0, 0.15) if rng.random() < 0.4 else 0.0),
        vignette=float(rng.uniform(0.0, 0.6) if rng.random() < 0.5 else 0.0),
        defocus=float(rng.uniform(1.0, 4.0) if rng.random() < 0.2 else 0.0),
        motion=float(rng.uniform(2.0, 10.0) if rng.random() < 0.2 else 0.0),
        motion_angle=float(rng.uniform(0, np.pi)),
        noise=float(rng.uniform(0.003, 0.06)) if strong else style.noise,
        jpeg_quality=int(rng.choice([0, rng.integers(25, 96)])) if strong else style.jpeg_quality,
    )


def rack_layout(width: int, height: int, k: int) -> list[tuple[int, int, int, int]]:
    """Boxes (x, y, w, h) of a rack of ``k`` boxes side by side (two rows above 4). Raises InputError if they do not fit."""
    if width <= 0 or height <= 0:
        raise InputError(f"frame size {width}x{height} must be positive")
    if k <= 0:
        raise InputError(f"number of mice must be at least 1, got {k}")
    fit = max_mice(width, height)
    if k > fit:
        raise InputError(f"at most {fit} mice fit in a {width}x{height} frame (asked for {k})")
    rows = 1 if k <= 4 else 2
    cols = int(np.ceil(k / rows))
    margin_x, margin_y = 0.03 * width, 0.06 * height
    gap = 0.02 * width
    bw = (width - 2 * margin_x - (cols - 1) * gap) / cols
    bh_max = (height - 2 * margin_y - (rows - 1) * gap) / rows
    bh = min(bw / 1.3, bh_max)
    bw = min(bw, bh * 1.45)
    total_w = cols * bw + (cols - 1) * gap
    total_h = rows * bh + (rows - 1) * gap
    x_start, y_start = (width - total_w) / 2, (height - total_h) / 2 + 0.05 * (height - total_h)
    boxes = []
    for i in range(k):
        r, c = divmod(i, cols)
        boxes.append((int(round(x_start + c * (bw + gap))), int(round(y_start + r * (bh + gap))), int(bw), int(bh)))
    return boxes


def max_mice(width: int, height: int) -> int:
    """How many boxes of at least MIN_BOX_W x MIN_BOX_H fit (at most 8)."""
    best = 0
    for k in range(1, MAX_MICE + 1):
        rows = 1 if k <= 4 else 2
        cols = int(np.ceil(k / rows))
        bw = (width - 0.06 * width - (cols - 1) * 0.02 * width) / cols
        bh = min(bw / 1.3, (height - 0.12 * height - (rows - 1) * 0.02 * width) / rows)
        if min(bw, bh * 1.45) >= MIN_BOX_W and bh >= MIN_BOX_H:
            best = k
    return best


def draw_background(img: np.ndarray, style: SceneStyle, rng: np.random.Generator) -> None:
    """Tent cloth: the base colour with soft folds and a shelf line of the rack."""
    h, w = img.shape[:2]
    img[:] = np.asarray(style.bg_rgb, np.float32)
    small = rng.standard_normal((6, 9)).astype(np.float32)
    folds = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    img *= (1.0 + 0.06 * folds)[..., None]
    if style.background == "bedding":
        img *= bedding_texture(rng, h, w)[..., None]


def bedding_texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Multiplicative 0.4-1.4 map of wood-chip/paper bedding: overlapping light and dark flakes."""
    tex = np.ones((h, w), np.float32)
    n = int(np.clip(h * w / 400, 60, 1500))
    xs, ys = rng.uniform(0, w, n), rng.uniform(0, h, n)
    sz = rng.uniform(2, 9, n) * max(h, w) / 256
    angs = rng.uniform(0, 180, n)
    vals = rng.uniform(0.55, 1.35, n)
    for x, y, s_, a, v in zip(xs, ys, sz, angs, vals):
        cv2.ellipse(tex, (int(x), int(y)), (int(s_), max(1, int(s_ * 0.4))), float(a), 0, 360, float(v), -1, cv2.LINE_AA)
    return cv2.GaussianBlur(tex, (0, 0), 0.7)


def draw_box_back(img: np.ndarray, box, style: SceneStyle, rng: np.random.Generator) -> None:
    """Acrylic haze, the far-wall edges and the floor of one transparent box (behind the mouse)."""
    x, y, bw, bh = box
    d = 0.07 * bw
    rect = np.array([[x, y], [x + bw, y], [x + bw, y + bh], [x, y + bh]], np.float64)
    paint.fill(img, [rect], (0.95, 0.95, 0.97), alpha=style.tint)
    back = np.array([[x + d, y + d * 0.6], [x + bw - d, y + d * 0.6], [x + bw - d, y + bh - d], [x + d, y + bh - d]])
    paint.stroke(img, np.vstack([back, back[:1]]), (0.9, 0.9, 0.92), max(1.0, bw / 250), alpha=style.box_edge * 0.5)
    floor = np.array([[x, y + bh], [x + d, y + bh - d], [x + bw - d, y + bh - d], [x + bw, y + bh]], np.float64)
    paint.fill(img, [floor], (0.85, 0.85, 0.88), alpha=0.08 + 0.1 * style.box_edge)
    for cx, cy in back:
        corner = np.array([[cx, cy], [x if cx < x + bw / 2 else x + bw, y if cy < y + bh / 2 else y + bh]])
        paint.stroke(img, corner, (0.9, 0.9, 0.92), max(1.0, bw / 300), alpha=style.box_edge * 0.4)
    # Droppings on the floor: small dark eye-sized blobs the segmentation must learn to ignore (background).
    for _ in range(int(rng.choice(4, p=[0.55, 0.25, 0.12, 0.08]))):
        px, py = x + rng.uniform(0.08, 0.92) * bw, y + bh - rng.uniform(0.02, 0.07) * bh
        pl = rng.uniform(0.02, 0.035) * bw
        pellet = paint.ellipse_points(px, py, pl, pl * rng.uniform(0.4, 0.6), rng.uniform(-0.4, 0.4), 16)
        paint.fill(img, [pellet], np.float32([0.05, 0.04, 0.035]) * rng.uniform(0.6, 1.6), alpha=0.95, blur=0.5)


def draw_box_front(img: np.ndarray, box, style: SceneStyle, rng: np.random.Generator) -> None:
    """Front-wall edges and soft reflection streaks (over the mouse)."""
    x, y, bw, bh = box
    rect = np.array([[x, y], [x + bw, y], [x + bw, y + bh], [x, y + bh], [x, y]], np.float64)
    for a, b in zip(rect[:-1], rect[1:]):  # one stroke per side keeps each painted bounding box thin
        paint.stroke(img, np.stack([a, b]), (0.93, 0.93, 0.95), max(2.0, bw / 120), alpha=style.box_edge)
    for _ in range(style.reflections):
        sx = x + rng.uniform(0.05, 0.95) * bw
        wdt = rng.uniform(0.01, 0.05) * bw
        slant = rng.uniform(-0.15, 0.15) * bh
        streak = np.array([[sx, y], [sx + wdt, y], [sx + wdt + slant, y + bh], [sx + slant, y + bh]])
        paint.fill(img, [streak], (1.0, 1.0, 1.0), alpha=rng.uniform(0.04, 0.16), blur=max(1.0, wdt / 3))


class Camera:
    """Turns float canvases (0-1 RGB) of one size into uint8 RGB frames; the gain map is computed once."""

    def __init__(self, style: SceneStyle, height: int, width: int):
        self.style, self.h, self.w = style, height, width
        scale = float(max(height, width))
        gx = ((np.arange(width, dtype=np.float32) - width / 2) * np.float32(np.cos(style.light_angle) / scale))[None, :]
        gy = ((np.arange(height, dtype=np.float32) - height / 2) * np.float32(np.sin(style.light_angle) / scale))[:, None]
        gain = np.float32(style.exposure * 255.0) * (1.0 + np.float32(style.light_strength) * (gx + gy))
        temp = np.asarray(style.temperature, np.float32)
        if style.greyscale:
            self.weights = np.float32([[0.45, 0.35, 0.2]]) * temp[None, :]
            self.gain = gain
        else:
            self.weights = None
            self.gain = cv2.merge([gain * temp[0], gain * temp[1], gain * temp[2]])

    def apply(self, img: np.ndarray, rng: np.random.Generator, noise_field: np.ndarray | None = None) -> np.ndarray:
        """``noise_field`` (unit-variance float32, at least the canvas size) replaces freshly drawn sensor noise;
        videos pass random windows of a pre-drawn bank since drawing 6 million normals per 1080p frame is slow."""
        style, h, w = self.style, self.h, self.w
        if self.weights is not None:
            g = cv2.transform(img, self.weights)
            out = cv2.multiply(g.reshape(h, w), self.gain)
        else:
            out = cv2.multiply(img, self.gain)
        if style.vignette > 0:
            out = cv2.multiply(out, self._vignette(out.ndim))
        if style.defocus >= 1.0:
            out = cv2.filter2D(out, -1, _disk(style.defocus))
        if style.motion >= 1.5:
            out = cv2.filter2D(out, -1, _line(style.motion, style.motion_angle))
        if style.blur > 0.3:
            out = cv2.GaussianBlur(out, (0, 0), style.blur)
        if style.noise > 0:
            shape = out.shape
            if noise_field is None:
                noise = rng.standard_normal(shape, dtype=np.float32)
            else:
                noise = noise_field[:h, :w, 0] if out.ndim == 2 else noise_field[:h, :w, :3]
            # signal-dependent sensor noise: sigma = noise * (0.6 + brightness)
            sig = float(style.noise * 255.0)
            k = cv2.multiply(out, noise, scale=style.noise)
            out = cv2.add(cv2.scaleAdd(noise, 0.6 * sig, out), k)
        u8 = np.empty(out.shape, np.uint8)
        np.clip(out + np.float32(0.5), 0, 255, out=out)
        u8[...] = out
        if style.gamma != 1.0 or style.contrast != 1.0 or style.black_level != 0.0:
            v = (np.arange(256, dtype=np.float64) / 255.0) ** style.gamma
            v = ((v - 0.5) * style.contrast + 0.5 + style.black_level) * 255.0
            u8 = cv2.LUT(u8, np.clip(v + 0.5, 0, 255).astype(np.uint8))
        if style.greyscale:
            u8 = cv2.merge([u8, u8, u8])
        return self._codec(u8)

    def _vignette(self, ndim: int) -> np.ndarray:
        yy, xx = np.mgrid[0:self.h, 0:self.w].astype(np.float32)
        r2 = ((xx - self.w / 2) / (self.w / 2)) ** 2 + ((yy - self.h / 2) / (self.h / 2)) ** 2
        v = (1.0 - self.style.vignette * np.clip(r2 / 2.0, 0, 1) ** 1.2).astype(np.float32)
        return v if ndim == 2 else cv2.merge([v, v, v])

    def _codec(self, u8: np.ndarray) -> np.ndarray:
        style, h, w = self.style, self.h, self.w
        if style.chroma_subsample and not style.greyscale:
            ycc = cv2.cvtColor(u8, cv2.COLOR_RGB2YCrCb)
            for c in (1, 2):
                small = cv2.resize(ycc[..., c], ((w + 1) // 2, (h + 1) // 2), interpolation=cv2.INTER_AREA)
                ycc[..., c] = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
            u8 = cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB)
        if style.jpeg_quality > 0:
            ok, buf = cv2.imencode(".jpg", u8, [cv2.IMWRITE_JPEG_QUALITY, int(style.jpeg_quality)])
            u8 = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)  # channel order is preserved (encode and decode agree)
            if u8.ndim == 2:
                u8 = np.repeat(u8[..., None], 3, axis=2)
        return np.ascontiguousarray(u8)


def _disk(radius: float) -> np.ndarray:
    r = int(np.ceil(radius))
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    k = (np.hypot(xx, yy) <= radius + 0.5).astype(np.float32)
    return k / k.sum()


def _line(length: float, angle: float) -> np.ndarray:
    n = int(np.ceil(length)) | 1
    k = np.zeros((n, n), np.float32)
    c = n // 2
    cv2.line(k, (int(round(c - c * np.cos(angle))), int(round(c - c * np.sin(angle)))),
             (int(round(c + c * np.cos(angle))), int(round(c + c * np.sin(angle)))), 1.0, 1, cv2.LINE_AA)
    return k / k.sum()


def apply_camera(img: np.ndarray, style: SceneStyle, rng: np.random.Generator) -> np.ndarray:
    """Float canvas (0-1 RGB) -> uint8 RGB as a camera and codec would deliver it."""
    return Camera(style, img.shape[0], img.shape[1]).apply(img, rng)
