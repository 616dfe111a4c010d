"""A black C57BL/6-like mouse in side view: appearance, pose, and drawing into a canvas + label map.

Local mouse coordinates: x towards the nose, y down, unit = body length L (nose to tail base), origin at the body
centre. The head is a rigid part pivoting at the neck; the eye, ears and snout move with it. ``facing`` mirrors the
animal (+1 nose to the right, -1 to the left). Everything is drawn with polygons (cv2) so a mouse costs a few ms.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from mgs_core.synth import paint
from mgs_core.synth.eye import EyeGeometry, EyeLook, draw_eye

NECK = np.array([0.17, -0.05])
EYE_AT = np.array([0.17, -0.035])  # head coordinates
EYE_LENGTH = 0.075  # eye length in body lengths (times look.eye_scale)
HIDDEN_KINDS = ("", "turned", "grooming")
TURNED_FORESHORTEN = 0.5  # head length factor of a head turned away (seen from behind)


@dataclass(frozen=True)
class MouseLook:
    """What an individual animal looks like (constant over a video)."""

    fur_rgb: tuple[float, float, float]
    ear_rgb: tuple[float, float, float]
    paw_rgb: tuple[float, float, float]
    texture_amp: float  # fur texture contrast
    sheen: float  # rim/dorsal light strength
    ring: float  # periorbital ring visibility 0-1
    gloss: float  # eye gloss/highlight strength 0-1
    eye_scale: float  # eye length factor around EYE_LENGTH
    open_ratio: float  # open-eye height / eye length
    gamma: float  # aperture non-linearity
    hump: float  # back curvature
    whiskers: float  # whisker opacity
    texture_seed: int
    eye_dx: float = 0.0  # eye position jitter in head coordinates (body lengths)
    eye_dy: float = 0.0
    eye: EyeLook = EyeLook()  # highlights, IR glint, lid split, lid colour, wrinkles
    fine_fur: float = 0.5  # contrast of pixel-scale fur strands (close-ups)
    ear_inner_dark: float = 0.0  # 0: light pinkish inner ear, 1: a dark inner ear (an eye-like blob)


@dataclass(frozen=True)
class MousePose:
    """Where the animal is and how it holds itself in one frame (canvas pixels, degrees)."""

    x: float
    y: float
    length: float  # body length in pixels
    body_angle: float = 0.0  # + = nose up
    head_angle: float = 0.0  # relative to the body, + = nose up
    facing: int = 1  # +1 right, -1 left
    head_scale: float = 1.0
    tail_curl: float = 0.0  # -1..1
    hidden: str = ""  # "" (eye visible), "turned" (head turned away), "grooming" (paws over the face)


@dataclass(frozen=True)
class DrawnMouse:
    """Ground truth of one drawn mouse (canvas pixels)."""

    eye_visible: bool
    eye_x: float | None
    eye_y: float | None
    eye_length: float | None
    eye_region_height: float | None
    bbox: tuple[float, float, float, float]  # x0, y0, x1, y1 of the silhouette


COATS = ("black", "grey", "brown")


def random_look(rng: np.random.Generator, greyscale: bool = False, coat: str | None = None) -> MouseLook:
    """Mostly black C57BL/6 coats, a few dark-grey or brown ones; lighter fur under IR-like greyscale light.

    ``coat`` forces one of COATS (the random draws are the same either way, so other traits do not change).
    """
    kind = int(rng.choice(3, p=[0.8, 0.1, 0.1]))
    if coat is not None:
        kind = COATS.index(coat)
    if kind == 0:
        base = np.array([0.055, 0.05, 0.048]) * rng.uniform(0.7, 1.6)
    elif kind == 1:
        base = np.array([0.16, 0.16, 0.17]) * rng.uniform(0.8, 1.3)
    else:
        base = np.array([0.2, 0.13, 0.08]) * rng.uniform(0.8, 1.3)
    if greyscale:
        base = base * rng.uniform(1.5, 4.0)
    base = np.clip(base, 0.0, 0.45)
    ear = np.clip(base * rng.uniform(1.4, 2.4) + np.array([0.05, 0.02, 0.02]) * rng.uniform(0, 1.5), 0, 0.5)
    paw = np.clip(np.array([0.55, 0.38, 0.36]) * rng.uniform(0.5, 1.1), 0, 1)
    return MouseLook(
        fur_rgb=tuple(float(c) for c in base), ear_rgb=tuple(float(c) for c in ear),
        paw_rgb=tuple(float(c) for c in paw), texture_amp=float(rng.uniform(0.3, 0.9)),
        sheen=float(rng.uniform(0.05, 0.35)), ring=float(rng.uniform(0.35, 1.0)), gloss=float(rng.uniform(0.6, 1.0)),
        eye_scale=float(rng.uniform(0.9, 1.1)), open_ratio=float(rng.uniform(0.62, 0.82)),
        gamma=float(rng.uniform(0.85, 1.25)), hump=float(rng.uniform(0.0, 0.3)), whiskers=float(rng.uniform(0.2, 0.6)),
        texture_seed=int(rng.integers(0, 2**31 - 1)),
        eye_dx=float(rng.uniform(-0.015, 0.015)), eye_dy=float(rng.uniform(-0.012, 0.012)),
        **_detail_traits(rng, base, greyscale),
    )


def _detail_traits(rng: np.random.Generator, base: np.ndarray, greyscale: bool) -> dict:
    """Traits that matter at close-up scale (drawn after the others so older traits keep their values)."""
    pink = np.array([0.55, 0.33, 0.32]) * rng.uniform(0.5, 1.0)
    lid = np.clip(base * 2.2 + 0.08, 0, 1) if rng.random() < 0.5 or greyscale else np.clip(pink * 0.6 + base, 0, 1)
    eye = EyeLook(
        ring=0.0, gloss=0.0,  # replaced below by the look's ring/gloss
        highlights=int(rng.choice([1, 2, 3], p=[0.6, 0.3, 0.1])), hl_x=float(rng.uniform(-0.2, 0.25)),
        hl_y=float(rng.uniform(-0.1, 0.3)), hl_size=float(rng.uniform(0.05, 0.16)),
        ir_glint=float(rng.uniform(0.5, 1.0)) if greyscale and rng.random() < 0.4 else 0.0,
        upper_share=float(rng.uniform(0.55, 0.65)), lid_rgb=tuple(float(v) for v in lid),
        wrinkles=float(rng.uniform(0.4, 1.0)),
    )
    return {"eye": eye, "fine_fur": float(rng.uniform(0.2, 0.8)),
            "ear_inner_dark": float(rng.uniform(0.5, 1.0)) if rng.random() < 0.3 else 0.0}


def _rot(deg: float) -> np.ndarray:
    a = np.deg2rad(deg)  # + = counter-clockwise on screen (nose up) with y down
    return np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])


def local_to_canvas(pose: MousePose) -> np.ndarray:
    """2x3 affine map from local mouse coordinates to canvas pixels."""
    lin = pose.length * np.diag([float(pose.facing), 1.0]) @ _rot(pose.body_angle)
    return np.hstack([lin, [[pose.x], [pose.y]]])


@dataclass(frozen=True)
class _Shapes:
    body: list[np.ndarray]  # animal-class polygons (canvas px)
    paws: list[np.ndarray]
    tail: np.ndarray
    ears_far: np.ndarray
    ear_near: np.ndarray
    ear_inner: np.ndarray | None  # None: a turned-away head shows the backs of its ears
    nose: np.ndarray | None  # None: the snout points away
    nostril: np.ndarray | None
    whiskers: list[np.ndarray]
    groom: list[np.ndarray]
    eye: EyeGeometry | None
    lin: np.ndarray  # 2x2 local->canvas linear part (body)
    head_lin: np.ndarray


def _shapes(pose: MousePose, look: MouseLook) -> _Shapes:
    m = local_to_canvas(pose)
    lin, off = m[:, :2], m[:, 2]
    hs = pose.head_scale
    turned = pose.hidden == "turned"
    # A head turned away from the camera is seen from behind: short (the snout points away), both ears showing
    # their backs side by side, no nose tip. (A head in profile always shows its near eye, open or shut: a
    # profile without an eye would be a shut eye, so the renderer never draws one.)
    hx = TURNED_FORESHORTEN * hs if turned else hs
    head_m = _rot(pose.head_angle) @ np.diag([hx, hs])

    def body_pts(p):
        return p @ lin.T + off

    def head_pts(q):
        return body_pts(q @ head_m.T + NECK)

    t = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    bx, by = -0.1 + 0.37 * np.cos(t), 0.19 * np.sin(t)
    top = by < 0
    # pear-shaped: shoulders lower than the haunch, a flatter belly, and a hunched back
    shoulder = 1.0 - 0.28 * np.clip((bx + 0.05) / 0.32, 0, 1) ** 1.3
    by = np.where(top, by * shoulder * (1.0 + look.hump * np.clip(1 - ((bx + 0.2) / 0.3) ** 2, 0, 1)), by * 0.9)
    body = body_pts(np.stack([bx, by], 1))
    # Head: an egg tapering to the snout, the snout tip slightly below the head axis.
    hx_, hy_ = 0.12 + 0.21 * np.cos(t), 0.125 * np.sin(t)
    fw = np.clip((hx_ - 0.12) / 0.21, 0, 1)
    hy_ = hy_ * (1 - 0.5 * fw ** 1.5) + 0.03 * fw ** 2
    head = head_pts(np.stack([hx_, hy_], 1))
    neck = body_pts(paint.ellipse_points(0.1, -0.02, 0.12, 0.14, 0.3, 24))
    # Feet and tail.
    hind = body_pts(paint.ellipse_points(-0.24, 0.18, 0.09, 0.03, -0.1, 20))
    fore = body_pts(paint.ellipse_points(0.16, 0.17, 0.045, 0.025, 0.0, 16))
    foreleg = body_pts(paint.ellipse_points(0.145, 0.125, 0.035, 0.055, 0.2, 16))
    s = np.linspace(0, 1, 16)
    curl = pose.tail_curl
    tx = -0.44 - 0.38 * s + 0.2 * abs(curl) * s ** 2
    ty = 0.08 + 0.06 * s + 0.1 * curl * np.sin(np.pi * s)
    wid = 0.022 * (1 - 0.6 * s)
    dx, dy = np.gradient(tx), np.gradient(ty)
    nrm = np.hypot(dx, dy) + 1e-9
    nx, ny = -dy / nrm, dx / nrm
    tail = body_pts(np.concatenate([np.stack([tx + nx * wid, ty + ny * wid], 1),
                                    np.stack([tx - nx * wid, ty - ny * wid], 1)[::-1]]))
    if turned:  # the backs of both ears, the far one over the (foreshortened) face, as tall as the near one
        ears_far = head_pts(paint.ellipse_points(0.3, -0.12, 0.095, 0.07, 0.35, 28))
        ear_near = head_pts(paint.ellipse_points(-0.02, -0.128, 0.09, 0.068, -0.45, 28))
        ear_inner, nose, nostril = None, None, None
    else:
        ears_far = head_pts(paint.ellipse_points(0.06, -0.135, 0.055, 0.048, -0.3, 24))
        ear_near = head_pts(paint.ellipse_points(0.0, -0.128, 0.072, 0.064, -0.45, 28))
        ear_inner = head_pts(paint.ellipse_points(0.005, -0.13, 0.045, 0.04, -0.45, 20))
        nose = head_pts(paint.ellipse_points(0.322, 0.02, 0.02, 0.016, 0.2, 12))
        nostril = head_pts(paint.ellipse_points(0.318, 0.012, 0.009, 0.005, 0.5, 12)) if pose.length > 300 else None
    whiskers = []
    for i in range(7):
        ang = np.deg2rad(-25 + 60 * i / 6)
        ln = 0.16 + 0.08 * np.sin(i * 1.7 + look.texture_seed % 7)
        sx = np.linspace(0, 1, 6)
        wxs = 0.29 + ln * np.cos(ang) * sx
        wys = 0.02 + ln * np.sin(ang) * sx + 0.03 * sx ** 2
        whiskers.append(head_pts(np.stack([wxs, wys], 1)))
    groom = []
    if pose.hidden == "grooming":
        groom = [body_pts(paint.ellipse_points(0.2, 0.06, 0.045, 0.12, -0.5, 20)),
                 head_pts(paint.ellipse_points(EYE_AT[0] + 0.04, EYE_AT[1] + 0.06, 0.05, 0.045, -0.2, 20)),
                 head_pts(paint.ellipse_points(EYE_AT[0] + 0.005, EYE_AT[1] + 0.005, 0.062, 0.052, 0.4, 20))]
    eye = None
    if pose.hidden == "":
        c = head_pts((EYE_AT + np.array([look.eye_dx, look.eye_dy]))[None, :])[0]
        full = lin @ head_m
        u = full @ np.array([1.0, 0.0])
        v = full @ np.array([0.0, -1.0])
        u, v = u / np.linalg.norm(u), v / np.linalg.norm(v)
        length = EYE_LENGTH * look.eye_scale * pose.length * hs
        eye = EyeGeometry(float(c[0]), float(c[1]), float(u[0]), float(u[1]), float(v[0]), float(v[1]), float(length))
    return _Shapes([body, neck, head, foreleg, hind, fore], [hind, fore], tail, ears_far, ear_near, ear_inner, nose,
                   nostril, whiskers, groom, eye, lin, lin @ head_m)


def silhouette_bbox(pose: MousePose, look: MouseLook, with_tail: bool = False) -> tuple[float, float, float, float]:
    sh = _shapes(pose, look)
    polys = sh.body + [sh.ears_far, sh.ear_near] + ([sh.tail] if with_tail else [])
    p = np.concatenate(polys)
    return float(p[:, 0].min()), float(p[:, 1].min()), float(p[:, 0].max()), float(p[:, 1].max())


def _fur_texture(look: MouseLook, n: int = 256) -> np.ndarray:
    """Fur texture over local [-0.8, 0.8]^2: low-frequency blotches plus fine strands along the body axis."""
    r = np.random.default_rng(look.texture_seed)
    low = cv2.GaussianBlur(r.standard_normal((n // 4, n // 4), dtype=np.float32), (0, 0), n / 72)
    low = cv2.resize(low, (n, n), interpolation=cv2.INTER_LINEAR)
    low /= low.std() + 1e-6
    fine = r.standard_normal((n, n), dtype=np.float32)
    k = np.full((1, 11), 1.0 / 11, np.float32)
    fine = cv2.filter2D(fine, -1, k)  # streaks: fur lies along the body
    fine /= fine.std() + 1e-6
    return 0.12 * low + 0.22 * fine


def _fine_strands(shape: tuple[int, int], head_lin: np.ndarray, seed: int, length: float) -> np.ndarray:
    """Unit-variance pixel-scale noise smeared along the head's forward axis (hairs), for close-ups."""
    r = np.random.default_rng([seed, 7])
    noise = r.standard_normal(shape, dtype=np.float32)
    u = head_lin @ np.array([1.0, 0.0])
    ang = float(np.arctan2(u[1], u[0]))
    n = int(np.clip(length / 120, 5, 15)) | 1
    k = np.zeros((n, n), np.float32)
    c = n // 2
    for i in range(n):
        d = i - c
        k[int(round(c + d * np.sin(ang))), int(round(c + d * np.cos(ang)))] = 1.0
    strands = cv2.filter2D(noise, -1, k / k.sum())
    return strands * np.float32(0.5 / (strands.std() + 1e-6))


_TEXTURE_CACHE_MAX = 64


class _TextureCache:
    """Per-call cache so a video re-uses each animal's texture (owned by the caller, never module-global state)."""

    def __init__(self):
        self._d: dict[int, np.ndarray] = {}

    def get(self, look: MouseLook) -> np.ndarray:
        tex = self._d.get(look.texture_seed)
        if tex is None:
            if len(self._d) >= _TEXTURE_CACHE_MAX:
                self._d.clear()
            tex = _fur_texture(look)
            self._d[look.texture_seed] = tex
        return tex


TextureCache = _TextureCache


def draw_mouse(img: np.ndarray, lab: np.ndarray, pose: MousePose, look: MouseLook, score: float | None,
               cache: TextureCache | None = None, box: tuple[int, int, int, int] | None = None) -> DrawnMouse:
    """Draw one mouse into ``img`` (float RGB 0-1) and ``lab``; returns its truth (eye in canvas pixels).

    With ``box`` (x, y, w, h) the tail bends along the walls instead of passing through them.
    """
    h, w = img.shape[:2]
    sh = _shapes(pose, look)
    if box is not None:
        bx, by, bw, bh = box
        tail = np.stack([np.clip(sh.tail[:, 0], bx + 3, bx + bw - 3), np.clip(sh.tail[:, 1], by + 3, by + bh - 3)], 1)
        sh = replace(sh, tail=tail)
    fur = np.asarray(look.fur_rgb, np.float32)
    ear = np.asarray(look.ear_rgb, np.float32)
    if box is not None:  # soft contact shadow on the box floor
        x0s, _, x1s, y1s = silhouette_bbox(pose, look)
        shadow = paint.ellipse_points((x0s + x1s) / 2, y1s - 0.01 * pose.length, 0.42 * (x1s - x0s), 0.035 * pose.length)
        paint.fill(img, [shadow], (0.0, 0.0, 0.0), alpha=0.3, blur=max(1.0, 0.02 * pose.length))
    # Far ear sits behind the head.
    paint.fill(img, [sh.ears_far], ear * 0.8, blur=0.5)
    paint.label(lab, [sh.ears_far], 2)
    # Silhouette with fur texture and rim light.
    polys = sh.body + [sh.tail]
    cov = paint.coverage(polys, h, w, pad=3, blur=0.5)
    bbox = silhouette_bbox(pose, look)
    if cov is not None:
        a, (x0, y0, x1, y1) = cov
        tex = (cache or TextureCache()).get(look)
        n = tex.shape[0]
        # texture pixel -> local -> canvas (bbox-relative)
        t2l = np.array([[1.6 / n, 0, -0.8 + 0.8 / n], [0, 1.6 / n, -0.8 + 0.8 / n], [0, 0, 1]])
        l2c = np.vstack([local_to_canvas(pose), [0, 0, 1]])
        shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], np.float64)
        mtx = (shift @ l2c @ t2l)[:2]
        field = cv2.warpAffine(tex, mtx, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        sigma = max(1.0, 0.025 * pose.length)
        blur = cv2.GaussianBlur(a, (0, 0), sigma)
        d = max(1, int(round(sigma * 1.5)))
        above = np.zeros_like(blur)
        above[d:] = blur[:-d]  # coverage of the pixel d rows above
        rim = np.clip(a - above, 0, 1) * a
        edge = np.clip(a - blur, 0, 1)
        if pose.length > 400:  # close-up: the body texture is magnified, add pixel-scale strands along the head
            field = field + 0.5 * look.fine_fur * _fine_strands(field.shape, sh.head_lin, look.texture_seed, pose.length)
        col = fur[None, None, :] * (1.0 + look.texture_amp * field[..., None] * 2.0)
        col = col + (look.sheen * rim + 0.3 * look.sheen * edge)[..., None] * np.float32([0.9, 0.85, 0.8])
        paint.blend(img, a, (x0, y0, x1, y1), np.clip(col, 0, 1))
    paint.label(lab, polys, 1)
    # Paws (pinkish) on top of the silhouette, same class.
    paint.fill(img, sh.paws, np.asarray(look.paw_rgb, np.float32) * 0.6 + fur * 0.4, alpha=0.7, blur=0.6)
    if sh.nose is not None:
        paint.fill(img, [sh.nose], np.asarray(look.paw_rgb, np.float32) * 0.55, alpha=0.8, blur=0.5)
    if sh.nostril is not None:  # a dark nostril: eye-sized at close-up scale, a classic false eye
        paint.fill(img, [sh.nostril], fur * 0.25, alpha=0.9, blur=max(0.5, 0.004 * pose.length))
    # Near ear with a lighter, slightly pink inner part.
    paint.fill(img, [sh.ear_near], ear, blur=0.5)
    inner = np.clip(ear * 1.25 + np.float32([0.04, 0.01, 0.01]), 0, 1)
    inner = inner * (1 - look.ear_inner_dark) + fur * 0.35 * look.ear_inner_dark
    if sh.ear_inner is not None:
        paint.fill(img, [sh.ear_inner], inner, alpha=0.6 + 0.3 * look.ear_inner_dark, blur=1.0)
    paint.label(lab, [sh.ear_near], 2)
    for wpts in sh.whiskers:
        paint.stroke(img, wpts, (0.6, 0.58, 0.55), max(1.0, pose.length / 1500),
                     alpha=look.whiskers * min(1.0, pose.length / 250))
    if sh.groom:
        for k, poly in enumerate(sh.groom):  # forearm in fur, then the paws (pinkish-dark) over the face
            col = fur * 1.1 if k == 0 else np.asarray(look.paw_rgb, np.float32) * 0.45 + fur * 0.55
            paint.fill(img, [poly], col, blur=0.6)
        paint.label(lab, sh.groom, 1)
    if sh.eye is None or score is None:
        return DrawnMouse(False, None, None, None, None, bbox)
    g = sh.eye
    rh = draw_eye(img, lab, g, float(score), look.open_ratio, look.gamma, look.fur_rgb, look.ring, look.gloss, look.eye)
    return DrawnMouse(True, g.cx, g.cy, g.length, rh, bbox)


def eye_anchor(pose: MousePose, look: MouseLook) -> tuple[float, float]:
    """Canvas position of the eye centre (also where it would be when the eye is hidden)."""
    sh = _shapes(replace(pose, hidden=""), look)
    return sh.eye.cx, sh.eye.cy


def eye_axes(pose: MousePose, look: MouseLook) -> tuple[float, float, float, float, float]:
    """Eye centre (x, y), unit nose direction (ux, uy) and eye length in canvas pixels, defined by the head
    (also when the eye is hidden)."""
    g = _shapes(replace(pose, hidden=""), look).eye
    return g.cx, g.cy, g.ux, g.uy, g.length


def with_position(pose: MousePose, x: float, y: float) -> MousePose:
    return replace(pose, x=float(x), y=float(y))
