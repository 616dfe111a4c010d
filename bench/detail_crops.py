"""Detail crops (mgs_core/pipeline.py): score a dataset rendered at k x 256 px as 256-px crops and as detail crops.

Usage: .venv/bin/python bench/detail_crops.py DATASET [--sides 256,512,1024] [--seg PATH] [--score PATH]
DATASET: a labelled folder (docs/dataset.md) whose crops are larger than 256 px, e.g.
`mgs synth dataset --out runs/v4/dev1024 --n 400 --seed 600009 --size 1024 --format jpg`. Each crop is resized
(INTER_AREA) to every side and given to the LocalRunner as it is (256: a plain crop; 512/1024: a detail crop). A
detection counts within half the true eye length. Prints MAE on the eyes found and scored at every side, by eye
length in the 256-px view, and the same with patches at the true eye (oracle). Never asserts anything.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

BINS = [0, 12, 20, 33, 60, 1e9]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data")
    ap.add_argument("--sides", default="256,512,1024")
    ap.add_argument("--seg")
    ap.add_argument("--score")
    a = ap.parse_args()
    from mgs_core.runners import load_runner

    runner = load_runner(seg=a.seg, score=a.score, backend="torch")
    sides = [int(s) for s in a.sides.split(",")]
    folder = Path(a.data)
    lab = pd.read_csv(folder / "labels.csv")
    lab = lab[lab["eye_visible"] == 1].reset_index(drop=True)
    native = cv2.imread(str(folder / lab["image"][0])).shape[0]
    length256 = lab["eye_length"].to_numpy() * 256 / native
    err = {s: np.full(len(lab), np.nan) for s in sides}
    oracle = {s: np.full(len(lab), np.nan) for s in sides}
    for start in range(0, len(lab), 16):
        part = lab.iloc[start : start + 16]
        big = np.stack([cv2.cvtColor(cv2.imread(str(folder / p)), cv2.COLOR_BGR2RGB) for p in part["image"]])
        for side in sides:
            f = side / native
            crops = big if side == native else np.stack(
                [cv2.resize(b, (side, side), interpolation=cv2.INTER_AREA) for b in big])
            tx, ty = (part["eye_x"].to_numpy() + 0.5) * f - 0.5, (part["eye_y"].to_numpy() + 0.5) * f - 0.5
            tl = part["eye_length"].to_numpy() * f
            for j, r in enumerate(runner.infer(crops)):
                if r.status == "scored" and np.hypot(r.eye_x - tx[j], r.eye_y - ty[j]) <= tl[j] / 2:
                    err[side][start + j] = abs(r.score - part["score"].iloc[j])
            pred = runner.score_eyes(crops, list(zip(tx, ty, tl)))
            oracle[side][start : start + len(part)] = np.abs(pred - part["score"].to_numpy())
    common = np.all([np.isfinite(e) for e in err.values()], axis=0)
    bins = pd.cut(length256, BINS, right=False)
    print(f"{folder}: {len(lab)} visible eyes, crops {native} px; {common.sum()} found and scored at every side")
    for side in sides:
        e = pd.Series(err[side])[common]
        by = e.groupby(bins[common], observed=False).mean().round(2).tolist()
        print(f"  {side:5d} px: MAE {e.mean():.3f}  by eye length at 256 px {BINS[1:-1]}: {by}  "
              f"(oracle patches MAE {np.mean(oracle[side]):.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
