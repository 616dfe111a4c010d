"""Curve recovery: does the binned model curve follow a known (planted) truth curve, per animal, and does the group
comparison point at the group with the higher planted scores?

Used by ``bench/curve_recovery.py`` on videos from our own procedural renderer (``mgs synth video``), whose
``NAME.truth.csv`` holds the planted per-frame score. It is synthetic ground truth, not real mouse data.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mgs_core.analysis.agreement import pearson_r
from mgs_core.analysis.curves import bin_scores, prepare
from mgs_core.analysis.groups import compare_groups
from mgs_core.analysis.scale import SCORE_COL
from mgs_core.errors import InputError

TRUTH_SCORE_COLUMNS = ("score_true", "truth_score", "true_score", "score_0_9", "score")


@dataclass(frozen=True)
class AnimalRecovery:
    animal: str
    group: str
    n_bins: int
    r: float


@dataclass(frozen=True)
class RecoveryResult:
    animals: list[AnimalRecovery]
    truth_higher_group: str  # group with the higher mean planted score
    model_leading_group: str  # group the model-based comparison points at (all-bins row)
    model_p: float
    comparison: pd.DataFrame

    @property
    def min_r(self) -> float:
        rs = [a.r for a in self.animals if np.isfinite(a.r)]
        return min(rs) if rs else float("nan")


def truth_score_column(truth: pd.DataFrame) -> str:
    for c in TRUTH_SCORE_COLUMNS:
        if c in truth.columns:
            return c
    raise InputError(f"truth table has none of the score columns {TRUTH_SCORE_COLUMNS}")


def curve_recovery(model: pd.DataFrame, truth: pd.DataFrame, bin_s: float, stat: str = "mean") -> RecoveryResult:
    """Compare binned model scores with binned planted scores per animal (Pearson r over bins scored in both).

    ``model`` is a results table (raw or prepared); ``truth`` needs ``time_s``, ``animal`` (or ``roi``), ``group``
    and a planted score column (one of :data:`TRUTH_SCORE_COLUMNS`); both are binned over their scored frames.
    ``stat`` is the model's bin statistic, "mean" (default) or "median" (robust to short runs of wrong scores);
    the truth is always binned by its mean.
    """
    if stat not in ("mean", "median"):
        raise ValueError(f"stat must be 'mean' or 'median', got {stat!r}")
    m = prepare(model) if SCORE_COL not in model.columns else model
    t = truth.copy()
    col = truth_score_column(t)
    t = t.rename(columns={col: "_truth"})
    if "animal" not in t.columns:
        if "roi" not in t.columns:
            raise InputError("truth table needs an 'animal' or 'roi' column")
        t["animal"] = t["roi"]
    for c, default in (("roi", ""), ("group", ""), ("eye_visible", 1)):
        if c not in t.columns:
            t[c] = default
    t = t.assign(score=t["_truth"])
    t = prepare(t[["time_s", "roi", "animal", "group", "eye_visible", "score"]])
    mb = bin_scores(m.assign(source=""), bin_s)
    tb = bin_scores(t, bin_s)
    col = f"{stat}_score_0_9"
    joined = mb.merge(tb[["animal", "bin", "mean_score_0_9"]].rename(columns={"mean_score_0_9": "_truth"}),
                      on=["animal", "bin"])
    animals = []
    for animal, part in joined.groupby("animal", sort=True):
        ok = part[[col, "_truth"]].dropna()
        animals.append(AnimalRecovery(str(animal), str(part["group"].iloc[0]), int(len(ok)),
                                      pearson_r(ok[col], ok["_truth"])))
    truth_means = t.groupby("group")[SCORE_COL].mean().sort_values(ascending=False)
    comparison = compare_groups(mb)
    overall = comparison[comparison["bin"] == -1]
    lead = str(overall["leading_group"].iloc[0]) if len(overall) == 1 else ""
    p = float(overall["p"].iloc[0]) if len(overall) == 1 else float("nan")
    return RecoveryResult(animals, str(truth_means.index[0]) if len(truth_means) else "", lead, p, comparison)
