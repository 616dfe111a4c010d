"""`mgs evaluate`: the current weights through the full pipeline, or k-fold CV of the regressor's training recipe."""
from __future__ import annotations

import argparse
import json
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "evaluate", help="evaluate the weights through the full pipeline, or k-fold CV of the training recipe",
        description="Without --folds: every crop of DIR goes through the runner (segmentation -> eye -> patch -> "
                    "score) exactly as in the app; localisation errors count. With --folds K: K-fold "
                    "cross-validation of the regressor's training recipe on patches at the true eye centre "
                    "(the paper's protocol).")
    p.add_argument("--data", required=True, help="labelled dataset folder (docs/dataset.md)")
    p.add_argument("--folds", type=int, help="run K-fold cross-validation of the training recipe instead")
    p.add_argument("--json", help="write the metrics as JSON here")
    p.add_argument("--predictions", help="write per-item predictions as CSV here")
    p.add_argument("--seg", help="segmentation checkpoint (default: shipped weights)")
    p.add_argument("--score", help="score checkpoint (default: shipped weights)")
    p.add_argument("--backend", choices=["auto", "torch", "onnx"], default="auto")
    p.add_argument("--recipe", choices=["paper", "improved"], default="paper", help="CV: training recipe")
    p.add_argument("--epochs", type=int, help="CV: epochs per fold (default: the recipe's)")
    p.add_argument("--limit", type=int, help="use only the first N rows (CV: the first N visible-eye items)")
    p.add_argument("--seed", type=int, default=0, help="CV: fold split and training seed")
    p.add_argument("--threads", type=int, default=2)
    p.set_defaults(func=run)


def _progress(done: int, total: int, message: str) -> None:
    print(f"\r{message}: {done}/{total}", end="\n" if done == total or message.startswith("fold") else "",
          file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mgs_core.errors import InputError
    from mgs_core.evaluate import cross_validate, evaluate_pipeline
    from mgs_core.io.dataset import load_dataset

    ds = load_dataset(args.data)
    items = ds.items[: args.limit] if args.limit else ds.items
    if args.folds is not None:
        from mgs_core.train.data import patch_source
        from mgs_core.train.score import recipe_config

        src = patch_source(items)
        if not 2 <= args.folds <= len(src):
            raise InputError(f"--folds must be between 2 and the {len(src)} visible-eye items of {args.data}")
        cfg = recipe_config(args.recipe, epochs=args.epochs, seed=args.seed, threads=args.threads)
        report = cross_validate(src, args.folds, cfg, seed=args.seed, progress=_progress)
    else:
        from mgs_core.runners import load_runner

        runner = load_runner(seg=args.seg, score=args.score, backend=args.backend, threads=args.threads)
        card = runner.info().score_model
        report = evaluate_pipeline(runner, items, baseline_mean=card.get("train_score_mean"), progress=_progress)
        report.meta.update({"seg_model": card_id(runner.info().seg_model), "score_model": card_id(card)})
    report.meta["data"] = str(args.data)
    print(report.summary())
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(_finite(report.to_dict()), indent=2, default=float) + "\n")
        print(f"metrics: {args.json}")
    if args.predictions:
        report.predictions.to_frame().to_csv(args.predictions, index=False)
        print(f"predictions: {args.predictions}")
    return 0


def card_id(card: dict) -> dict:
    return {k: card.get(k) for k in ("path", "sha256", "model_args", "date", "code_version") if k in card}


def _finite(value):
    """NaN/inf -> null so the JSON is standard (browsers and jq reject NaN)."""
    import math

    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
