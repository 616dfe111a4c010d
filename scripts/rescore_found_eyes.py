"""Score the eyes a pipeline evaluation found with another regressor, without running the U-Net again.

Usage: .venv/bin/python scripts/rescore_found_eyes.py --score PATH [--score-shift PX] DATA:PREDICTIONS.csv [...]

Each ``DATA:PREDICTIONS.csv`` pair is a labelled dataset folder and the ``--predictions`` CSV that
``mgs evaluate --data DATA`` wrote for it. Every row whose outcome is ``found`` and that was scored is cut again at the
found eye (``pred_x``, ``pred_y``, ``pred_eye_length``) and at the true eye, exactly as the runner cuts it
(``LocalRunner.score_eyes``: mirrored patch and shift views as the card or ``--score-shift`` says), and scored by
``--score``. It prints the MAE at the found eye (what the full pipeline reports for that regressor, since the U-Net's
eyes do not depend on it) and at the true eye, per set and pooled. This is how the regressor candidates in
docs/model_card.md were compared; it takes seconds where a full evaluation takes minutes.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pairs", nargs="+", metavar="DATA:PREDICTIONS.csv")
    ap.add_argument("--score", required=True, help="regressor checkpoint")
    ap.add_argument("--score-shift", type=float, help="shift test-time augmentation, patch px (default: the card's)")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import pandas as pd

    from mgs_core.io.dataset import read_rgb
    from mgs_core.runners.local import LocalRunner

    # the runner's own scoring (LocalRunner.score_eyes); its U-Net, the shipped one, is not used
    kw = {} if args.score_shift is None else {"score_shift": args.score_shift}
    runner = LocalRunner.from_checkpoints(score=args.score, backend="torch", check=None, **kw)
    scores, shift = runner.score_eyes, runner.score_shift

    found_all, true_all = [], []
    for pair in args.pairs:
        data, _, csv = pair.partition(":")
        if not csv:
            ap.error(f"{pair!r}: expected DATA:PREDICTIONS.csv")
        labels = pd.read_csv(Path(data) / "labels.csv")
        pred = pd.read_csv(csv)
        rows = pred[(pred.outcome == "found") & pred.pred_score.notna()]
        crops = np.stack([read_rgb(Path(data) / labels.image[r - 1], r) for r in rows.row])
        truth = rows.true_score.to_numpy()
        ef = np.abs(scores(crops, list(zip(rows.pred_x, rows.pred_y, rows.pred_eye_length))) - truth)
        et = np.abs(scores(crops, list(zip(rows.true_x, rows.true_y, rows.true_eye_length))) - truth)
        found_all.append(ef)
        true_all.append(et)
        print(f"{data}: {len(rows)} found eyes, MAE at the found eye {ef.mean():.4f}, at the true eye {et.mean():.4f}")
    print(f"pooled: MAE at the found eye {np.concatenate(found_all).mean():.4f}, at the true eye "
          f"{np.concatenate(true_all).mean():.4f} (score shift {shift:g} px)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
