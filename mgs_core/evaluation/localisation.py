"""Eye localisation under the match rule: found/missed/wrong-eye/false-eye counts, found rates per true eye-length
bin, per dataset ``kind`` and for high true scores, eye-centre error over found eyes, and the runner's eye length
against the truth. Built by :func:`summarise` from the per-item arrays of :mod:`mgs_core.evaluation.pipeline`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mgs_core.evaluation.matching import (
    FALSE_EYE, LENGTH_BINS, MISSED, WRONG_EYE, Matching, MatchRule, Rate, length_bin,
)

HIGH_SCORE = 7.0  # "true score >= 7": the strongly tightened eyes, the hardest to find


@dataclass(frozen=True)
class KindStats:
    """One dataset ``kind``: eyes found among its visible eyes, false eyes among its crops without a visible eye."""

    found: Rate
    false_eye: Rate

    def to_dict(self) -> dict:
        return {"found": self.found.to_dict(), "false_eye": self.false_eye.to_dict()}


@dataclass(frozen=True)
class Localisation:
    rule: MatchRule
    n_visible: int
    found: Rate  # localised within the radius, judged or not
    scored: Rate  # found AND given a score: the items behind MAE/ICC/Bland-Altman
    found_not_scored: int  # found but not judged (the runner said too_small, or gave no score)
    missed: int  # visible eye, nothing detected
    wrong_eye: int  # visible eye, detection outside the radius: a false detection and a miss
    wrong_eye_scores: int  # wrong eyes the runner scored (never in MAE)
    wrong_eye_mean_score: float
    false_eye_hidden: Rate  # detections on crops of a mouse whose eye is hidden
    false_eye_nomouse: Rate  # detections on crops without a mouse
    false_eye_scores: int
    false_eye_mean_score: float
    by_length: dict[str, Rate] = field(default_factory=dict)
    by_kind: dict[str, KindStats] = field(default_factory=dict)
    high_score: Rate = Rate(0, 0)
    eye_err_px_median: float = float("nan")
    eye_err_px_p90: float = float("nan")
    eye_err_px_p95: float = float("nan")
    eye_length_rel_err_median: float = float("nan")  # |runner - true| / true over found eyes with both lengths
    n_eye_length: int = 0

    def to_dict(self) -> dict:
        return {
            "match_rule": self.rule.to_dict(), "n_visible": self.n_visible,
            "found": self.found.to_dict(), "scored": self.scored.to_dict(),
            "found_not_scored": self.found_not_scored, "missed": self.missed, "wrong_eye": self.wrong_eye,
            "wrong_eye_scores": {"n": self.wrong_eye_scores, "mean_score": self.wrong_eye_mean_score},
            "false_eye_hidden": self.false_eye_hidden.to_dict(), "false_eye_nomouse": self.false_eye_nomouse.to_dict(),
            "false_eye_scores": {"n": self.false_eye_scores, "mean_score": self.false_eye_mean_score},
            "found_by_eye_length": {k: v.to_dict() for k, v in self.by_length.items()},
            "by_kind": {k: v.to_dict() for k, v in self.by_kind.items()},
            f"found_true_score_ge_{HIGH_SCORE:g}": self.high_score.to_dict(),
            "eye_err_px_median": self.eye_err_px_median, "eye_err_px_p90": self.eye_err_px_p90,
            "eye_length_rel_err_median": self.eye_length_rel_err_median, "n_eye_length": self.n_eye_length,
        }

    def lines(self) -> list[str]:
        out = [f"  {self.rule.describe()}",
               f"  eye found {self.found.text()} of visible eyes; scored {self.scored.text()}; found but not judged "
               f"{self.found_not_scored}; missed {self.missed}; wrong eye (false detection + miss) {self.wrong_eye}"]
        if self.wrong_eye:
            out.append(f"  wrong-eye scores (not in MAE): {self.wrong_eye_scores}, mean score "
                       f"{_num(self.wrong_eye_mean_score, '.2f')}")
        out.append(f"  false eyes: hidden-eye crops {self.false_eye_hidden.text()}, no-mouse crops "
                   f"{self.false_eye_nomouse.text()}; their scores: {self.false_eye_scores}, mean "
                   f"{_num(self.false_eye_mean_score, '.2f')}")
        if np.isfinite(self.eye_err_px_median):
            out.append(f"  eye-centre error over found eyes: median {self.eye_err_px_median:.2f} px, "
                       f"p90 {self.eye_err_px_p90:.2f} px")
        if self.by_length:
            out.append("  found by true eye length (px): "
                       + "  ".join(f"{k} {v.text()}" for k, v in self.by_length.items()))
        if self.by_kind:
            out.append("  by kind (found | false eye): " + "  ".join(
                f"{k} {v.found.text()} | {v.false_eye.text()}" for k, v in self.by_kind.items()))
        out.append(f"  found where true score >= {HIGH_SCORE:g}: {self.high_score.text()}")
        if self.n_eye_length:
            out.append(f"  runner's eye length vs truth: median relative error {self.eye_length_rel_err_median:.3f}"
                       f" ({self.n_eye_length} found eyes)")
        return out


def _num(v: float, spec: str) -> str:
    return format(v, spec) if np.isfinite(v) else "n/a"


def _mean(x: np.ndarray) -> float:
    return float(np.mean(x)) if x.size else float("nan")


def summarise(m: Matching, rule: MatchRule, true_visible, true_score, true_length, runner_score, runner_length,
              kind, nomouse) -> Localisation:
    """Counts and rates from the per-item arrays. ``runner_score`` is the runner's score (NaN = not scored) on every
    item it detected an eye in; ``kind`` is the dataset's kind per item ("" = none); ``nomouse`` flags crops
    without a mouse (kind ``nomouse`` or a mask without animal pixels)."""
    tv = np.asarray(true_visible, bool)
    ts = np.asarray(true_score, np.float64)
    tl = np.asarray(true_length, np.float64)
    rs = np.asarray(runner_score, np.float64)
    rl = np.asarray(runner_length, np.float64)
    kind = np.asarray(kind, dtype=str)
    nomouse = np.asarray(nomouse, bool)
    found, scored = m.found, np.isfinite(rs)
    wrong, false = m.outcome == WRONG_EYE, m.outcome == FALSE_EYE
    hidden = ~tv & ~nomouse
    by_length: dict[str, Rate] = {}
    if np.isfinite(tl[tv]).any():
        bins = np.array([length_bin(v) or "unknown" for v in tl], dtype=object)
        for b in (*LENGTH_BINS, "unknown"):
            sel = tv & (bins == b)
            if sel.any():
                by_length[b] = Rate(int(sel.sum()), int((sel & found).sum()))
    by_kind = {}
    for k in sorted(set(kind.tolist()) - {""}):
        sel = kind == k
        by_kind[k] = KindStats(Rate(int((sel & tv).sum()), int((sel & found).sum())),
                               Rate(int((sel & ~tv).sum()), int((sel & false).sum())))
    high = tv & (ts >= HIGH_SCORE)
    err = m.dist_px[found]
    both_len = found & np.isfinite(tl) & (tl > 0) & np.isfinite(rl)
    rel = np.abs(rl[both_len] - tl[both_len]) / tl[both_len]
    return Localisation(
        rule=rule, n_visible=int(tv.sum()), found=Rate(int(tv.sum()), int(found.sum())),
        scored=Rate(int(tv.sum()), int((found & scored).sum())), found_not_scored=int((found & ~scored).sum()),
        missed=m.count(MISSED), wrong_eye=int(wrong.sum()), wrong_eye_scores=int((wrong & scored).sum()),
        wrong_eye_mean_score=_mean(rs[wrong & scored]),
        false_eye_hidden=Rate(int(hidden.sum()), int((hidden & false).sum())),
        false_eye_nomouse=Rate(int(nomouse.sum()), int((nomouse & false).sum())),
        false_eye_scores=int((false & scored).sum()), false_eye_mean_score=_mean(rs[false & scored]),
        by_length=by_length, by_kind=by_kind, high_score=Rate(int(high.sum()), int((high & found).sum())),
        eye_err_px_median=float(np.median(err)) if err.size else float("nan"),
        eye_err_px_p90=float(np.percentile(err, 90)) if err.size else float("nan"),
        eye_err_px_p95=float(np.percentile(err, 95)) if err.size else float("nan"),
        eye_length_rel_err_median=float(np.median(rel)) if rel.size else float("nan"), n_eye_length=int(rel.size))
