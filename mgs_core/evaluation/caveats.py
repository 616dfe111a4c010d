"""Plain warnings for evaluation figures that would otherwise mislead.

- A model (or a cross-validated recipe) whose MAE is not below the trivial baseline's (always predict the training
  mean) has learned nothing about the scores on this data, however its other figures look.
- A cross-validation with fewer epochs per fold than the recipe's measures an under-trained recipe.
- Evaluating a model on the data it was trained on measures memory, not agreement (:func:`trained_on`: its model
  card records the SHA-256 of the training labels, ``training_data_sha256``).
"""
from __future__ import annotations

import math

from mgs_core.evaluation.report import EvalReport


def caveats(report: EvalReport, epochs: int | None = None, recipe_epochs: int | None = None) -> list[str]:
    """The warnings for ``report`` (empty when none applies); ``epochs``/``recipe_epochs`` for cross-validation."""
    out = []
    epochs = report.meta.get("epochs") if epochs is None else epochs
    s, b = report.score, report.baseline
    if s.n and math.isfinite(s.mae) and math.isfinite(b.mae) and s.mae >= b.mae:
        what = "The cross-validated recipe" if report.mode == "cv" else "The model"
        out.append(f"{what} is no better than the trivial baseline: MAE {s.mae:.3f} vs {b.mae:.3f} for always "
                   f"predicting {report.baseline_value:.2f}. It has not learned the scores of this data; do not use "
                   "these figures as agreement.")
    if report.mode == "cv" and epochs is not None and recipe_epochs is not None and epochs < recipe_epochs:
        folds = len(report.fold_mae) or report.meta.get("folds")
        out.append(f"Each fold was trained for {epochs} epochs{f' ({folds} folds)' if folds else ''}; the recipe "
                   f"trains for {recipe_epochs}. These figures describe an under-trained network, not the recipe: "
                   f"use {recipe_epochs} epochs before comparing or reporting them.")
    return out


def trained_on(card: dict, digest: str, name: str = "") -> str | None:
    """A warning when the model card says the model was trained on this dataset (its labels' SHA-256), else None."""
    if card and digest and card.get("training_data_sha256") == digest:
        return (f"The model was trained on this dataset{f' ({name})' if name else ''}: these figures measure how "
                "well it remembers its training data, not how well it agrees on new frames. Evaluate on frames it "
                "has not seen.")
    return None
