"""Fine-tuning time on a lab-sized set of clicks-only labels (eye point, eye_visible, score; no masks), 2 CPU threads.

Renders N labelled 256-px crops with the procedural renderer, drops the masks (a lab's labels have none), and runs
``mgs_core.train.finetune.finetune`` from the shipped weights with the app's default recipe (U-Net 20 epochs,
regressor 60 epochs, 5-fold CV of the regressor before vs after). Prints the wall time of each stage and the CV
figures. Synthetic labels: the figures say how long the app's fine-tuning takes, not how much it helps on real mice.

    python bench/finetune_speed.py [--n 100] [--epochs-seg 20] [--epochs-score 60] [--folds 5]
"""
from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--epochs-seg", type=int, default=20)
    ap.add_argument("--epochs-score", type=int, default=60)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=10500)
    args = ap.parse_args()

    from mgs_core.synth.dataset import make_dataset
    from mgs_core.train.finetune import finetune

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "lab"
        make_dataset(data, n=args.n, seed=args.seed, workers=1)
        rows = list(csv.DictReader((data / "labels.csv").open()))
        for r in rows:
            r["mask"] = ""
            r.pop("eye_length", None)  # a rater clicks the eye, nobody measures it
        cols = [c for c in rows[0].keys()]
        with (data / "labels.csv").open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=cols)
            w.writeheader()
            w.writerows(rows)
        stages: dict[str, float] = {}
        last = [time.perf_counter(), ""]

        def progress(stage, done, total, eta):
            now = time.perf_counter()  # called after each epoch: the time since the last call was spent on `stage`
            key = "cross-validation" if stage.startswith("cross-validation") else stage
            if key != "done":
                stages[key] = stages.get(key, 0.0) + now - last[0]
            last[0] = now

        t0 = time.perf_counter()
        res = finetune(data, Path(tmp) / "out", "default", args.epochs_seg, args.epochs_score, args.folds,
                       progress=progress)
        total = time.perf_counter() - t0
    n_scored = res.cv_before.n
    print(f"{args.n} crops ({n_scored} with a visible eye), U-Net {args.epochs_seg} epochs, regressor "
          f"{args.epochs_score} epochs, {args.folds}-fold CV")
    for k, v in stages.items():
        print(f"  {k:28s} {v:7.1f} s")
    print(f"  {'total':28s} {total:7.1f} s")
    b, a = res.cv_before, res.cv_after
    print(f"  CV before: MAE {b.mae:.3f} r {b.pearson_r:.3f} ICC {b.icc_2_1:.3f}; after: MAE {a.mae:.3f} "
          f"r {a.pearson_r:.3f} ICC {a.icc_2_1:.3f}")


if __name__ == "__main__":
    main()
