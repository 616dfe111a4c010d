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
