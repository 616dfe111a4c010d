"""Fine-tune both networks on a lab's own labels, from the active model, with k-fold CV before vs after.

:func:`finetune` takes a dataset folder (docs/dataset.md; a lab's clicks-only labels are enough: eye points,
eye_visible and scores, masks optional) and a parent model (``init="default"`` = the shipped weights, or a
``(seg.pt, score.pt)`` pair, e.g. the app's active model) and:

1. **k-fold CV of the score network on the lab's labels** (the paper's protocol, patches at the labelled eye
   centre, folds fixed by ``seed``): *before* = the parent regressor's predictions on each held-out fold as it is;
   *after* = for every fold, the parent fine-tuned on the other folds (``train_score(..., init=parent)``) predicting
   the held-out fold. MAE, RMSE, bias, Pearson r and ICC(2,1) are pooled over all out-of-fold predictions.
2. **fine-tunes the U-Net** (``train_seg(..., init=parent)``: the eye keypoint head learns from the clicked eye
   points, the segmentation classes from masks where there are any) and **the regressor** on all labels.
3. writes ``seg.pt`` / ``score.pt`` (+ their cards) and ``model_card.json`` / ``model_card.md`` into ``out_dir``:
   the lab's data, the parent model, the recipe and the CV figures.

``progress(stage, done, total, eta_s)`` is called after every epoch of every training run (``done``/``total``
count epochs over the whole job); ``cancel`` (a ``threading.Event``) is checked there too and stops the job with
:class:`FinetuneCancelled` (nothing is written to ``out_dir`` but partial checkpoints in its ``.work`` folder).
"""
from __future__ import annotations

import json
import shutil
import threading
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np

from mgs_core.errors import DatasetError, MGSError

ProgressFn = Callable[[str, int, int, float], None]


class FinetuneCancelled(MGSError):
    """The fine-tuning job was cancelled by the user."""


@dataclass(frozen=True)
class CVFigures:
    n: int
    folds: int
    mae: float
    rmse: float
    bias: float
    pearson_r: float
    icc_2_1: float


@dataclass(frozen=True)
class FinetuneResult:
    seg_path: Path
    score_path: Path
    cv_before: CVFigures
    cv_after: CVFigures
    card: dict
    seconds: float


def _figures(true, pred, folds: int) -> CVFigures:
    from mgs_core.evaluate import score_metrics

    m = score_metrics(true, pred)
    return CVFigures(m.n, folds, m.mae, m.rmse, m.bias, m.pearson_r, m.icc)


def _parents(init) -> tuple[Path, Path, str]:
    from mgs_core.models import default_weight_paths

    if init is None or str(init) == "default":
        seg, score = default_weight_paths()
        return seg, score, "shipped weights"
    try:
        seg, score = init
    except (TypeError, ValueError):
        raise DatasetError(f"init must be 'default' or a (segmentation, score) checkpoint pair, got {init!r}") from None
    seg, score = Path(seg) if seg else default_weight_paths()[0], Path(score) if score else default_weight_paths()[1]
    return seg, score, f"{seg.name} + {score.name}"


def check_dataset(items, folds: int) -> int:
    """Number of items the regressor learns from; refuses a dataset too small for ``folds``-fold CV or fine-tuning."""
    from mgs_core.train.seg import MIN_FINETUNE_ITEMS

    n_scored = sum(1 for it in items if it.eye_visible and it.score is not None)
    if folds < 2:
        raise DatasetError(f"k-fold cross-validation needs at least 2 folds, got {folds}")
    need = max(2 * folds, MIN_FINETUNE_ITEMS)
    if len(items) < MIN_FINETUNE_ITEMS or n_scored < need:
        raise DatasetError(f"{n_scored} labelled frames with a visible eye and a score ({len(items)} in all): "
                           f"{folds}-fold cross-validation and fine-tuning need at least {need}; label more frames or "
                           "use fewer folds")
    return n_scored


def finetune(dataset_dir: str | Path, out_dir: str | Path, init="default", epochs_seg: int = 20,
             epochs_score: int = 60, folds: int = 5, progress: ProgressFn | None = None,
             cancel: threading.Event | None = None, seed: int = 0, threads: int = 2,
             user: str | None = None) -> FinetuneResult:
    from mgs_core.evaluate import kfold_indices
    from mgs_core.io.dataset import load_dataset
    from mgs_core.models.checkpoint import file_sha256
    from mgs_core.train.data import patch_source, seg_arrays
    from mgs_core.train.score import center_patches, load_score_init, predict_patches, recipe_config, train_score
    from mgs_core.train.seg import SegConfig, load_init, train_seg

    from mgs_core.access.who import os_user

    t0 = time.perf_counter()
    who = user or os_user()  # who fine-tuned it, in every card written
    dataset_dir, out_dir = Path(dataset_dir), Path(out_dir)
    if epochs_seg < 1 or epochs_score < 1:
        raise DatasetError("fine-tuning needs at least 1 epoch for each network")
    ds = load_dataset(dataset_dir)
    items = list(ds.items)
    check_dataset(items, folds)
    seg_parent, score_parent, parent_label = _parents(init)
    seg_model, seg_card = load_init(seg_parent)
    score_model, score_card = load_score_init(score_parent)
    patch, k = score_model.patch, float(getattr(score_model, "patch_k", 2.5))
    if patch == "scaled":
        from mgs_core.train.lengths import fill_eye_lengths

        items = fill_eye_lengths(items, seg_parent if getattr(seg_model, "keypoint", False) else "default")
    src = patch_source(items, mode=patch, k=k, source=f"{dataset_dir.name}/labels.csv")
    cfg = recipe_config("improved", epochs=epochs_score, seed=seed, threads=threads, patch=patch, patch_k=k)
    total = folds * epochs_score + epochs_seg + epochs_score
    done = [0]

    def tick(stage: str):
        def cb(stats):
            done[0] += 1
            el = time.perf_counter() - t0
            if progress:
                progress(stage, done[0], total, el / done[0] * (total - done[0]))
            if cancel is not None and cancel.is_set():
                raise FinetuneCancelled("fine-tuning was cancelled")
        return cb

    def check_cancel():
        if cancel is not None and cancel.is_set():
            raise FinetuneCancelled("fine-tuning was cancelled")

    if progress:
        progress("preparing", 0, total, float("nan"))
    # 1. k-fold CV of the regressor on the lab's labels: the parent as it is vs fine-tuned on the other folds
    n = len(src)
    patches = center_patches(src)
    before = np.clip(predict_patches(score_model, patches), 0.0, 9.0)
    after = np.full(n, np.nan)
    for f, test in enumerate(kfold_indices(n, folds, seed)):
        check_cancel()
        train = np.setdiff1d(np.arange(n), test)
        model, _ = train_score(src.subset(train), None, replace(cfg, seed=seed + f), init=score_parent,
                               progress=tick(f"cross-validation, fold {f + 1} of {folds}"))
        after[test] = np.clip(predict_patches(model, patches[test]), 0.0, 9.0)
    cv_before, cv_after = _figures(src.scores, before, folds), _figures(src.scores, after, folds)
    # 2. fine-tune both networks on all labels
    work = out_dir.with_name(out_dir.name + ".work")
    work.mkdir(parents=True, exist_ok=True)
    size = int(seg_model.model_args["input_size"])
    from mgs_core.io.dataset import dataset_digest

    digest = dataset_digest(dataset_dir)  # lets an evaluation on these labels say it is the training data
    data_desc = {"dataset": str(dataset_dir), "labels_sha256": digest, "n_items": len(items), "n_scored": n,
                 "n_no_eye": sum(1 for it in items if not it.eye_visible),
                 "label_sets": sorted({it.extra.get("label_set", "") for it in ds.items} - {""}),
                 "raters": sorted({it.extra.get("rater", "") for it in ds.items} - {""})}
    note = (f"fine-tuned on a lab's own labels: {dataset_dir.name} ({len(items)} crops, {n} scored"
            + (f"; raters {', '.join(data_desc['raters'])}" if data_desc["raters"] else "") + ")")
    check_cancel()
    train_seg(seg_arrays(items, size, source=f"{dataset_dir.name}/labels.csv"), None, work / "seg.pt",
              SegConfig(input_size=size, epochs=epochs_seg, batch=min(16, len(items)), seed=seed, threads=threads),
              card={"name": f"U-Net fine-tuned on {dataset_dir.name}", "training_data": note, "user": who,
                    "training_data_sha256": digest},
              progress=tick("fine-tuning the U-Net"), init=seg_parent)
    check_cancel()
    train_score(src, work / "score.pt", cfg,
                card={"name": f"regressor fine-tuned on {dataset_dir.name}", "training_data": note, "user": who,
                      "training_data_sha256": digest,
                      "cv_on_lab_labels": {"before": asdict(cv_before), "after": asdict(cv_after)}},
                progress=tick("fine-tuning the regressor"), init=score_parent)
    card = {"name": f"fine-tuned on {dataset_dir.name}", "user": who,
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "data": data_desc,
            "parent": {"label": parent_label,
                       "segmentation": {"name": seg_card.get("name", ""), "path": str(seg_parent),
                                        "sha256": file_sha256(seg_parent)},
                       "score": {"name": score_card.get("name", ""), "path": str(score_parent),
                                 "sha256": file_sha256(score_parent)}},
            "recipe": {"epochs_seg": epochs_seg, "epochs_score": epochs_score, "score_recipe": cfg.recipe,
                       "patch": patch, "seed": seed},
            "cv": {"folds": folds, "protocol": "score network, patches at the labelled eye centre; before = parent "
                                               "as it is, after = parent fine-tuned on the other folds",
                   "before": asdict(cv_before), "after": asdict(cv_after)},
            "seconds": round(time.perf_counter() - t0, 1),
            "honesty": "The parent was trained on synthetic renderer images; these figures are on the lab's own "
                       "labels, by cross-validation, and say nothing about other labs' footage."}
    (work / "model_card.json").write_text(json.dumps(card, indent=2) + "\n")
    (work / "model_card.md").write_text(card_markdown(card))
    if out_dir.exists():
        shutil.rmtree(out_dir)
    work.rename(out_dir)
    if progress:
        progress("done", total, total, 0.0)
    return FinetuneResult(out_dir / "seg.pt", out_dir / "score.pt", cv_before, cv_after, card,
                          time.perf_counter() - t0)


def card_markdown(card: dict) -> str:
    def f(v):
        return "n/a" if v is None or not np.isfinite(v) else f"{v:.3f}"

    b, a = card["cv"]["before"], card["cv"]["after"]
    d, p = card["data"], card["parent"]
    return "\n".join([
        f"# Model card: {card['name']}", "",
        f"- Date: {card['date']}",
        f"- Trained by: {card.get('user', 'unknown')}",
        f"- Data: `{d['dataset']}`: {d['n_items']} labelled crops, {d['n_scored']} with a visible eye and a score, "
        f"{d['n_no_eye']} without a visible eye" + (f"; label sets {', '.join(d['label_sets'])}" if d["label_sets"]
                                                   else "") + (f"; raters {', '.join(d['raters'])}" if d["raters"] else ""),
        f"- Parent model: {p['label']} (segmentation `{p['segmentation']['name']}` sha256 "
        f"{p['segmentation']['sha256'][:12]}, score `{p['score']['name']}` sha256 {p['score']['sha256'][:12]})",
        f"- Recipe: U-Net {card['recipe']['epochs_seg']} epochs, regressor {card['recipe']['epochs_score']} epochs "
        f"({card['recipe']['score_recipe']}, {card['recipe']['patch']} patches), seed {card['recipe']['seed']}; "
        f"took {card['seconds']:.0f} s",
        "", f"## {card['cv']['folds']}-fold cross-validation on the lab's labels", "",
        card["cv"]["protocol"] + ".", "",
        "| | n | MAE | RMSE | bias | Pearson r | ICC(2,1) |", "|---|---|---|---|---|---|---|",
        f"| before (parent) | {b['n']} | {f(b['mae'])} | {f(b['rmse'])} | {f(b['bias'])} | {f(b['pearson_r'])} | "
        f"{f(b['icc_2_1'])} |",
        f"| after (fine-tuned) | {a['n']} | {f(a['mae'])} | {f(a['rmse'])} | {f(a['bias'])} | {f(a['pearson_r'])} | "
        f"{f(a['icc_2_1'])} |",
        "", card["honesty"], ""])
