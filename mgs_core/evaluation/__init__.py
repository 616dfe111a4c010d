"""Evaluation of the models: metrics on arrays, the match rule for found eyes, full-pipeline evaluation through a
Runner, the no-mouse check, and k-fold cross-validation of the regressor's training recipe (the paper's protocol).

Modules: ``metrics`` (score agreement, per-bin error, detection counts, IoU), ``matching`` (the match rule and
per-item outcomes), ``localisation`` (found/false/miss summaries), ``report`` (``EvalReport``, JSON), ``pipeline``
(``evaluate_pipeline``), ``nomouse`` (``evaluate_nomouse``), ``crossval`` (``cross_validate``). The metrics are
documented in docs/evaluation.md. ``mgs_core.evaluate`` re-exports the same names for older callers.
"""
from mgs_core.evaluation.crossval import cross_validate, kfold_indices
from mgs_core.evaluation.localisation import KindStats, Localisation
from mgs_core.evaluation.matching import (
    DEFAULT_RADIUS_PX, LENGTH_BINS, OUTCOMES, RADIUS_FACTOR, Matching, MatchRule, Rate, check_radius, length_bin,
    match_eyes, match_radii,
)
from mgs_core.evaluation.metrics import (
    BinError, Detection, ScoreMetrics, confusion_matrix, detection_metrics, eye_errors, iou_per_class, mae_per_bin,
    score_metrics, spearman_r,
)
from mgs_core.evaluation.nomouse import NoMouseReport, evaluate_nomouse, nomouse_crop
from mgs_core.evaluation.pipeline import evaluate_pipeline
from mgs_core.evaluation.report import EvalReport, Predictions, json_safe

__all__ = [
    "BinError", "DEFAULT_RADIUS_PX", "Detection", "EvalReport", "KindStats", "LENGTH_BINS", "Localisation",
    "MatchRule", "Matching", "NoMouseReport", "OUTCOMES", "Predictions", "RADIUS_FACTOR", "Rate", "ScoreMetrics",
    "check_radius",
    "confusion_matrix", "cross_validate", "detection_metrics", "evaluate_nomouse", "evaluate_pipeline", "eye_errors",
    "iou_per_class", "json_safe", "kfold_indices", "length_bin", "mae_per_bin", "match_eyes", "match_radii",
    "nomouse_crop", "score_metrics", "spearman_r",
]
