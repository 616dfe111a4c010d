"""A regressor training set at the eyes the U-Net found: the labels of DATA with each eye moved to where an
``mgs evaluate --predictions`` run located it.

Usage: .venv/bin/python scripts/found_eye_dataset.py DATA PREDICTIONS.csv OUT

OUT gets a ``labels.csv`` (and a link ``OUT/data -> DATA`` the image paths go through) with one row per crop whose eye
the run found within half an eye length and scored: ``eye_x``, ``eye_y`` and ``eye_length`` are the run's
(``pred_x``, ``pred_y``, ``pred_eye_length``), the score is the rendered truth, and ``eye_from`` says ``found``.
``mgs train score --data OUT`` then cuts every patch where inference would cut it, with the localiser's real error
in centre and length instead of only the recipe's random shifts. Use fresh renders, not the U-Net's own training
crops, whose eyes it finds more precisely than new ones.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    import numpy as np
    import pandas as pd

    data, pred_csv, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    labels = pd.read_csv(data / "labels.csv", dtype=str, keep_default_na=False)
    pred = pd.read_csv(pred_csv)
    if len(pred) != len(labels):
        print(f"error: {pred_csv} has {len(pred)} rows but {data / 'labels.csv'} has {len(labels)}: not a run on "
              "this dataset", file=sys.stderr)
        return 2
    keep = pred[(pred.outcome == "found") & pred.pred_score.notna() & np.isfinite(pred.pred_eye_length)]
    rows = labels.iloc[keep.row.to_numpy() - 1].copy()
    rows["eye_x"] = [f"{v:.3f}" for v in keep.pred_x]
    rows["eye_y"] = [f"{v:.3f}" for v in keep.pred_y]
    rows["eye_length"] = [f"{v:.3f}" for v in keep.pred_eye_length]
    rows["eye_from"] = "found"
    rows["image"] = "data/" + rows["image"]
    rows["mask"] = [f"data/{m}" if m else "" for m in rows["mask"]]
    out.mkdir(parents=True, exist_ok=True)
    link = out / "data"
    if not link.exists():
        link.symlink_to(os.path.relpath(data.resolve(), out.resolve()))
    rows.to_csv(out / "labels.csv", index=False)
    print(f"wrote {out / 'labels.csv'}: {len(rows)} found eyes of {len(labels)} crops")
    return 0


if __name__ == "__main__":
    sys.exit(main())
