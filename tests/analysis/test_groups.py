import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats

from mgs_core.analysis.groups import compare_groups, holm, mann_whitney, permutation_test, repeated_measures

A = np.array([4.1, 5.2, 6.3, 5.5, 4.9, 6.1, 5.0])
B = np.array([2.2, 3.1, 4.4, 2.8, 3.9, 5.1])


def test_mann_whitney_matches_pingouin_and_scipy():
    r = mann_whitney(A, B)
    ref = pg.mwu(A, B, alternative="two-sided")
    assert r.u == pytest.approx(ref["U_val"].iloc[0], abs=1e-6)
    assert r.p == pytest.approx(ref["p_val"].iloc[0], abs=1e-6)
    assert r.cliffs_delta == pytest.approx(ref["RBC"].iloc[0], abs=1e-6)
    assert r.p == pytest.approx(stats.mannwhitneyu(A, B, alternative="two-sided").pvalue, abs=1e-12)


def test_mann_whitney_ties_missing_and_degenerate():
    a = np.array([1.0, 2.0, 2.0, np.nan, 3.0])
    b = np.array([2.0, 2.0, 1.0, 0.5])
    r = mann_whitney(a, b)
    ref = pg.mwu(a[np.isfinite(a)], b)
    assert r.u == pytest.approx(ref["U_val"].iloc[0], abs=1e-6)
    assert r.p == pytest.approx(ref["p_val"].iloc[0], abs=1e-6)
    assert r.cliffs_delta == pytest.approx(ref["RBC"].iloc[0], abs=1e-6)
    single = mann_whitney([5.0], [2.0])  # a single animal per group
    assert single.p == pytest.approx(stats.mannwhitneyu([5.0], [2.0]).pvalue) and single.cliffs_delta == 1.0
    same = mann_whitney([3.0, 3.0], [3.0])
    assert same.p == 1.0 and same.cliffs_delta == 0.0 and same.reason
    empty = mann_whitney([], [1.0, 2.0])
    assert np.isnan(empty.p) and "no scored" in empty.reason


def test_holm_matches_pingouin():
    p = np.array([0.01, 0.04, 0.03, np.nan, 0.2])
    ok = np.isfinite(p)
    _, ref = pg.multicomp(p[ok], method="holm")
    np.testing.assert_allclose(holm(p)[ok], ref, atol=1e-12)
    assert np.isnan(holm(p)[3])


def test_permutation_test_exact_matches_scipy():
    a, b = A[:4], B[:4]
    r = permutation_test(a, b)
    ref = stats.permutation_test((a, b), lambda x, y: np.mean(x) - np.mean(y), permutation_type="independent",
                                 alternative="two-sided", n_resamples=np.inf)
    assert r.exact and r.n_permutations == 70
    assert r.p == pytest.approx(ref.pvalue, abs=1e-9)
    mc = permutation_test(A, B, n_permutations=500, seed=1)
    assert not mc.exact and 0 < mc.p < 0.05


def _binned():
    rows = []
    for i, (g, base) in enumerate([("vehicle", 5.0)] * 3 + [("analgesic", 2.0)] * 3):
        for b in range(4):
            rows.append(("s", f"m{i}", b, b * 60.0, g, base + 0.3 * b + 0.1 * i))
    return pd.DataFrame(rows, columns=["source", "animal", "bin", "bin_start_s", "group", "mean_score_0_9"])


def test_compare_groups_per_bin_and_overall():
    res = compare_groups(_binned())
    assert list(res["bin"]) == [0, 1, 2, 3, -1]
    assert (res["leading_group"] == "vehicle").all()
    assert (res["cliffs_delta"] == -1.0).all()  # group_a = analgesic (alphabetical) is lower
    assert res["p"].iloc[0] == pytest.approx(stats.mannwhitneyu([2.3, 2.4, 2.5], [5.0, 5.1, 5.2]).pvalue)
    assert (res["higher_group"] == "").all()  # 3 vs 3 animals cannot reach p < 0.05


def test_repeated_measures_group_and_time_effects():
    rm = repeated_measures(_binned())
    (t,) = rm.group_tests
    assert t.exact and t.p == pytest.approx(0.1) and t.difference < 0
    eff = {e.group: e for e in rm.time_effects}
    x = _binned().query("group == 'vehicle'").pivot(index="animal", columns="bin", values="mean_score_0_9").to_numpy()
    ref = stats.friedmanchisquare(*x.T)
    assert eff["vehicle"].statistic == pytest.approx(ref.statistic) and eff["vehicle"].p == pytest.approx(ref.pvalue)
    one = repeated_measures(_binned().query("animal in ['m0', 'm3']"))
    assert all(np.isnan(e.p) and e.reason for e in one.time_effects)


def test_random_intercept_model_matches_statsmodels():
    import warnings

    import statsmodels.formula.api as smf

    from mgs_core.analysis.groups import random_intercept

    rng = np.random.default_rng(0)
    rows = []
    for i in range(7):
        g = "vehicle" if i < 3 else "analgesic"
        u = rng.normal(0, 0.7)
        for b in range(6):
            if rng.random() < 0.15:
                continue  # unbalanced: some animal-bins without scored frames
            rows.append(("s", f"m{i}", b, g, (5 if g == "vehicle" else 3) + 0.2 * b + u + rng.normal(0, 0.5)))
    d = pd.DataFrame(rows, columns=["source", "animal", "bin", "group", "mean_score_0_9"])
    r = random_intercept(d, "analgesic", "vehicle")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = smf.mixedlm("mean_score_0_9 ~ C(group, Treatment('analgesic')) + C(bin)", d,
                          groups=d["animal"]).fit(reml=True)
    assert r.effect == pytest.approx(ref.params.iloc[1], abs=1e-5)
    assert r.se == pytest.approx(ref.bse.iloc[1], rel=2e-3)
    assert r.var_unit == pytest.approx(ref.cov_re.iloc[0, 0], rel=1e-4)
    assert r.var_resid == pytest.approx(ref.scale, rel=1e-4)
    assert r.p_t > r.p_z  # the t reference with n_units - 2 df is the more conservative one
    few = random_intercept(d[d["animal"].isin(["m0", "m3"])], "analgesic", "vehicle")
    assert np.isnan(few.effect) and "3 animals" in few.reason
