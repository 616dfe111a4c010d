"""Evaluation metric functions on arrays: score agreement, error per score bin, eye-centre error, eye-visible
precision/recall/F1, and per-class IoU.

Agreement statistics (MAE, RMSE, Pearson r, ICC, Bland-Altman) come from :mod:`mgs_core.analysis.agreement` (one
implementation for the whole project); Spearman's rho is that Pearson r on ranks. Conventions: Bland-Altman
``bias = mean(predicted - true)`` (negative = the model underestimates, as the paper's -0.18); ICC is ICC(2,1) of
the (true, predicted) pair per item. Every function drops pairs where either value is NaN; undefined values are NaN.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mgs_core.analysis.agreement import bland_altman, icc, mae, pearson_r, rmse
from mgs_core.models.unet import CLASSES


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
    spearman: float = float("nan")


def _finite_pairs(true, pred) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(true, np.float64).ravel()
    p = np.asarray(pred, np.float64).ravel()
    ok = np.isfinite(t) & np.isfinite(p)
    return t[ok], p[ok]


def spearman_r(a, b) -> float:
    """Spearman's rank correlation (Pearson r of average ranks) over complete pairs; NaN when undefined."""
    from scipy.stats import rankdata

    a, b = _finite_pairs(a, b)
    return pearson_r(rankdata(a), rankdata(b)) if a.size >= 2 else float("nan")


def score_metrics(true, pred) -> ScoreMetrics:
    """Agreement of predicted with true scores over the pairs where both are finite."""
    t, p = _finite_pairs(true, pred)
    ba = bland_altman(p, t)
    return ScoreMetrics(int(t.size), mae(p, t), rmse(p, t), ba.bias, ba.loa_low, ba.loa_high, pearson_r(p, t),
                        float(icc(np.column_stack([t, p]), "2,1").value) if t.size else float("nan"),
                        spearman_r(p, t))


@dataclass(frozen=True)
class BinError:
    n: int
    mae: float
    bias: float


def mae_per_bin(true, pred) -> dict[int, BinError]:
    """MAE and bias per true-score bin (true score rounded to the integers 0-9); only occupied bins."""
    t, p = _finite_pairs(true, pred)
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


def detection_from_counts(tp: int, fp: int, fn: int, tn: int) -> Detection:
    """Precision/recall/F1 from counts; NaN where undefined."""
    prec = tp / (tp + fp) if tp + fp else float("nan")
    rec = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) else float("nan")
    return Detection(int(tp), int(fp), int(fn), int(tn), prec, rec, f1)


def detection_metrics(true_visible, pred_visible) -> Detection:
    """Precision/recall/F1 of "eye visible" (the positive class) from flags alone, ignoring where the eye is.

    Pipeline evaluation uses the located version instead (:func:`mgs_core.evaluation.matching.match_eyes`): there a
    detection far from the true eye is a false positive and a miss."""
    t = np.asarray(true_visible, bool).ravel()
    p = np.asarray(pred_visible, bool).ravel()
    return detection_from_counts(int(np.sum(t & p)), int(np.sum(~t & p)), int(np.sum(t & ~p)), int(np.sum(~t & ~p)))


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
