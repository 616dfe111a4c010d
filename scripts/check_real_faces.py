"""Run the shipped pipeline on the real infrared face frames in ../shared/real/dlc_reaching_face/ (not in the repo).

Usage: .venv/bin/python scripts/check_real_faces.py [--out runs/real_check] [--seg PATH --score PATH] [--scales ...]
       [--tight SIDE ...]
       [--decision EVAL.json]  (the decision an `mgs evaluate --json` ran with, for a U-Net not yet released)
For each frame and each ROI (the whole frame, and a head ROI: the upper-left 560 x 420 px) it prints whether an eye was
found, where (frame px), its confidence and score, and writes a contact sheet with the found eye marked, so a person
can judge whether the eye was found where they see it. Nothing here trains on these frames.

``--tight 300 200 150``: the same faces through an ROI drawn tight around the eye, a square of that many frame px
centred on where the whole-frame run put the eye (moved inside the frame): the eye then fills much more of the crop
(an eye ~72 frame px long is ~90 crop px in a 200-px ROI). A summary line per side as for ``--scales``.

``--looks mirror rot15 dark jpeg30 ...`` (names in ``LOOKS``): the whole frames changed as another camera or setup
would show them (mirrored, rotated by 15 or 30 degrees, a quarter or half turn, darker, brighter, blurred,
JPEG-compressed, noisy, tinted, another gamma, a quarter of the resolution, recorded 320 px wide), the eye counting
within half an eye length of where the whole-frame run put it (moved with the frame). A summary line per look.

``--scales 0.5 0.35 0.25``: the same faces seen from further away. Each frame is shrunk by the factor and pasted in
the top-left corner of a canvas of its own size (filled with the frame's median grey), the whole canvas is the ROI,
and the eye counts as found within half an eye length of where the whole-frame run put it on the full-size frame
(that run's eyes are the ones a person checks on the contact sheet). A summary line per scale gives eyes found,
far-away "eyes" and the median score.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "real" / "dlc_reaching_face"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="runs/real_check")
    ap.add_argument("--seg")
    ap.add_argument("--score")
    ap.add_argument("--decision", help="use the decision recorded in this `mgs evaluate --json` file")
    ap.add_argument("--scales", type=float, nargs="*", default=[], help="also shrink each frame by these factors")
    ap.add_argument("--tight", type=int, nargs="*", default=[], help="also ROIs of these sides (frame px) on the eye")
    ap.add_argument("--looks", nargs="*", default=[], choices=sorted(LOOKS), help="also the frames changed so")
    args = ap.parse_args()
    if not REAL.is_dir():
        print(f"{REAL} is absent; nothing to check", file=sys.stderr)
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from mgs_core.pipeline import Pipeline
    from mgs_core.runners import load_runner
    from mgs_core.types import Roi, RoiSet

    runner = load_runner(seg=args.seg, score=args.score, backend="torch")
    if args.decision:
        import json

        from mgs_core.localise import decision_from_card

        card = {"decision": json.loads(Path(args.decision).read_text())["decision"]}
        runner.keypoint_rules, runner.zoom, runner.flip_tta, runner.refine = decision_from_card(card)
    pipe = Pipeline(runner)  # as the app and `mgs score` run it (detail crops for ROIs of 512+ px)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tiles = []
    refs = {}
    for f in sorted(REAL.glob("*.png")):
        bgr = cv2.imread(str(f))
        rgb = np.ascontiguousarray(bgr[..., ::-1])
        h, w = rgb.shape[:2]
        rois = [Roi("frame", 0, 0, w, h), Roi("head", 0, 0, min(w, 560), min(h, 420))]
        results = pipe.process(rgb, RoiSet(tuple(rois), w, h)).rois
        refs[f.name] = (rgb, results[0])  # the frame and its whole-frame result, for --scales
        vis = bgr.copy()
        for roi, r, colour in zip(rois, results, ((0, 255, 0), (0, 200, 255))):
            if r.eye_visible:
                x, y = r.eye_x, r.eye_y
                cv2.circle(vis, (int(round(x)), int(round(y))), 14, colour, 2)
                print(f"{f.name} {roi.id}: eye at ({x:.0f}, {y:.0f}) conf {r.confidence:.2f} score {r.score:.2f}")
            else:
                print(f"{f.name} {roi.id}: no eye")
        cv2.putText(vis, f.name, (10, 740), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (255, 255, 255), 2)
        tiles.append(cv2.resize(vis, (416, 374)))
    rows = [np.hstack(tiles[i : i + 4]) for i in range(0, len(tiles), 4)]
    width = max(r.shape[1] for r in rows)
    sheet = np.vstack([np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0))) for r in rows])
    cv2.imwrite(str(out / "real_faces.png"), sheet)
    print(f"contact sheet: {out / 'real_faces.png'} (green: whole-frame ROI, orange: head ROI)")
    for s in args.scales:
        check_scale(pipe, refs, s)
    for side in args.tight:
        check_tight(pipe, refs, side)
    for name in args.looks:
        check_look(pipe, refs, name)
    return 0


def check_scale(pipe, refs: dict, s: float) -> None:
    """The faces shrunk by ``s`` into a canvas of their own size: eyes found near the full-size eye, far-away eyes."""
    from mgs_core.types import Roi, RoiSet

    cases = []
    for name, (rgb, ref) in refs.items():
        h, w = rgb.shape[:2]
        small = cv2.resize(rgb, (max(1, int(w * s)), max(1, int(h * s))), interpolation=cv2.INTER_AREA)
        canvas = np.full_like(rgb, int(np.median(rgb)))
        canvas[: small.shape[0], : small.shape[1]] = small  # top-left: the top and left edges cut the head as before
        cases.append((name, canvas, RoiSet((Roi("frame", 0, 0, w, h),), w, h), ref, s,
                      f"eye {ref.eye_length * s:.0f} frame px"))
    _report(pipe, f"scale {s}", cases)


def check_tight(pipe, refs: dict, side: int) -> None:
    """A ``side`` x ``side`` ROI centred on the whole-frame run's eye: eyes found near it, far-away eyes, scores."""
    from mgs_core.types import Roi, RoiSet

    cases = []
    for name, (rgb, ref) in refs.items():
        h, w = rgb.shape[:2]
        x0 = int(np.clip(round(ref.eye_x - side / 2), 0, w - side))
        y0 = int(np.clip(round(ref.eye_y - side / 2), 0, h - side))
        cases.append((name, rgb, RoiSet((Roi("eye", x0, y0, side, side),), w, h), ref, 1.0,
                      f"eye {ref.eye_length * 256 / side:.0f} crop px"))
    _report(pipe, f"tight {side}", cases)


def _rotate(rgb: np.ndarray, deg: float):
    h, w = rgb.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), deg, 1.0)
    return cv2.warpAffine(rgb, m, (w, h), borderMode=cv2.BORDER_REPLICATE), lambda x, y: tuple(m @ (x, y, 1.0))


def _jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    _, buf = cv2.imencode(".jpg", np.ascontiguousarray(rgb[:, :, ::-1]), [cv2.IMWRITE_JPEG_QUALITY, quality])
    return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[:, :, ::-1])


def _scaled(rgb: np.ndarray, gain, offset: float = 0.0) -> np.ndarray:
    return np.clip(rgb * np.asarray(gain, np.float64) + offset, 0, 255).astype(np.uint8)


def _lowres(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    small = cv2.resize(rgb, (w // 4, h // 4), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _small_frame(rgb: np.ndarray):
    """The frame recorded at 320 px wide (an ROI smaller than the 256-px crop is enlarged into it)."""
    h, w = rgb.shape[:2]
    f = 320 / w
    small = cv2.resize(rgb, (320, int(round(h * f))), interpolation=cv2.INTER_AREA)
    return small, lambda x, y: ((x + 0.5) * f - 0.5, (y + 0.5) * f - 0.5)


def _noisy(rgb: np.ndarray) -> np.ndarray:
    return _scaled(rgb + np.random.default_rng(0).normal(0, 12, rgb.shape), 1.0)


def _same(x, y):
    return x, y


# name -> frame -> (changed frame, where a frame point goes)
LOOKS = {
    "mirror": lambda f: (np.ascontiguousarray(f[:, ::-1]), lambda x, y: (f.shape[1] - 1 - x, y)),
    "rot15": lambda f: _rotate(f, 15.0),
    "rot-15": lambda f: _rotate(f, -15.0),
    "rot30": lambda f: _rotate(f, 30.0),
    "rot-30": lambda f: _rotate(f, -30.0),
    "rot90": lambda f: (np.ascontiguousarray(np.rot90(f)), lambda x, y: (y, f.shape[1] - 1 - x)),
    "rot-90": lambda f: (np.ascontiguousarray(np.rot90(f, 3)), lambda x, y: (f.shape[0] - 1 - y, x)),
    "rot180": lambda f: (np.ascontiguousarray(f[::-1, ::-1]), lambda x, y: (f.shape[1] - 1 - x, f.shape[0] - 1 - y)),
    "small-frame": lambda f: _small_frame(f),
    "dark": lambda f: (_scaled(f, 0.45), _same),
    "bright": lambda f: (_scaled(f, 1.6, 20.0), _same),
    "blur": lambda f: (cv2.GaussianBlur(f, (0, 0), 3), _same),
    "jpeg30": lambda f: (_jpeg(f, 30), _same),
    "noise": lambda f: (_noisy(f), _same),
    "tint-red": lambda f: (_scaled(f, (1.0, 0.55, 0.5)), _same),
    "tint-blue": lambda f: (_scaled(f, (0.5, 0.6, 1.0)), _same),
    "gamma2": lambda f: ((255 * (f / 255.0) ** 2.0).astype(np.uint8), _same),
    "lowres": lambda f: (_lowres(f), _same),
}


def check_look(pipe, refs: dict, name: str) -> None:
    """The whole frames changed by ``LOOKS[name]``: eyes found near the whole-frame run's eye (moved with the frame)."""
    from types import SimpleNamespace

    from mgs_core.types import Roi, RoiSet

    cases = []
    for fname, (rgb, ref) in refs.items():
        if not ref.eye_visible or ref.eye_length is None:
            continue
        frame, move = LOOKS[name](rgb)
        x, y = move(ref.eye_x, ref.eye_y)
        h, w = frame.shape[:2]
        f = np.sqrt(frame.shape[0] * frame.shape[1] / (rgb.shape[0] * rgb.shape[1]))  # a smaller frame: a shorter eye
        moved = SimpleNamespace(eye_visible=True, eye_x=x, eye_y=y, eye_length=ref.eye_length * f)
        cases.append((fname, frame, RoiSet((Roi("frame", 0, 0, w, h),), w, h), moved, 1.0, name))
    _report(pipe, f"look {name}", cases)


def _report(pipe, tag: str, cases: list) -> None:
    """Run each ``(name, frame, roiset, ref, scale, what)`` case; an eye counts within half the whole-frame run's eye
    length (times ``scale``) of that run's eye (times ``scale``). One line per case and a summary line."""
    found, far, scores, n = 0, 0, [], 0
    for name, frame, roiset, ref, s, size in cases:
        if not ref.eye_visible or ref.eye_length is None:
            continue
        r = pipe.process(frame, roiset).rois[0]
        n += 1
        what = f"no eye ({r.status})"
        if r.eye_x is not None:
            d = float(np.hypot(r.eye_x - ref.eye_x * s, r.eye_y - ref.eye_y * s))
            ok = d <= 0.5 * ref.eye_length * s
            found += ok
            far += not ok
            if ok and r.score is not None:
                scores.append(r.score)
            what = f"{'eye' if ok else 'FAR-AWAY eye'} ({r.status}) {d:.0f} px off, conf {r.confidence:.2f}" + (
                f", score {r.score:.2f}" if r.score is not None else "")
        print(f"{tag}: {name}: {size}: {what}")
    med = f"{np.median(scores):.2f}" if scores else "n/a"
    print(f"{tag}: eye found in {found} of {n}, far-away eyes {far}, median score {med}")


if __name__ == "__main__":
    sys.exit(main())
