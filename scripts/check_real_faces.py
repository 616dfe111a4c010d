"""Run the shipped pipeline on the real infrared face frames in ../shared/real/dlc_reaching_face/ (not in the repo).

Usage: .venv/bin/python scripts/check_real_faces.py [--out runs/real_check] [--seg PATH --score PATH]
For each frame and each ROI (the whole frame, and a head ROI: the upper-left 560 x 420 px) it prints whether an eye was
found, where (frame px), its confidence and score, and writes a contact sheet with the found eye marked, so a person
can judge whether the eye was found where they see it. Nothing here trains on these frames.
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
    args = ap.parse_args()
    if not REAL.is_dir():
        print(f"{REAL} is absent; nothing to check", file=sys.stderr)
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from mgs_core.pipeline import Pipeline
    from mgs_core.runners import load_runner
    from mgs_core.types import Roi, RoiSet

    runner = load_runner(seg=args.seg, score=args.score, backend="torch")
    pipe = Pipeline(runner)  # as the app and `mgs score` run it (detail crops for ROIs of 512+ px)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tiles = []
    for f in sorted(REAL.glob("*.png")):
        bgr = cv2.imread(str(f))
        rgb = np.ascontiguousarray(bgr[..., ::-1])
        h, w = rgb.shape[:2]
        rois = [Roi("frame", 0, 0, w, h), Roi("head", 0, 0, min(w, 560), min(h, 420))]
        results = pipe.process(rgb, RoiSet(tuple(rois), w, h)).rois
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
