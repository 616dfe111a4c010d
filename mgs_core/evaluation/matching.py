"""The match rule: when a detected eye counts as the true eye, and what every item's outcome is.

A detection is the true eye only when its centre lies within ``RADIUS_FACTOR`` (one half) of the true eye length
(corner to corner) of the true centre. Where the labels have no eye length (a lab's clicks-only labels) the radius
is, in this order: ``--match-radius PX`` when given; else half the median eye length the runner reported over all
its detections of the set (one number for the whole set, so a wild detection cannot widen its own radius); else
``DEFAULT_RADIUS_PX``. :class:`MatchRule` records which rule was used so every report can say it.

Outcomes per item (:data:`OUTCOMES`):

* ``found``: the true eye is visible and the detection lies within the radius;
* ``wrong_eye``: the true eye is visible but the detection lies outside the radius. It counts as a **false
  detection and a miss**: it is not a found eye, and its score never enters MAE/ICC/Bland-Altman;
* ``missed``: the true eye is visible and nothing was detected;
* ``false_eye``: an eye was detected on a crop whose eye is hidden, or with no mouse at all;
* ``no_eye``: correctly nothing detected where no eye is visible.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mgs_core.errors import InputError

RADIUS_FACTOR = 0.5
DEFAULT_RADIUS_PX = 8.0
FOUND, WRONG_EYE, MISSED, FALSE_EYE, NO_EYE = "found", "wrong_eye", "missed", "false_eye", "no_eye"
OUTCOMES = (FOUND, WRONG_EYE, MISSED, FALSE_EYE, NO_EYE)

# true eye-length bins (px): [6,12), [12,30), [30,60), [60,120]; "<6" and ">120" only appear when occupied
LENGTH_BINS = ("<6", "[6,12)", "[12,30)", "[30,60)", "[60,120]", ">120")


def length_bin(length: float) -> str | None:
    """The eye-length bin label of ``length`` px (None when the length is unknown)."""
    if not np.isfinite(length):
        return None
    if length < 6:
        return "<6"
    if length < 12:
        return "[6,12)"
    if length < 30:
        return "[12,30)"
    if length < 60:
        return "[30,60)"
    return "[60,120]" if length <= 120 else ">120"


@dataclass(frozen=True)
class Rate:
    """``k`` of ``n`` (``rate`` NaN when ``n`` is 0)."""

    n: int
    k: int

    @property
    def rate(self) -> float:
        return self.k / self.n if self.n else float("nan")

    def to_dict(self) -> dict:
        return {"n": self.n, "k": self.k, "rate": self.rate}

    def text(self) -> str:
        return f"{self.k}/{self.n} ({100 * self.rate:.1f}%)" if self.n else "0/0 (n/a)"


@dataclass(frozen=True)
class MatchRule:
    """Which radius decided "found": per item from the truth's eye length, or one fallback radius."""

    fallback_source: str  # "match_radius" | "runner_eye_length" | "default"
    fallback_px: float  # radius for visible eyes without a true eye length
    n_truth_length: int  # visible eyes whose radius is RADIUS_FACTOR x their true eye length
    n_fallback: int  # visible eyes that used fallback_px
    factor: float = RADIUS_FACTOR

    @property
    def source(self) -> str:
        """"truth_eye_length" (all visible eyes), the fallback source (none), or "mixed"."""
        if self.n_fallback == 0:
            return "truth_eye_length"
        return self.fallback_source if self.n_truth_length == 0 else "mixed"

    def fallback_text(self) -> str:
        why = {"match_radius": "--match-radius",
               "runner_eye_length": f"{self.factor:g} x the median eye length the runner reported",
               "default": "the fixed default, no eye length known"}[self.fallback_source]
        return f"{self.fallback_px:.1f} px ({why})"

    def describe(self) -> str:
        truth = f"{self.factor:g} x the true eye length (eye_length column)"
        if self.source == "truth_eye_length":
            return f"match radius: {truth}, all {self.n_truth_length} visible eyes"
        if self.n_truth_length == 0:
            return f"match radius: {self.fallback_text()}, all {self.n_fallback} visible eyes (no true eye length)"
        return (f"match radius: {truth} for {self.n_truth_length} visible eyes; {self.fallback_text()} for the "
                f"{self.n_fallback} without one")

    def to_dict(self) -> dict:
        return {"source": self.source, "factor": self.factor, "fallback_source": self.fallback_source,
                "fallback_px": self.fallback_px, "n_truth_length": self.n_truth_length,
                "n_fallback": self.n_fallback, "text": self.describe()}


def check_radius(match_radius: float | None) -> float | None:
    if match_radius is None:
        return None
    if not (math.isfinite(match_radius) and match_radius > 0):
        raise InputError(f"--match-radius must be a positive number of pixels, got {match_radius:g}")
    return float(match_radius)


def match_radii(true_visible, true_length, pred_length, match_radius: float | None = None,
                default_px: float = DEFAULT_RADIUS_PX) -> tuple[MatchRule, np.ndarray]:
    """The rule and the radius (px) per item (NaN where the true eye is not visible).

    ``true_length``: true eye length per item (NaN = unknown); ``pred_length``: the runner's eye length per item
    (NaN = not reported); ``default_px``: the last fallback (callers in other pixel units scale it)."""
    vis = np.asarray(true_visible, bool).ravel()
    tl = np.asarray(true_length, np.float64).ravel()
    pl = np.asarray(pred_length, np.float64).ravel()
    match_radius = check_radius(match_radius)
    reported = pl[np.isfinite(pl) & (pl > 0)]
    if match_radius is not None:
        source, fallback = "match_radius", match_radius
    elif reported.size:
        source, fallback = "runner_eye_length", RADIUS_FACTOR * float(np.median(reported))
    else:
        source, fallback = "default", float(default_px)
    has_truth = vis & np.isfinite(tl) & (tl > 0)
    radius = np.where(has_truth, RADIUS_FACTOR * np.where(has_truth, tl, 0.0), fallback)
    radius = np.where(vis, radius, np.nan)
    return MatchRule(source, float(fallback), int(has_truth.sum()), int((vis & ~has_truth).sum())), radius


@dataclass(frozen=True)
class Matching:
    """Per-item outcome of the match rule (arrays of the items' length)."""

    outcome: np.ndarray  # str, one of OUTCOMES
    dist_px: np.ndarray  # detection to true centre (NaN unless both exist)
    radius_px: np.ndarray

    @property
    def found(self) -> np.ndarray:
        return self.outcome == FOUND

    @property
    def false_detection(self) -> np.ndarray:
        return (self.outcome == WRONG_EYE) | (self.outcome == FALSE_EYE)

    @property
    def miss(self) -> np.ndarray:
        return (self.outcome == WRONG_EYE) | (self.outcome == MISSED)

    def count(self, outcome: str) -> int:
        return int(np.sum(self.outcome == outcome))


def match_eyes(true_visible, true_xy, detected, pred_xy, radius) -> Matching:
    """Apply the rule: ``detected`` = the runner gave an eye centre; ``radius`` per item from :func:`match_radii`."""
    tv = np.asarray(true_visible, bool).ravel()
    det = np.asarray(detected, bool).ravel()
    t = np.asarray(true_xy, np.float64).reshape(-1, 2)
    p = np.asarray(pred_xy, np.float64).reshape(-1, 2)
    r = np.asarray(radius, np.float64).ravel()
    both = tv & det
    dist = np.full(tv.size, np.nan)
    dist[both] = np.hypot(*(p[both] - t[both]).T)
    inside = both & (dist <= r)  # NaN distance or radius -> outside
    outcome = np.full(tv.size, NO_EYE, dtype=object)
    outcome[tv & ~det] = MISSED
    outcome[both & ~inside] = WRONG_EYE
    outcome[inside] = FOUND
    outcome[~tv & det] = FALSE_EYE
    return Matching(outcome.astype(str), dist, r)


def located_detection(m: Matching):
    """Eye-visible precision/recall/F1 under the rule: a wrong eye is a false positive AND a false negative."""
    from mgs_core.evaluation.metrics import detection_from_counts

    wrong = m.count(WRONG_EYE)
    return detection_from_counts(m.count(FOUND), wrong + m.count(FALSE_EYE), wrong + m.count(MISSED),
                                 m.count(NO_EYE))
