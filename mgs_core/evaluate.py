"""Evaluation: metric functions on arrays, full-pipeline evaluation through a Runner, and k-fold cross-validation
of the regressor's training recipe (the paper's protocol).

Agreement statistics (MAE, RMSE, Pearson r, ICC, Bland-Altman) come from :mod:`mgs_core.analysis.agreement`
(one implementation for the whole project). This module adds the evaluation-specific metrics: MAE per true-score
bin, eye-centre error, eye-visible precision/recall/F1 and per-class IoU, and bundles them in an :class:`EvalReport`.

Conventions: Bland-Altman ``bias = mean(predicted - true)`` (negative = the model underestimates, as the paper's
-0.18). ICC is ICC(2,1) of the (true, predicted) pair per item. Scores are clamped to [0, 9] like the runner does.
Pipeline evaluation scores an item only when the true eye is visible and the pipeline found an eye; missed eyes
lower the eye-visible recall, they are never scored as a guess.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from mgs_core.analysis.agreement import bland_altman, icc, mae, pearson_r, rmse
from mgs_core.models.unet import CLASSES

ProgressFn = Callable[[int, int, str], None]  # (done, total, message)


# ---- metric functions ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScoreMetrics:
    n: int
    mae: float
    rmse: float
    bias: float
    loa_low: float
    loa_high: float
    pearson_r: float
    icc: float


def score_metrics(true, pred) -> ScoreMetrics:
    """Agreement of predicted with true scores over the pairs where both are finite."""
    t = np.asarray(true, np.float64).ravel()
    p = np.asarray(pred, np.float64).ravel()
    ok = np.isfinite(t) & np.isfinite(p)
    t, p = t[ok], p[ok]
    ba = bland_altman(p, t)
    return ScoreMetrics(int(t.size), mae(p, t), rmse(p, t), ba.bias, ba.loa_low, ba.loa_high, pearson_r(p, t),
                        float(icc(np.column_stack([t, p]), "2,1").value) if t.size else float("nan"))


@dataclass(frozen=True)
class BinError:
    n: int
    mae: float
    bias: float


def mae_per_bin(true, pred) -> dict[int, BinError]:
    """MAE and bias per true-score bin (true score rounded to the integers 0-9); only occupied bins."""
    t = np.asarray(true, np.float64).ravel()
    p = np.asarray(pred, np.float64).ravel()
    ok = np.isfinite(t) & np.isfinite(p)
    t, p = t[ok], p[ok]
    bins = np.clip(np.floor(t + 0.5), 0, 9).astype(int)
    out = {}
    for b in np.unique(bins):
        m = bins == b
        out[int(b)] = BinError(int(m.sum()), float(np.mean(np.abs(p[m] - t[m]))), float(np.mean(p[m] - t[m])))
    return out


def eye_errors(true_xy, pred_xy) -> np.ndarray:
    """Euclidean eye-centre error (px) per item where both centres are finite."""
    t = np.asarray(true_xy, np.float64).reshape(-1, 2)
    p = np.asarray(pred_xy, np.float64).reshape(-1, 2)
    ok = np.all(np.isfinite(t), axis=1) & np.all(np.isfinite(p), axis=1)
    return np.hypot(*(p[ok] - t[ok]).T) if ok.any() else np.zeros(0)


@dataclass(frozen=True)
class Detection:
    tp: int
    fp: int
    fn: int
    tn: int
    precision: float
    recall: float
    f1: float


def detection_metrics(true_visible, pred_visible) -> Detection:
    """Precision/recall/F1 of "eye visible" (the positive class); NaN where undefined."""
    t = np.asarray(true_visible, bool).ravel()
    p = np.asarray(pred_visible, bool).ravel()
    tp, fp = int(np.sum(t & p)), int(np.sum(~t & p))
    fn, tn = int(np.sum(t & ~p)), int(np.sum(~t & ~p))
    prec = tp / (tp + fp) if tp + fp else float("nan")
    rec = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) else float("nan")
    return Detection(tp, fp, fn, tn, prec, rec, f1)


def confusion_matrix(true_labels, pred_labels, classes: int = len(CLASSES)) -> np.ndarray:
    """(classes, classes) pixel counts, rows = true class, columns = predicted class."""
    t = np.asarray(true_labels, np.int64).ravel()
    p = np.asarray(pred_labels, np.int64).ravel()
    return np.bincount(t * classes + p, minlength=classes * classes).reshape(classes, classes)


def iou_per_class(cm: np.ndarray) -> np.ndarray:
    """Intersection over union per class from a confusion matrix (NaN for a class absent from both)."""
    cm = np.asarray(cm, np.float64)
    inter = np.diag(cm)
    union = cm.sum(0) + cm.sum(1) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1), np.nan)


# ---- the report -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Predictions:
    """Per-item results (for scatter and Bland-Altman plots): NaN where not available."""

    row: np.ndarray
    true_score: np.ndarray
    pred_score: np.ndarray
    true_visible: np.ndarray
    pred_visible: np.ndarray
    true_x: np.ndarray
    true_y: np.ndarray
    pred_x: np.ndarray
    pred_y: np.ndarray
    fold: np.ndarray

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame({k: getattr(self, k) for k in self.__dataclass_fields__})


@dataclass(frozen=True)
class EvalReport:
    mode: str  # "pipeline" or "cv"
    n: int  # items evaluated
    score: ScoreMetrics  # the model, over scored items
    baseline: ScoreMetrics  # predicting ``baseline_value`` for every scored item
    baseline_value: float
    per_bin: dict[int, BinError]
    eye_err_px_median: float
    eye_err_px_p95: float
    detection: Detection | None
    iou: dict[str, float]  # per class name; empty when no segmentation was evaluated
    predictions: Predictions
    fold_mae: tuple[float, ...] = ()
    meta: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        nan = float("nan")
        d = {
            "mode": self.mode, "n": self.n, "n_scored": self.score.n,
            "mae": self.score.mae, "rmse": self.score.rmse, "bias": self.score.bias,
            "loa_low": self.score.loa_low, "loa_high": self.score.loa_high,
            "pearson_r": self.score.pearson_r, "icc": self.score.icc,
            "eye_err_px_median": self.eye_err_px_median, "eye_err_px_p95": self.eye_err_px_p95,
            "eye_visible_precision": self.detection.precision if self.detection else nan,
            "eye_visible_recall": self.detection.recall if self.detection else nan,
            "eye_visible_f1": self.detection.f1 if self.detection else nan,
            "iou_background": self.iou.get("background", nan), "iou_animal": self.iou.get("animal", nan),
            "iou_ears": self.iou.get("ears", nan), "iou_eye": self.iou.get("eyes", nan),
            "baseline": {"prediction": self.baseline_value, "mae": self.baseline.mae, "rmse": self.baseline.rmse,
                         "bias": self.baseline.bias},
            "mae_per_bin": {str(k): {"n": v.n, "mae": v.mae, "bias": v.bias} for k, v in self.per_bin.items()},
        }
        if self.fold_mae:
            d["folds"] = len(self.fold_mae)
            d["fold_mae"] = list(self.fold_mae)
        d.update({k: v for k, v in self.meta.items() if k not in d})
        return d

    def summary(self) -> str:
        s = self.score
        lines = [f"{self.mode} evaluation on {self.n} items ({s.n} scored)",
                 f"  MAE {s.mae:.3f}  RMSE {s.rmse:.3f}  bias {s.bias:+.3f}  LoA [{s.loa_low:.2f}, {s.loa_high:.2f}]"
                 f"  r {s.pearson_r:.3f}  ICC(2,1) {s.icc:.3f}",
                 f"  baseline (predict {self.baseline_value:.2f}): MAE {self.baseline.mae:.3f}"
                 f"  RMSE {self.baseline.rmse:.3f}"]
        if np.isfinite(self.eye_err_px_median):
            lines.append(f"  eye-centre error: median {self.eye_err_px_median:.2f} px, p95 {self.eye_err_px_p95:.2f} px")
        if self.detection:
            d = self.detection
            lines.append(f"  eye visible: precision {d.precision:.3f} recall {d.recall:.3f} F1 {d.f1:.3f}")
        if self.iou:
            lines.append("  IoU: " + "  ".join(f"{k} {v:.3f}" for k, v in self.iou.items()))
        if self.fold_mae:
            lines.append(f"  {len(self.fold_mae)} folds: MAE per fold {np.mean(self.fold_mae):.3f}"
                         f" +- {np.std(self.fold_mae):.3f}")
        return "\n".join(lines)


def _report(mode, preds: Predictions, baseline_value: float, iou: dict, detection: Detection | None,
            fold_mae=(), meta=None) -> EvalReport:
    scored = preds.true_visible & np.isfinite(preds.pred_score) & np.isfinite(preds.true_score)
    t, p = preds.true_score[scored], preds.pred_score[scored]
    errs = eye_errors(np.column_stack([preds.true_x, preds.true_y])[preds.true_visible & preds.pred_visible],
                      np.column_stack([preds.pred_x, preds.pred_y])[preds.true_visible & preds.pred_visible])
    return EvalReport(
        mode=mode, n=int(len(preds.row)), score=score_metrics(t, p),
        baseline=score_metrics(t, np.full_like(t, baseline_value)), baseline_value=float(baseline_value),
        per_bin=mae_per_bin(t, p),
        eye_err_px_median=float(np.median(errs)) if errs.size else float("nan"),
        eye_err_px_p95=float(np.percentile(errs, 95)) if errs.size else float("nan"),
        detection=detection, iou=iou, predictions=preds, fold_mae=tuple(fold_mae), meta=dict(meta or {}))


# ---- full pipeline through a Runner ---------------------------------------------------------------------------------
def evaluate_pipeline(runner, items, baseline_mean: float | None = None, batch: int = 32,
                      progress: ProgressFn | None = None) -> EvalReport:
    """Run every item's 256-px crop through ``runner.infer`` (segmentation -> eye -> patch -> score), exactly as the
    app does, and compare with the labels. Per-class IoU is computed too when the runner exposes
    ``segment(crops) -> (labels, eye_prob)`` (the local runner does), against the true mask at the U-Net's size.

    ``baseline_mean``: the trivial baseline's prediction (the training mean, read from the score model's card by the
    CLI); when None, the mean true score of this set is used and ``meta['baseline_from']`` says so.
    """
    from mgs_core.train.data import item_image, item_mask, resize_labels

    items = list(items)
    n = len(items)
    row = np.array([int(getattr(it, "row", i)) for i, it in enumerate(items)])
    true_score = np.array([np.nan if it.score is None else float(it.score) for it in items])
    true_vis = np.array([bool(it.eye_visible) for it in items])
    true_x = np.array([float(it.eye_x) if it.eye_visible and it.eye_x is not None else np.nan for it in items])
    true_y = np.array([float(it.eye_y) if it.eye_visible and it.eye_y is not None else np.nan for it in items])
    pred_score, pred_x, pred_y = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    pred_vis = np.zeros(n, bool)
    segment = getattr(runner, "segment", None)
    classes = len(CLASSES)
    cm = np.zeros((classes, classes), np.int64)
    for start in range(0, n, batch):
        chunk = items[start : start + batch]
        crops = np.stack([item_image(it) for it in chunk])
        results = runner.infer(crops)
        for k, r in enumerate(results):
            i = start + k
            pred_vis[i] = bool(r.eye_visible)
            if r.eye_visible:
                pred_x[i], pred_y[i] = float(r.eye_x), float(r.eye_y)
                pred_score[i] = np.nan if r.score is None else float(r.score)
        if callable(segment) and all(getattr(it, "mask", None) is not None for it in chunk):
            labels = segment(crops)[0]
            size = labels.shape[1]
            for it, lab in zip(chunk, labels):
                cm += confusion_matrix(resize_labels(item_mask(it), size), lab, classes)
        if progress:
            progress(min(start + batch, n), n, "pipeline")
    iou = {}
    if cm.sum():
        iou = {name: float(v) for name, v in zip(CLASSES, iou_per_class(cm))}
    meta = {}
    if baseline_mean is None:
        vis_scores = true_score[true_vis & np.isfinite(true_score)]
        baseline_mean = float(vis_scores.mean()) if vis_scores.size else float("nan")
        meta["baseline_from"] = "mean true score of this set (the score model's card has no training mean)"
    else:
        meta["baseline_from"] = "training mean from the score model's card"
    preds = Predictions(row, true_score, pred_score, true_vis, pred_vis, true_x, true_y, pred_x, pred_y,
                        np.full(n, -1))
    return _report("pipeline", preds, baseline_mean, iou, detection_metrics(true_vis, pred_vis), meta=meta)


# ---- k-fold cross-validation of the training recipe ----------------------------------------------------------------
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
    preds = Predictions(source.rows, source.scores.astype(np.float64), pred, vis, vis, source.eye_x, source.eye_y,
                        source.eye_x, source.eye_y, fold_id)
    report = _report("cv", preds, float(np.mean(base)), {}, None, fold_mae,
                     meta={"recipe": config.recipe, "epochs": config.epochs, "seed": seed})
    # the baseline of CV is each fold's own training mean, not one number
    bm = score_metrics(source.scores, base)
    return replace(report, baseline=bm, eye_err_px_median=float("nan"), eye_err_px_p95=float("nan"))
