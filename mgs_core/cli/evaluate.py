"""`mgs evaluate`: the current weights through the full pipeline (found eyes judged by the match rule), the
no-mouse check, or k-fold CV of the regressor's training recipe."""
from __future__ import annotations

import argparse
import json
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "evaluate", help="evaluate the weights through the full pipeline, or k-fold CV of the training recipe",
        description="Without --folds: every crop of DIR goes through the runner (segmentation -> eye -> patch -> "
                    "score) exactly as in the app; a detected eye counts only within half the true eye length of "
                    "the true centre (docs/evaluation.md), a farther one is a false detection and a miss and its "
                    "score is not in MAE. With --folds K: K-fold cross-validation of the regressor's training "
                    "recipe on patches at the true eye centre (the paper's protocol). --nomouse N: also run N "
                    "crops without a mouse and report how many were given an eye.")
    p.add_argument("--data", help="labelled dataset folder (docs/dataset.md)")
    p.add_argument("--folds", type=int, help="run K-fold cross-validation of the training recipe instead")
    p.add_argument("--match-radius", type=float, metavar="PX",
                   help="match radius (crop px) for eyes without a true eye_length in the labels (default: half "
                        "the median eye length the runner reports, else 8 px)")
    p.add_argument("--nomouse", type=int, metavar="N", help="no-mouse check: N generated crops without a mouse")
    p.add_argument("--json", help="write the metrics as JSON here (standard JSON, null where undefined)")
    p.add_argument("--predictions", help="write per-item predictions (with matched/false/miss columns) as CSV here")
    p.add_argument("--seg", help="segmentation checkpoint (default: shipped weights)")
    p.add_argument("--score", help="score checkpoint (default: shipped weights)")
    p.add_argument("--check", default="default",
                   help="pipeline: eye-check checkpoint ('default' = the shipped one when present, 'none' = no check)")
    p.add_argument("--backend", choices=["auto", "torch", "onnx"], default="auto")
    p.add_argument("--recipe", choices=["paper", "improved"], default="paper", help="CV: training recipe")
    p.add_argument("--epochs", type=int, help="CV: epochs per fold (default: the recipe's)")
    p.add_argument("--limit", type=int, help="use only the first N rows (CV: the first N visible-eye items)")
    p.add_argument("--seed", type=int, default=0, help="CV: fold split and training seed; no-mouse crops' seed")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--no-zoom", action="store_true",
                   help="pipeline: no coarse-to-fine second look at zoomed tiles of unsure crops")
    p.add_argument("--min-confidence", type=float, metavar="T",
                   help="pipeline: heatmap threshold of the eye decision (default: the U-Net card's decision, "
                        "else 0.5)")
    p.add_argument("--zoom-below", type=float, metavar="T",
                   help="pipeline: scored eyes under this confidence get the zoomed second look too (default: the "
                        "U-Net card's decision, else 0.6)")
    for flag, metavar, _, _, what in _LOOKS:
        p.add_argument(flag, type=float, metavar=metavar,
                       help=f"pipeline: {what} (0 = off; default: the U-Net card's decision, else off)")
    p.add_argument("--refine-side", type=float, metavar="S",
                   help="pipeline: the closer look's tile side as a fraction of the crop (default: the U-Net card's "
                        "decision, else 0.4: 2.5x)")
    p.add_argument("--flip-tta", choices=["on", "off"],
                   help="pipeline: the mirrored second look (crops with an unsure heatmap peak are seen mirrored "
                        "too and the two maps averaged; default: the U-Net card's decision, else off)")
    p.add_argument("--score-shift", type=float, metavar="PX",
                   help="pipeline: also score each eye with its centre moved by +-PX patch pixels up and down and "
                        "average the three (0 = off; default: the score card's tta.shift_px, else off)")
    p.add_argument("--patch", choices=["fixed", "scaled"], default="fixed",
                   help="CV: the paper's fixed 50x50 window, or k x the eye length resized to 50x50")
    p.add_argument("--patch-k", type=float, default=2.5, help="CV with --patch scaled: window side in eye lengths")
    p.set_defaults(func=run)


# the extra looks of the decision: flag, metavar, the runner's rules they set (mgs_core.localise.ZoomRules or
# RefineRules) and which field, what they do
_LOOKS = (
    ("--zoom-focus", "S", "zoom", "focus", "one more zoomed tile of S x the crop centred on the first look's peak"),
    ("--zoom-focus-close", "S", "zoom", "focus_close",
     "and one more, closer tile of S x the crop (e.g. 0.33: 3x) centred on the peak"),
    ("--zoom-out", "Z", "zoom", "out", "and the whole crop shrunk to Z x its side (e.g. 0.4) for unsure eyes of 24+ "
                                       "crop px in a crop the animal fills (an ROI drawn tight around the eye)"),
    ("--zoom-agree", "T", "zoom", "agree", "an unsure crop gets an eye where two looks (the first and the focus tiles) "
                                           "put the same eye at confidence T or more"),
    ("--zoom-last", "S", "zoom", "last", "a last look at crops still without an eye: one tile of S x the crop (e.g. "
                                         "0.25: 4x) centred on the most confident peak any look saw"),
    ("--zoom-turn", "T", "zoom", "turn", "crops still without an eye are looked at turned by a quarter turn each way "
                                         "(a camera on its side) and take the surest eye found so at confidence T+"),
    ("--refine-below", "PX", "refine", "below", "located eyes shorter than PX crop pixels get a closer look (one tile "
                                                "centred on them, enlarged) that re-measures their centre and length"),
)


def _look_values(args: argparse.Namespace):
    """(rules, field, value, flag) of every extra-look flag given."""
    for flag, _, rules, field, _ in _LOOKS:
        value = getattr(args, flag[2:].replace("-", "_"))
        if value is not None:
            yield rules, field, value, flag


def _progress(done: int, total: int, message: str) -> None:
    print(f"\r{message}: {done}/{total}", end="\n" if done == total or message.startswith("fold") else "",
          file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mgs_core.errors import InputError
    from mgs_core.evaluation import check_radius, cross_validate, evaluate_nomouse, evaluate_pipeline, json_safe
    from mgs_core.io.dataset import load_dataset

    if args.data is None and args.nomouse is None:
        raise InputError("give --data DIR (a labelled dataset) and/or --nomouse N")
    if args.predictions and args.data is None:
        raise InputError("--predictions needs --data DIR")
    if args.nomouse is not None and args.nomouse <= 0:
        raise InputError(f"--nomouse must be a positive number of crops, got {args.nomouse}")
    check_radius(args.match_radius)
    report = nomouse = runner = None
    out: dict = {}
    if args.data is not None:
        ds = load_dataset(args.data)
        items = ds.items[: args.limit] if args.limit else ds.items
    if args.data is not None and args.folds is not None:
        from mgs_core.train.data import patch_source
        from mgs_core.train.score import recipe_config

        if not 0.5 <= args.patch_k <= 8:
            raise InputError(f"--patch-k must lie in [0.5, 8], got {args.patch_k:g}")
        src = patch_source(items, mode=args.patch, k=args.patch_k, source=f"{args.data}/labels.csv")
        if not 2 <= args.folds <= len(src):
            raise InputError(f"--folds must be between 2 and the {len(src)} visible-eye items of {args.data}")
        cfg = recipe_config(args.recipe, epochs=args.epochs, seed=args.seed, threads=args.threads, patch=args.patch,
                            patch_k=args.patch_k)
        report = cross_validate(src, args.folds, cfg, seed=args.seed, progress=_progress)
        report.meta.update(recipe=cfg.recipe, patch={"mode": args.patch, "k": args.patch_k if args.patch == "scaled"
                                                    else None})
    if args.folds is None or args.nomouse is not None:
        from dataclasses import replace

        from mgs_core.localise import decision_card
        from mgs_core.patches import MAX_SHIFT_PX
        from mgs_core.runners import load_runner

        for name in ("min_confidence", "zoom_below"):
            value = getattr(args, name)
            if value is not None and not 0.0 < value < 1.0:
                raise InputError(f"--{name.replace('_', '-')} must lie between 0 and 1, got {value:g}")
        if args.score_shift is not None and not 0.0 <= args.score_shift <= MAX_SHIFT_PX:
            raise InputError(f"--score-shift must lie in [0, {MAX_SHIFT_PX:g}] patch pixels (0 = off), got "
                             f"{args.score_shift:g}")
        for rules, _, value, flag in _look_values(args):
            if rules == "zoom" and not 0.0 <= value < 1.0:
                raise InputError(f"{flag} must lie in [0, 1) (0 = off), got {value:g}")
            if rules == "refine" and not 0.0 <= value <= 256:
                raise InputError(f"{flag} must lie in [0, 256] crop pixels (0 = off), got {value:g}")
        if args.refine_side is not None and not 0.0 < args.refine_side < 1.0:
            raise InputError(f"--refine-side must lie between 0 and 1, got {args.refine_side:g}")
        zoom = {"zoom": None} if args.no_zoom else {}
        check = None if args.check == "none" else args.check
        runner = load_runner(seg=args.seg, score=args.score, backend=args.backend, threads=args.threads, check=check,
                             **zoom)
        if args.min_confidence is not None:
            runner.keypoint_rules = replace(runner.keypoint_rules, min_confidence=args.min_confidence)
        if args.zoom_below is not None and runner.zoom is not None:
            runner.zoom = replace(runner.zoom, below=args.zoom_below)
        for rules, field, value, _ in _look_values(args):
            if rules == "zoom" and runner.zoom is not None:
                runner.zoom = replace(runner.zoom, **{field: value})
            elif rules == "refine":
                runner.refine = replace(runner.refine, **{field: value})
        if args.refine_side is not None:
            runner.refine = replace(runner.refine, side=args.refine_side)
        if args.flip_tta is not None:
            runner.flip_tta = args.flip_tta == "on"
        if args.score_shift is not None:
            runner.score_shift = args.score_shift
        out["seg_model"] = card_id(runner.info().seg_model)
        out["score_model"] = card_id(runner.info().score_model)
        out["decision"] = decision_card(runner.keypoint_rules, runner.zoom, runner.flip_tta, runner.refine)
        out["score_tta"] = {"shift_px": runner.score_shift}
    if args.data is not None and args.folds is None:
        card = runner.info().score_model
        report = evaluate_pipeline(runner, items, baseline_mean=card.get("train_score_mean"), progress=_progress,
                                   match_radius=args.match_radius)
        report.meta.update({"seg_model": out["seg_model"], "score_model": out["score_model"],
                            "decision": out["decision"], "score_tta": out["score_tta"]})
    if report is not None:
        report.meta["data"] = str(args.data)
        out = report.to_dict()
        print(report.summary())
    if args.nomouse is not None:
        nomouse = evaluate_nomouse(runner, args.nomouse, seed=args.seed)
        out["nomouse"] = nomouse.to_dict()
        print(nomouse.summary())
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(json_safe(out), indent=2, allow_nan=False) + "\n")
        print(f"metrics: {args.json}")
    if args.predictions:
        Path(args.predictions).parent.mkdir(parents=True, exist_ok=True)
        report.predictions.to_frame().to_csv(args.predictions, index=False)
        print(f"predictions: {args.predictions}")
    return 0


def card_id(card: dict) -> dict:
    return {k: card.get(k) for k in ("path", "sha256", "model_args", "date", "code_version") if k in card}
