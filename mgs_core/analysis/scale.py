"""Explicit conversion between the continuous 0-9 orbital-tightening score and the classic MGS 0/1/2 scale.

The classic Mouse Grimace Scale rates each action unit 0 (not present), 1 (moderate) or 2 (severe). The paper
re-labelled orbital tightening on a finer 0-9 scale (0 = absent, 9 = maximal). There is no published mapping
between the two, so MGS Live makes one explicit and configurable:

* 0-9 -> 0/1/2 ("binning"): ``mgs = 0`` if ``score < cut1``, ``1`` if ``cut1 <= score < cut2``, else ``2``.
  Default cut points (3, 6) split 0-9 into equal thirds.
* 0/1/2 -> 0-9 ("representative value"): each category maps to the midpoint of its 0-9 interval,
  by default 0 -> 1.5, 1 -> 4.5, 2 -> 7.5. This is only used where a 0-9 number is unavoidable (e.g. plotting
  human 0/1/2 ratings on the model's axis); agreement statistics for 0/1/2 raters are computed on 0/1/2.

Column names always say the scale they hold: ``score_0_9`` for the continuous score, ``mgs_0_2`` for categories.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mgs_core.errors import InputError

SCORE_COL = "score_0_9"
MGS_COL = "mgs_0_2"
SCALE_0_9 = "0-9"
SCALE_MGS012 = "mgs012"
SCALES = (SCALE_0_9, SCALE_MGS012)


@dataclass(frozen=True)
class ScaleConversion:
    """Cut points (0-9 -> 0/1/2) and representative values (0/1/2 -> 0-9)."""

    cut1: float = 3.0
    cut2: float = 6.0

    def __post_init__(self):
        if not (0.0 < self.cut1 < self.cut2 < 9.0):
            raise InputError(f"scale cut points must satisfy 0 < cut1 < cut2 < 9, got {self.cut1}, {self.cut2}")

    @classmethod
    def parse(cls, text: str | None) -> "ScaleConversion":
        """Parse ``"3,6"`` (the two cut points on 0-9); ``None``/empty gives the default."""
        if not text:
            return cls()
        try:
            parts = [float(p) for p in str(text).split(",")]
        except ValueError:
            raise InputError(f"scale cut points must be two numbers like '3,6', got {text!r}") from None
        if len(parts) != 2:
            raise InputError(f"scale cut points must be two numbers like '3,6', got {text!r}")
        return cls(parts[0], parts[1])

    @property
    def midpoints(self) -> tuple[float, float, float]:
        return (self.cut1 / 2.0, (self.cut1 + self.cut2) / 2.0, (self.cut2 + 9.0) / 2.0)

    def to_mgs(self, score_0_9) -> np.ndarray:
        """0-9 scores -> 0/1/2 categories as float (NaN stays NaN)."""
        s = np.asarray(score_0_9, dtype=np.float64)
        out = np.where(s < self.cut1, 0.0, np.where(s < self.cut2, 1.0, 2.0))
        return np.where(np.isfinite(s), out, np.nan)

    def to_score(self, mgs_0_2) -> np.ndarray:
        """0/1/2 categories -> representative 0-9 values (interval midpoints); NaN stays NaN."""
        m = np.asarray(mgs_0_2, dtype=np.float64)
        mids = np.asarray(self.midpoints)
        ok = np.isfinite(m)
        idx = np.clip(np.where(ok, m, 0), 0, 2).astype(int)
        return np.where(ok, mids[idx], np.nan)

    def describe(self) -> str:
        a, b, c = self.midpoints
        return (f"0-9 -> MGS 0/1/2: score < {self.cut1:g} -> 0, {self.cut1:g} <= score < {self.cut2:g} -> 1, "
                f"score >= {self.cut2:g} -> 2; MGS 0/1/2 -> 0-9: 0 -> {a:g}, 1 -> {b:g}, 2 -> {c:g}")
