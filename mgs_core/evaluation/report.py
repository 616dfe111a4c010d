"""The evaluation report: per-item :class:`Predictions`, the :class:`EvalReport` with its text summary and its
dict/JSON form (standard JSON: NaN and infinities become null)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from mgs_core.evaluation.localisation import Localisation
from mgs_core.evaluation.metrics import BinError, Detection, ScoreMetrics


@dataclass(frozen=True)
class Predictions:
    """Per-item results (for scatter and Bland-Altman plots and the predictions CSV): NaN where not available.

    ``pred_score`` is the score that entered the score metrics (NaN for wrong eyes, false eyes and unscored items);
    ``runner_score`` is whatever the runner answered. The match columns (pipeline evaluation only) say per row
    whether the detection is the true eye (``matched``), a false detection, a miss (a wrong eye is both)."""

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
    runner_score: np.ndarray | None = None
    outcome: np.ndarray | None = None  # mgs_core.evaluation.matching.OUTCOMES
    matched: np.ndarray | None = None
    false_detection: np.ndarray | None = None
    miss: np.ndarray | None = None
    dist_px: np.ndarray | None = None
    radius_px: np.ndarray | None = None
    status: np.ndarray | None = None  # the runner's CropResult.status
    kind: np.ndarray | None = None
    true_eye_length: np.ndarray | None = None
    pred_eye_length: np.ndarray | None = None

    def to_frame(self):
        import pandas as pd

        cols = {k: getattr(self, k) for k in self.__dataclass_fields__ if getattr(self, k) is not None}
        for k in ("matched", "false_detection", "miss"):
            if k in cols:
                cols[k] = np.asarray(cols[k]).astype(int)
        return pd.DataFrame(cols)


@dataclass(frozen=True)
class EvalReport:
    mode: str  # "pipeline" or "cv"
    n: int  # items evaluated
    score: ScoreMetrics  # the model, over correctly found and scored items
    baseline: ScoreMetrics  # predicting ``baseline_value`` for every scored item
    baseline_value: float
    per_bin: dict[int, BinError]
    eye_err_px_median: float  # over found eyes (within the match radius)
    eye_err_px_p95: float
    detection: Detection | None  # eye-visible precision/recall/F1 under the match rule
    iou: dict[str, float]  # per class name; empty when no segmentation was evaluated
    predictions: Predictions
    fold_mae: tuple[float, ...] = ()
    meta: dict = field(default_factory=dict)
    localisation: Localisation | None = None  # pipeline evaluation only
    status_counts: dict[str, int] = field(default_factory=dict)  # the runner's CropResult.status over all items
    eye_err_px_p90: float = float("nan")

    def to_dict(self) -> dict:
        nan = float("nan")
        s = self.score
        d = {
            "mode": self.mode, "n": self.n, "n_scored": s.n,
            "mae": s.mae, "rmse": s.rmse, "bias": s.bias, "loa_low": s.loa_low, "loa_high": s.loa_high,
            "pearson_r": s.pearson_r, "spearman": s.spearman, "icc": s.icc,
            "eye_err_px_median": self.eye_err_px_median, "eye_err_px_p90": self.eye_err_px_p90,
            "eye_err_px_p95": self.eye_err_px_p95,
            "eye_visible_precision": self.detection.precision if self.detection else nan,
            "eye_visible_recall": self.detection.recall if self.detection else nan,
            "eye_visible_f1": self.detection.f1 if self.detection else nan,
            "iou_background": self.iou.get("background", nan), "iou_animal": self.iou.get("animal", nan),
            "iou_ears": self.iou.get("ears", nan), "iou_eye": self.iou.get("eyes", nan),
            "baseline": {"prediction": self.baseline_value, "mae": self.baseline.mae, "rmse": self.baseline.rmse,
                         "bias": self.baseline.bias},
            "mae_per_bin": {str(k): {"n": v.n, "mae": v.mae, "bias": v.bias} for k, v in self.per_bin.items()},
        }
        if self.detection:
            d["eye_visible_counts"] = {"tp": self.detection.tp, "fp": self.detection.fp, "fn": self.detection.fn,
                                       "tn": self.detection.tn}
        if self.localisation:
            d["localisation"] = self.localisation.to_dict()
            d["match_rule"] = self.localisation.rule.describe()
        if self.status_counts:
            d["status_counts"] = dict(self.status_counts)
        if self.fold_mae:
            d["folds"] = len(self.fold_mae)
            d["fold_mae"] = list(self.fold_mae)
        d.update({k: v for k, v in self.meta.items() if k not in d})
        return d

    def summary(self) -> str:
        s = self.score
        what = "correctly found and scored" if self.localisation else "scored"
        lines = [f"{self.mode} evaluation on {self.n} items ({s.n} {what})",
                 f"  MAE {_f(s.mae)}  RMSE {_f(s.rmse)}  bias {_f(s.bias, '+.3f')}  LoA [{_f(s.loa_low, '.2f')}, "
                 f"{_f(s.loa_high, '.2f')}]  r {_f(s.pearson_r)}  Spearman {_f(s.spearman)}  ICC(2,1) {_f(s.icc)}",
                 f"  baseline (predict {_f(self.baseline_value, '.2f')}): MAE {_f(self.baseline.mae)}"
                 f"  RMSE {_f(self.baseline.rmse)}"]
        if self.per_bin:
            lines.append("  MAE per true-score bin: " + "  ".join(f"{k}: {v.mae:.2f} (n {v.n})"
                                                                  for k, v in sorted(self.per_bin.items())))
        if self.localisation:
            lines += self.localisation.lines()
        elif np.isfinite(self.eye_err_px_median):
            lines.append(f"  eye-centre error: median {self.eye_err_px_median:.2f} px, "
                         f"p95 {self.eye_err_px_p95:.2f} px")
        if self.detection:
            d = self.detection
            lines.append(f"  eye visible: precision {_f(d.precision)} recall {_f(d.recall)} F1 {_f(d.f1)}"
                         f" (tp {d.tp}, fp {d.fp}, fn {d.fn}, tn {d.tn})")
        if self.status_counts:
            lines.append("  runner status: " + "  ".join(f"{k} {v}" for k, v in self.status_counts.items()))
        if self.iou:
            lines.append("  IoU: " + "  ".join(f"{k} {v:.3f}" for k, v in self.iou.items()))
        if self.fold_mae:
            lines.append(f"  {len(self.fold_mae)} folds: MAE per fold {np.mean(self.fold_mae):.3f}"
                         f" +- {np.std(self.fold_mae):.3f}")
        return "\n".join(lines)


def _f(v: float, spec: str = ".3f") -> str:
    return format(v, spec) if v is not None and np.isfinite(v) else "n/a"


def json_safe(value):
    """NaN/inf -> None and numpy scalars -> Python numbers, recursively, so ``json.dumps`` writes standard JSON
    (browsers and jq reject NaN)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return [json_safe(v) for v in value.tolist()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(float(value)) else None
    return value
