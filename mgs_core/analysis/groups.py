"""Group comparisons on animal-level values (the animal, not the frame, is the independent observation).

* :func:`mann_whitney` - two-sided Mann-Whitney U (scipy) with Cliff's delta (= rank-biserial correlation,
  P(a > b) - P(a < b); positive means group a scores higher).
* :func:`compare_groups` - per time bin, every pair of groups compared on the units' bin means, with Holm
  correction over bins, plus an "all bins" row on each unit's mean over bins.
* :func:`repeated_measures` - the animals-over-time view: an exact (or Monte-Carlo) permutation test of the group
  labels on each unit's mean over its bins (respects that frames of one animal are not independent), per group a
  Friedman test for a change over bins among units observed in every bin, and per group pair a random-intercept
  linear mixed model (:func:`random_intercept`).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from math import comb

import numpy as np
import pandas as pd

from mgs_core.analysis.curves import UNIT_COLS


@dataclass(frozen=True)
class MannWhitney:
    n_a: int
    n_b: int
    u: float  # U statistic of group a
    p: float
    cliffs_delta: float  # = rank-biserial correlation; > 0: a higher
    reason: str = ""


def mann_whitney(a, b) -> MannWhitney:
    """Two-sided Mann-Whitney U of a vs b (NaNs dropped). NaN with a reason when a side is empty or all values
    are identical (no ranks to compare)."""
    from scipy.stats import mannwhitneyu

    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    nan = float("nan")
    if a.size == 0 or b.size == 0:
        return MannWhitney(int(a.size), int(b.size), nan, nan, nan, "a group has no scored animals")
    diff = a[:, None] - b[None, :]
    delta = float(np.mean(np.sign(diff)))
    if np.all(np.concatenate([a, b]) == a[0]):
        return MannWhitney(int(a.size), int(b.size), a.size * b.size / 2.0, 1.0, 0.0, "all values identical")
    res = mannwhitneyu(a, b, alternative="two-sided")
    return MannWhitney(int(a.size), int(b.size), float(res.statistic), float(res.pvalue), delta)


def holm(p) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (NaNs kept, not counted)."""
    p = np.asarray(p, dtype=np.float64)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = ok.size
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out[order] = adj
    return out


def _unit_means(binned: pd.DataFrame, value: str) -> pd.DataFrame:
    return binned.groupby(UNIT_COLS, sort=True).agg(group=("group", "first"), v=(value, "mean")).reset_index()


def compare_groups(binned: pd.DataFrame, value: str = "mean_score_0_9") -> pd.DataFrame:
    """Mann-Whitney U per bin and group pair on the units' bin values (output of ``bin_scores``).

    Columns: bin (-1 = all bins: each unit's mean over bins), bin_start_s, group_a, group_b, n_a, n_b,
    median_a, median_b, u, p, p_holm (over the bins of one pair), cliffs_delta, leading_group, higher_group,
    note. ``leading_group`` is the group with the larger median (the direction, whatever the p-value);
    ``higher_group`` is the same but only when p < 0.05 (uncorrected for the all-bins row, Holm-corrected per
    bin), else empty. With 3 animals per group no two-sided rank test can reach p < 0.05 (smallest exact p = 0.1),
    so read ``leading_group`` and ``cliffs_delta`` with the group sizes.
    """
    groups = sorted(g for g in binned["group"].unique())
    rows = []
    for ga, gb in itertools.combinations(groups, 2):
        pair_rows = []
        for b, part in binned.groupby("bin", sort=True):
            pair_rows.append(_row(int(b), float(part["bin_start_s"].iloc[0]), ga, gb,
                                  part.loc[part["group"] == ga, value], part.loc[part["group"] == gb, value]))
        adj = holm([r["p"] for r in pair_rows])
        for r, pa in zip(pair_rows, adj):
            r["p_holm"] = float(pa)
        um = _unit_means(binned, value)
        overall = _row(-1, float("nan"), ga, gb, um.loc[um["group"] == ga, "v"], um.loc[um["group"] == gb, "v"])
        overall["p_holm"] = overall["p"]
        for r in pair_rows + [overall]:
            sig = np.isfinite(r["p_holm"]) and r["p_holm"] < 0.05
            lead = ga if r["median_a"] > r["median_b"] else gb if r["median_b"] > r["median_a"] else ""
            r["leading_group"] = lead
            r["higher_group"] = lead if sig else ""
        rows.extend(pair_rows + [overall])
    cols = ["bin", "bin_start_s", "group_a", "group_b", "n_a", "n_b", "median_a", "median_b", "u", "p", "p_holm",
            "cliffs_delta", "leading_group", "higher_group", "note"]
    return pd.DataFrame(rows, columns=cols)


def _row(b, start, ga, gb, va, vb) -> dict:
    mw = mann_whitney(va, vb)
    va, vb = np.asarray(va, float), np.asarray(vb, float)
    va, vb = va[np.isfinite(va)], vb[np.isfinite(vb)]
    return {"bin": b, "bin_start_s": start, "group_a": ga, "group_b": gb, "n_a": mw.n_a, "n_b": mw.n_b,
            "median_a": float(np.median(va)) if va.size else float("nan"),
            "median_b": float(np.median(vb)) if vb.size else float("nan"),
            "u": mw.u, "p": mw.p, "cliffs_delta": mw.cliffs_delta, "note": mw.reason}


@dataclass(frozen=True)
class PermutationTest:
    group_a: str
    group_b: str
    n_a: int
    n_b: int
    mean_a: float  # mean over units of each unit's mean over bins
    mean_b: float
    difference: float  # mean_a - mean_b
    p: float  # two-sided permutation p-value
    n_permutations: int
    exact: bool
    reason: str = ""


@dataclass(frozen=True)
class TimeEffect:
    group: str
    n_units: int  # units observed in every bin
    n_bins: int
    statistic: float  # Friedman chi-square
    p: float
    reason: str = ""


@dataclass(frozen=True)
class RepeatedMeasures:
    """Animals measured over time: group effect by permutation, time effect by Friedman, per-unit bin curves."""

    group_tests: list[PermutationTest] = field(default_factory=list)
    time_effects: list[TimeEffect] = field(default_factory=list)
    curves: pd.DataFrame = field(default_factory=pd.DataFrame)  # units x bins (unit bin means)
    mixed: list["MixedModel"] = field(default_factory=list)


def permutation_test(a, b, n_permutations: int = 10000, seed: int = 0, group_a: str = "a",
                     group_b: str = "b") -> PermutationTest:
    """Two-sided permutation test of mean(a) - mean(b): exact over all relabellings when there are at most
    ``n_permutations`` of them, else Monte-Carlo with the observed labelling counted (p >= 1/(N+1))."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    na, nb = a.size, b.size
    nan = float("nan")
    if na == 0 or nb == 0:
        return PermutationTest(group_a, group_b, na, nb, nan, nan, nan, nan, 0, False, "a group has no scored animals")
    obs = float(a.mean() - b.mean())
    pooled = np.concatenate([a, b])
    total = comb(na + nb, na)
    tol = 1e-12 * max(1.0, abs(obs))
    if total <= n_permutations:
        stats = []
        for sel in itertools.combinations(range(na + nb), na):
            mask = np.zeros(na + nb, bool)
            mask[list(sel)] = True
            stats.append(pooled[mask].mean() - pooled[~mask].mean())
        stats = np.asarray(stats)
        p = float(np.mean(np.abs(stats) >= abs(obs) - tol))
        return PermutationTest(group_a, group_b, na, nb, float(a.mean()), float(b.mean()), obs, p, int(total), True)
    rng = np.random.default_rng(seed)
    count = 0
    for _ in range(n_permutations):
        perm = rng.permutation(pooled)
        if abs(perm[:na].mean() - perm[na:].mean()) >= abs(obs) - tol:
            count += 1
    p = (count + 1) / (n_permutations + 1)
    return PermutationTest(group_a, group_b, na, nb, float(a.mean()), float(b.mean()), obs, p, n_permutations, False)


def repeated_measures(binned: pd.DataFrame, value: str = "mean_score_0_9", n_permutations: int = 10000,
                      seed: int = 0) -> RepeatedMeasures:
    """Group effect (permutation on unit means over bins) for every group pair, and the time effect per group
    (Friedman over bins, units with a value in every bin; needs >= 2 such units and >= 3 bins)."""
    from scipy.stats import friedmanchisquare

    curves = binned.pivot_table(index=UNIT_COLS + ["group"], columns="bin", values=value, aggfunc="mean")
    um = _unit_means(binned, value)
    groups = sorted(um["group"].unique())
    tests = [permutation_test(um.loc[um["group"] == ga, "v"], um.loc[um["group"] == gb, "v"], n_permutations, seed,
                              ga, gb) for ga, gb in itertools.combinations(groups, 2)]
    effects = []
    for g in groups:
        sub = curves[curves.index.get_level_values("group") == g].dropna(axis=0, how="any")
        n, k = sub.shape
        nan = float("nan")
        if k < 3 or n < 2:
            effects.append(TimeEffect(g, n, k, nan, nan, "needs >= 2 animals observed in every bin and >= 3 bins"))
            continue
        x = sub.to_numpy()
        if np.all(x == x[:, :1]):
            effects.append(TimeEffect(g, n, k, nan, nan, "every animal's value is constant over bins"))
            continue
        res = friedmanchisquare(*[x[:, j] for j in range(k)])
        effects.append(TimeEffect(g, n, k, float(res.statistic), float(res.pvalue)))
    mixed = [random_intercept(binned[binned["group"].isin([ga, gb])], ga, gb, value)
             for ga, gb in itertools.combinations(groups, 2)]
    return RepeatedMeasures(tests, effects, curves.reset_index(), mixed)


@dataclass(frozen=True)
class MixedModel:
    """Random-intercept model ``value ~ group + C(bin) + (1 | unit)`` fitted by REML on the units' bin values.

    ``effect`` = group_b - group_a (adjusted for bin), with its standard error; ``p_z`` is the Wald normal p-value
    (as statsmodels reports it), ``p_t`` uses a t distribution with n_units - 2 degrees of freedom (the
    between-animal df; the honest choice with few animals). ``var_unit`` / ``var_resid`` are the REML variance
    components (between animals, within animal)."""

    group_a: str
    group_b: str
    n_units: int
    n_obs: int
    effect: float
    se: float
    p_z: float
    p_t: float
    var_unit: float
    var_resid: float
    reason: str = ""


def random_intercept(binned: pd.DataFrame, group_a: str, group_b: str, value: str = "mean_score_0_9") -> MixedModel:
    """REML fit of a random-intercept model on two groups (numpy/scipy only; see :class:`MixedModel`)."""
    from scipy.optimize import minimize_scalar
    from scipy.stats import norm, t as tdist

    d = binned[np.isfinite(binned[value].to_numpy(dtype=np.float64))]
    d = d[d["group"].isin([group_a, group_b])]
    codes, uniq = pd.factorize(d["animal"].astype(str))
    m, n = len(uniq), len(d)
    nan = float("nan")
    n_a = d.loc[d["group"] == group_a, "animal"].nunique()
    n_b = m - n_a
    if n_a < 1 or n_b < 1 or m < 3:
        return MixedModel(group_a, group_b, m, n, nan, nan, nan, nan, nan, nan,
                          "needs at least 3 animals with both groups present")
    bins = np.sort(d["bin"].unique())
    X = np.column_stack([np.ones(n), (d["group"] == group_b).to_numpy(float)]
                        + [(d["bin"] == b).to_numpy(float) for b in bins[1:]])
    y = d[value].to_numpy(np.float64)
    p = X.shape[1]
    if n - p < 1 or np.linalg.matrix_rank(X) < p:
        return MixedModel(group_a, group_b, m, n, nan, nan, nan, nan, nan, nan, "too few observations for the model")
    sizes = np.bincount(codes, minlength=m).astype(np.float64)

    def vinv_dot(a: np.ndarray, gamma: float) -> np.ndarray:
        # V_i = I + gamma * 11' per unit; V_i^-1 a = a - gamma / (1 + n_i gamma) * 1 * sum(a over unit)
        sums = np.zeros((m,) + a.shape[1:])
        np.add.at(sums, codes, a)
        return a - (gamma / (1.0 + sizes * gamma))[codes].reshape((-1,) + (1,) * (a.ndim - 1)) * sums[codes]

    def fit(gamma: float):
        vx = vinv_dot(X, gamma)
        xtvx = X.T @ vx
        beta = np.linalg.solve(xtvx, vx.T @ y)
        r = y - X @ beta
        sigma2 = float(r @ vinv_dot(r, gamma)) / (n - p)
        return beta, xtvx, sigma2

    def neg_reml(log_gamma: float) -> float:
        gamma = float(np.exp(log_gamma))
        _, xtvx, sigma2 = fit(gamma)
        if sigma2 <= 0:
            return np.inf
        logdet_v = float(np.sum(np.log1p(sizes * gamma)))
        return 0.5 * ((n - p) * np.log(sigma2) + logdet_v + np.linalg.slogdet(xtvx)[1])

    res = minimize_scalar(neg_reml, bounds=(-20.0, 10.0), method="bounded", options={"xatol": 1e-10})
    gamma = float(np.exp(res.x))
    beta, xtvx, sigma2 = fit(gamma)
    if not sigma2 > 0:
        return MixedModel(group_a, group_b, m, n, nan, nan, nan, nan, nan, nan, "no residual variance")
    cov = sigma2 * np.linalg.inv(xtvx)
    effect, se = float(beta[1]), float(np.sqrt(cov[1, 1]))
    z = effect / se
    return MixedModel(group_a, group_b, m, n, effect, se, float(2 * norm.sf(abs(z))),
                      float(2 * tdist.sf(abs(z), m - 2)), gamma * sigma2, sigma2)
