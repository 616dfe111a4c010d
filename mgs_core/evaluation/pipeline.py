"""Full-pipeline evaluation: every labelled crop through ``runner.infer`` (segmentation -> eye -> patch -> score),
exactly as the app does, judged with the match rule of :mod:`mgs_core.evaluation.matching`.

Per item the runner's answer is a **detection** when it gives an eye centre and either says the eye is visible or
says ``too_small`` (found but not judged). Score metrics use only items whose true eye is visible, whose detection
is within the match radius (found) and that the runner scored; a detection outside the radius (a wrong eye) is a
false detection and a miss and its score is reported separately. Missed eyes lower the recall; they are never
scored as a guess.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from mgs_core.evaluation.localisation import summarise
from mgs_core.evaluation.matching import DEFAULT_RADIUS_PX, located_detection, match_eyes, match_radii
from mgs_core.evaluation.metrics import confusion_matrix, iou_per_class, mae_per_bin, score_metrics
from mgs_core.evaluation.report import EvalReport, Predictions
from mgs_core.models.unet import CLASSES
from mgs_core.types import BEHAVIOUR_STATUSES, STATUSES, TOO_SMALL

ProgressFn = Callable[[int, int, str], None]  # (done, total, message)
NOMOUSE_KIND = "nomouse"


def item_field(item, name: str) -> str:
    """A label column beyond the required ones: an attribute of the item, or its ``extra`` (labels.csv columns)."""
    v = getattr(item, name, None)
    if v is None:
        v = (getattr(item, "extra", None) or {}).get(name)
    return "" if v is None else str(v).strip()


def _length(item) -> float:
    text = item_field(item, "eye_length")
    try:
        v = float(text) if text else float("nan")
    except ValueError:
        return float("nan")
    return v if np.isfinite(v) and v > 0 else float("nan")


def is_detection(r) -> bool:
    """The runner gave an eye centre it stands by: eye visible, or found but too small to judge."""
    return r.eye_x is not None and r.eye_y is not None and (bool(r.eye_visible) or r.status == TOO_SMALL)


def status_counts(statuses) -> dict[str, int]:
    """Counts per runner status, behaviour statuses always present (0 when unused), others when they occur."""
    s = list(statuses)
    return {k: s.count(k) for k in STATUSES if k in BEHAVIOUR_STATUSES or k in s} | \
        {k: s.count(k) for k in sorted(set(s) - set(STATUSES))}


def evaluate_pipeline(runner, items, baseline_mean: float | None = None, batch: int = 32,
                      progress: ProgressFn | None = None, match_radius: float | None = None) -> EvalReport:
    """Evaluate ``runner`` on labelled ``items`` (dataset items or in-memory crops) under the match rule.

    Per-class IoU is computed too when the runner exposes ``segment(crops) -> (labels, ...)`` (the local
    runner does) and every item has a mask. ``match_radius``: radius (crop px) for items without a true
    ``eye_length`` (see :mod:`mgs_core.evaluation.matching`). ``baseline_mean``: the trivial baseline's prediction
    (the training mean, read from the score model's card by the CLI); when None, the mean true score of this set is
    used and ``meta['baseline_from']`` says so.
    """
    from mgs_core.train.data import item_image, item_mask, resize_labels

    items = list(items)
    n = len(items)
    row = np.array([int(getattr(it, "row", i)) for i, it in enumerate(items)])
    true_score = np.array([np.nan if it.score is None else float(it.score) for it in items])
    true_vis = np.array([bool(it.eye_visible) for it in items], dtype=bool)
    true_x = np.array([float(it.eye_x) if it.eye_visible and it.eye_x is not None else np.nan for it in items])
    true_y = np.array([float(it.eye_y) if it.eye_visible and it.eye_y is not None else np.nan for it in items])
    true_len = np.array([_length(it) if it.eye_visible else np.nan for it in items])
    kind = np.array([item_field(it, "kind") for it in items], dtype=object)
    nomouse = np.array([k == NOMOUSE_KIND for k in kind], dtype=bool)
    runner_score, pred_x, pred_y, pred_len = (np.full(n, np.nan) for _ in range(4))
    pred_vis, detected = np.zeros(n, bool), np.zeros(n, bool)
    status = np.full(n, "", dtype=object)
    segment = getattr(runner, "segment", None)
    classes = len(CLASSES)
    cm = np.zeros((classes, classes), np.int64)
    for start in range(0, n, batch):
        chunk = items[start : start + batch]
        crops = np.stack([item_image(it) for it in chunk])
        results = runner.infer(crops)
        for k, r in enumerate(results):
            i = start + k
            pred_vis[i], status[i], detected[i] = bool(r.eye_visible), r.status, is_detection(r)
            if detected[i]:
                pred_x[i], pred_y[i] = float(r.eye_x), float(r.eye_y)
                runner_score[i] = np.nan if r.score is None else float(r.score)
                pred_len[i] = np.nan if r.eye_length is None else float(r.eye_length)
        want_iou = callable(segment) and all(getattr(it, "mask", None) is not None for it in chunk)
        masks = [item_mask(it) if (want_iou or not it.eye_visible) else None for it in chunk]
        for k, m in enumerate(masks):  # a crop whose mask holds no animal pixel has no mouse
            if m is not None and not chunk[k].eye_visible and not np.any(m > 0):
                nomouse[start + k] = True
        if want_iou:
            labels = segment(crops)[0]
            size = labels.shape[1]
            for m, lab in zip(masks, labels):
                cm += confusion_matrix(resize_labels(m, size), lab, classes)
        if progress:
            progress(min(start + batch, n), n, "pipeline")
    rule, radius = match_radii(true_vis, true_len, np.where(detected, pred_len, np.nan), match_radius,
                               DEFAULT_RADIUS_PX)
    matching = match_eyes(true_vis, np.column_stack([true_x, true_y]), detected, np.column_stack([pred_x, pred_y]),
                          radius)
    counted = matching.found & np.isfinite(runner_score) & np.isfinite(true_score)
    pred_score = np.where(counted, runner_score, np.nan)
    loc = summarise(matching, rule, true_vis, true_score, true_len, runner_score, pred_len, kind.astype(str), nomouse)
    meta = {}
    if baseline_mean is None:
        vis_scores = true_score[true_vis & np.isfinite(true_score)]
        baseline_mean = float(vis_scores.mean()) if vis_scores.size else float("nan")
        meta["baseline_from"] = "mean true score of this set (the score model's card has no training mean)"
    else:
        meta["baseline_from"] = "training mean from the score model's card"
    preds = Predictions(row, true_score, pred_score, true_vis, pred_vis, true_x, true_y, pred_x, pred_y,
                        np.full(n, -1), runner_score=runner_score, outcome=matching.outcome,
                        matched=matching.found, false_detection=matching.false_detection, miss=matching.miss,
                        dist_px=matching.dist_px, radius_px=radius, status=status.astype(str),
                        kind=kind.astype(str), true_eye_length=true_len, pred_eye_length=pred_len)
    t, p = true_score[counted], pred_score[counted]
    return EvalReport(
        mode="pipeline", n=n, score=score_metrics(t, p), baseline=score_metrics(t, np.full_like(t, baseline_mean)),
        baseline_value=float(baseline_mean), per_bin=mae_per_bin(t, p),
        eye_err_px_median=loc.eye_err_px_median, eye_err_px_p95=loc.eye_err_px_p95,
        detection=located_detection(matching),
        iou={name: float(v) for name, v in zip(CLASSES, iou_per_class(cm))} if cm.sum() else {},
        predictions=preds, meta=meta, localisation=loc, status_counts=status_counts(status.tolist()),
        eye_err_px_p90=loc.eye_err_px_p90)
