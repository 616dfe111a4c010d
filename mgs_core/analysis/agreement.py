"""Agreement statistics as plain functions on arrays (the one implementation used by evaluation and `mgs agree`).

Conventions:

* Missing values are NaN. Paired statistics (:func:`mae`, :func:`pearson_r`, :func:`bland_altman`,
  :func:`weighted_kappa`) drop the pairs where either value is missing. :func:`icc` drops every target (row) with a
  missing rating (listwise, as ``pingouin.intraclass_corr(nan_policy="omit")``).
* Degenerate input never crashes: a statistic that is undefined is NaN. :func:`icc` also says why
  (``ICC.reason``): fewer than 2 complete targets or 2 raters, or no variance at all (constant ratings make the
  ICC 0/0). :func:`pearson_r` is NaN when either side is constant; :func:`weighted_kappa` is NaN when the chance
  disagreement is 0 (both raters used one and the same category throughout).
* ICC follows Shrout & Fleiss (1979) / McGraw & Wong (1996) single-rater forms from a two-way ANOVA:
  ICC(2,1) = absolute agreement, raters random (pingouin "ICC(A,1)"); ICC(3,1) = consistency, raters fixed
  (pingouin "ICC(C,1)"). 95 % confidence intervals use the same F-based formulas as pingouin.
* Bland-Altman: bias = mean(a - b); limits of agreement = bias +/- 1.96 * SD(a - b) (SD with n - 1).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ICC_KINDS = ("2,1", "3,1")
KAPPA_WEIGHTS = ("linear", "quadratic")


@dataclass(frozen=True)
class ICC:
    """An intraclass correlation with its 95 % CI; ``value`` is NaN (and ``reason`` says why) when undefined."""

    kind: str
    value: float
    ci_low: float
    ci_high: float
    n_targets: int
    n_raters: int
    reason: str = ""

    def __float__(self) -> float:
        return float(self.value)


@dataclass(frozen=True)
class BlandAltman:
    """Bland-Altman agreement of two measurements: ``diff = a - b`` and ``mean = (a + b) / 2`` per complete pair."""

    bias: float
    loa_low: float
    loa_high: float
    mean: np.ndarray
    diff: np.ndarray
    sd: float = float("nan")
    n: int = 0


def _pairs(a, b) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"paired statistics need equal lengths, got {a.size} and {b.size}")
    ok = np.isfinite(a) & np.isfinite(b)
    return a[ok], b[ok]


def mae(a, b) -> float:
    """Mean absolute difference over complete pairs (NaN when there is none)."""
    a, b = _pairs(a, b)
    return float(np.mean(np.abs(a - b))) if a.size else float("nan")


def rmse(a, b) -> float:
    """Root mean squared difference over complete pairs (NaN when there is none)."""
    a, b = _pairs(a, b)
    return float(np.sqrt(np.mean((a - b) ** 2))) if a.size else float("nan")


def pearson_r(a, b) -> float:
    """Pearson correlation over complete pairs; NaN with fewer than 2 pairs or when either side is constant."""
    a, b = _pairs(a, b)
    if a.size < 2:
        return float("nan")
    da, db = a - a.mean(), b - b.mean()
    den = np.sqrt(np.sum(da * da) * np.sum(db * db))
    if den == 0 or not np.isfinite(den):
        return float("nan")
    return float(np.clip(np.sum(da * db) / den, -1.0, 1.0))


def bland_altman(a, b, agreement: float = 1.96) -> BlandAltman:
    """Bias and limits of agreement of ``a - b`` over complete pairs (NaN limits with fewer than 2 pairs)."""
    a, b = _pairs(a, b)
    diff, mean = a - b, (a + b) / 2.0
    if diff.size == 0:
        nan = float("nan")
        return BlandAltman(nan, nan, nan, mean, diff, nan, 0)
    bias = float(diff.mean())
    sd = float(diff.std(ddof=1)) if diff.size > 1 else float("nan")
    return BlandAltman(bias, bias - agreement * sd, bias + agreement * sd, mean, diff, sd, int(diff.size))


def _ms(x: np.ndarray) -> tuple[float, float, float]:
    """Two-way ANOVA mean squares (targets, raters, residual) of a complete (n, k) table."""
    n, k = x.shape
    grand = x.mean()
    ss_r = k * np.sum((x.mean(axis=1) - grand) ** 2)
    ss_c = n * np.sum((x.mean(axis=0) - grand) ** 2)
    ss_e = np.sum((x - grand) ** 2) - ss_r - ss_c
    return ss_r / (n - 1), ss_c / (k - 1), max(ss_e, 0.0) / ((n - 1) * (k - 1))


def icc(ratings, kind: str = "2,1", alpha: float = 0.05) -> ICC:
    """Single-rater ICC of a (n_targets, n_raters) array; ``kind`` is "2,1" (absolute) or "3,1" (consistency).

    Targets with any missing rating are dropped. Returns an :class:`ICC` whose ``value`` is NaN with a ``reason``
    when the ICC is undefined (too few targets/raters, or constant ratings).
    """
    from scipy.stats import f as fdist

    if kind not in ICC_KINDS:
        raise ValueError(f"ICC kind must be one of {ICC_KINDS}, got {kind!r}")
    x = np.asarray(ratings, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"ratings must be a 2-D (targets, raters) array, got shape {x.shape}")
    x = x[np.all(np.isfinite(x), axis=1)]
    n, k = x.shape
    nan = float("nan")
    if k < 2:
        return ICC(kind, nan, nan, nan, n, k, "needs at least 2 raters")
    if n < 2:
        return ICC(kind, nan, nan, nan, n, k, f"needs at least 2 targets rated by all raters (have {n})")
    msr, msc, mse = _ms(x)
    if kind == "2,1":
        den = msr + (k - 1) * mse + k * (msc - mse) / n
    else:
        den = msr + (k - 1) * mse
    if not den > 0:
        return ICC(kind, nan, nan, nan, n, k, "undefined: the ratings have no variance between or within targets")
    value = float((msr - mse) / den)
    df1, df2 = n - 1, (n - 1) * (k - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "3,1":
            f3 = msr / mse if mse > 0 else np.inf
            fl = f3 / fdist.ppf(1 - alpha / 2, df1, df2)
            fu = f3 * fdist.ppf(1 - alpha / 2, df2, df1)
            lo, hi = (fl - 1) / (fl + k - 1), (fu - 1) / (fu + k - 1)
            if not np.isfinite(f3):
                lo, hi = 1.0, 1.0
        else:
            fj = msc / mse if mse > 0 else np.inf
            vn = df2 * (k * value * fj + n * (1 + (k - 1) * value) - k * value) ** 2
            vd = df1 * k**2 * value**2 * fj**2 + (n * (1 + (k - 1) * value) - k * value) ** 2
            v = vn / vd
            if np.isfinite(v) and v > 0:
                f2u = fdist.ppf(1 - alpha / 2, df1, v)
                f2l = fdist.ppf(1 - alpha / 2, v, df1)
                lo = n * (msr - f2u * mse) / (f2u * (k * msc + (k * n - k - n) * mse) + n * msr)
                hi = n * (f2l * msr - mse) / (k * msc + (k * n - k - n) * mse + n * f2l * msr)
            else:
                lo = hi = value if mse == 0 else nan
    return ICC(kind, value, float(lo), float(hi), n, k)


def weighted_kappa(a, b, weights: str = "linear", categories=(0, 1, 2)) -> float:
    """Weighted Cohen's kappa of two raters on an ordinal scale (default the MGS 0/1/2 scale).

    Values must be members of ``categories`` (ordered); pairs with a missing value are dropped. ``weights`` is
    "linear" (|i - j|) or "quadratic" ((i - j)^2), as in ``sklearn.metrics.cohen_kappa_score``. NaN when there
    are no pairs or the chance-expected disagreement is 0.
    """
    if weights not in KAPPA_WEIGHTS:
        raise ValueError(f"kappa weights must be one of {KAPPA_WEIGHTS}, got {weights!r}")
    a, b = _pairs(a, b)
    cats = np.asarray(categories, dtype=np.float64)
    m = cats.size
    ia = np.searchsorted(cats, a)
    ib = np.searchsorted(cats, b)
    bad = (ia >= m) | (ib >= m) | (cats[np.minimum(ia, m - 1)] != a) | (cats[np.minimum(ib, m - 1)] != b)
    if np.any(bad):
        raise ValueError(f"kappa values must be in {tuple(categories)}")
    if a.size == 0:
        return float("nan")
    observed = np.zeros((m, m))
    np.add.at(observed, (ia, ib), 1.0)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / observed.sum()
    d = np.abs(np.arange(m)[:, None] - np.arange(m)[None, :]).astype(np.float64)
    w = d if weights == "linear" else d**2
    den = np.sum(w * expected)
    if den == 0:
        return float("nan")
    return float(1.0 - np.sum(w * observed) / den)
