"""k-fold cross-validation of the regressor's training recipe (the paper's protocol), on eye patches at the TRUE
eye centre: localisation is not part of it, so no match rule applies."""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np

from mgs_core.evaluation.metrics import mae_per_bin, score_metrics
from mgs_core.evaluation.report import EvalReport, Predictions

ProgressFn = Callable[[int, int, str], None]  # (done, total, message)


def kfold_indices(n: int, folds: int, seed: int = 0) -> list[np.ndarray]:
    """``folds`` disjoint test-index arrays covering 0..n-1 (shuffled with ``seed``, sizes differ by at most 1)."""
    if folds < 2 or folds > n:
        raise ValueError(f"k-fold needs 2 <= folds <= items, got folds={folds} for {n} items")
    return [np.sort(f) for f in np.array_split(np.random.default_rng(seed).permutation(n), folds)]


def cross_validate(source, folds: int = 30, config=None, seed: int = 0, init_features: dict | None = None,
                   progress: ProgressFn | None = None) -> EvalReport:
    """The paper's protocol: k-fold CV of the regressor's training recipe on eye patches at the TRUE eye centre.

    ``source`` is a :class:`mgs_core.train.data.PatchSource` (or a list of dataset items). Every fold trains a fresh
    net (seed ``config.seed + fold``) on the other folds and predicts the held-out centre patches (clamped to 0-9).
    Metrics are pooled over all out-of-fold predictions; the baseline predicts each fold's training mean.
    """
    from mgs_core.train.data import PatchSource, patch_source
    from mgs_core.train.score import ScoreConfig, center_patches, predict_patches, train_score

    if not isinstance(source, PatchSource):
        source = patch_source(source)
    config = config or ScoreConfig()
    n = len(source)
    patches = center_patches(source)
    pred = np.full(n, np.nan)
    base = np.full(n, np.nan)
    fold_id = np.full(n, -1)
    fold_mae = []
    for f, test in enumerate(kfold_indices(n, folds, seed)):
        train = np.setdiff1d(np.arange(n), test)
        model, res = train_score(source.subset(train), None, replace(config, seed=config.seed + f),
                                 init_features=init_features)
        pred[test] = np.clip(predict_patches(model, patches[test]), 0.0, 9.0)
        base[test] = res.train_mean
        fold_id[test] = f
        fold_mae.append(float(np.mean(np.abs(pred[test] - source.scores[test]))))
        if progress:
            progress(f + 1, folds, f"fold {f + 1}/{folds} MAE {fold_mae[-1]:.3f}")
    vis = np.ones(n, bool)
    true = source.scores.astype(np.float64)
    preds = Predictions(source.rows, true, pred, vis, vis, source.eye_x, source.eye_y, source.eye_x, source.eye_y,
                        fold_id, runner_score=pred)
    nan = float("nan")
    # the baseline of CV is each fold's own training mean, not one number
    return EvalReport(mode="cv", n=n, score=score_metrics(true, pred), baseline=score_metrics(true, base),
                      baseline_value=float(np.mean(base)), per_bin=mae_per_bin(true, pred), eye_err_px_median=nan,
                      eye_err_px_p95=nan, detection=None, iou={}, predictions=preds, fold_mae=tuple(fold_mae),
                      meta={"recipe": config.recipe, "epochs": config.epochs, "seed": seed})
