import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy.stats import pearsonr
from sklearn.metrics import cohen_kappa_score

from mgs_core.analysis.agreement import bland_altman, icc, mae, pearson_r, rmse, weighted_kappa

RNG = np.random.default_rng(7)
X = np.round(RNG.normal(size=(15, 3)) + RNG.normal(size=(15, 1)) * 2 + np.array([0, 0.5, -0.3]) + 4, 2)


def _pingouin_icc(x):
    n, k = x.shape
    df = pd.DataFrame([(i, j, x[i, j]) for i in range(n) for j in range(k)], columns=["t", "r", "s"])
    return pg.intraclass_corr(df, "t", "r", "s", nan_policy="omit").set_index("Type")


@pytest.mark.parametrize("kind,label", [("2,1", "ICC(A,1)"), ("3,1", "ICC(C,1)")])
def test_icc_matches_pingouin(kind, label):
    ref = _pingouin_icc(X)
    r = icc(X, kind)
    assert r.value == pytest.approx(ref.loc[label, "ICC"], abs=1e-6)
    lo, hi = ref.loc[label, "CI95"]  # pingouin rounds its CI to 2 decimals
    assert r.ci_low == pytest.approx(lo, abs=0.006) and r.ci_high == pytest.approx(hi, abs=0.006)
    assert (r.n_targets, r.n_raters, r.reason) == (15, 3, "")


def test_icc_missing_values_drop_whole_targets_like_pingouin():
    x = X.copy()
    x[2, 1] = np.nan
    x[9, 0] = np.nan
    ref = _pingouin_icc(x)
    for kind, label in (("2,1", "ICC(A,1)"), ("3,1", "ICC(C,1)")):
        r = icc(x, kind)
        assert r.value == pytest.approx(ref.loc[label, "ICC"], abs=1e-6)
        assert r.n_targets == 13


def test_icc_degenerate_cases_are_nan_with_reason():
    const = icc(np.full((6, 2), 4.0), "2,1")
    assert np.isnan(const.value) and "no variance" in const.reason
    assert np.isnan(icc(np.full((6, 2), 4.0), "3,1").value)
    one_rater = icc(X[:, :1], "2,1")
    assert np.isnan(one_rater.value) and "2 raters" in one_rater.reason
    one_target = icc(X[:1], "3,1")
    assert np.isnan(one_target.value) and "targets" in one_target.reason
    perfect = icc(np.column_stack([X[:, 0], X[:, 0]]), "2,1")
    assert perfect.value == pytest.approx(1.0)
    with pytest.raises(ValueError):
        icc(X, "1,1")


def test_bland_altman_formula_and_missing_pairs():
    a, b = X[:, 0].copy(), X[:, 1].copy()
    a[3] = np.nan
    ba = bland_altman(a, b)
    ok = np.isfinite(a)
    d = a[ok] - b[ok]
    assert ba.bias == pytest.approx(d.mean(), abs=1e-12)
    assert ba.loa_high - ba.bias == pytest.approx(1.96 * np.std(d, ddof=1), abs=1e-12)
    assert ba.bias - ba.loa_low == pytest.approx(1.96 * np.std(d, ddof=1), abs=1e-12)
    np.testing.assert_allclose(ba.mean, (a[ok] + b[ok]) / 2)
    assert ba.n == 14
    empty = bland_altman([np.nan], [1.0])
    assert empty.n == 0 and np.isnan(empty.bias)


def test_mae_rmse_pearson_match_numpy_scipy():
    a, b = X[:, 0], X[:, 2]
    assert mae(a, b) == pytest.approx(np.mean(np.abs(a - b)), abs=1e-12)
    assert rmse(a, b) == pytest.approx(np.sqrt(np.mean((a - b) ** 2)), abs=1e-12)
    assert pearson_r(a, b) == pytest.approx(pearsonr(a, b)[0], abs=1e-9)
    assert np.isnan(pearson_r(np.ones(5), a[:5]))
    assert np.isnan(pearson_r([1.0], [2.0]))


@pytest.mark.parametrize("weights", ["linear", "quadratic"])
def test_weighted_kappa_matches_sklearn(weights):
    rng = np.random.default_rng(3)
    a = rng.integers(0, 3, 60)
    b = np.clip(a + rng.integers(-1, 2, 60), 0, 2)
    assert weighted_kappa(a, b, weights) == pytest.approx(cohen_kappa_score(a, b, weights=weights), abs=1e-9)
    # a rater who never uses category 2 still works (fixed categories 0/1/2)
    c = np.minimum(b, 1)
    ref = cohen_kappa_score(a, c, weights=weights, labels=[0, 1, 2])
    assert weighted_kappa(a, c, weights) == pytest.approx(ref, abs=1e-9)


def test_weighted_kappa_missing_and_degenerate():
    a = np.array([0, 1, 2, np.nan, 1, 2])
    b = np.array([0, 1, 1, 2, np.nan, 2])
    ref = cohen_kappa_score([0, 1, 2, 2], [0, 1, 1, 2], weights="linear")
    assert weighted_kappa(a, b) == pytest.approx(ref, abs=1e-9)
    assert np.isnan(weighted_kappa([1, 1, 1], [1, 1, 1]))
    with pytest.raises(ValueError):
        weighted_kappa([0, 3], [0, 1])


def test_icc_edge_cases_agree_with_pingouin():
    import warnings

    for x in (np.full((5, 2), 4.0), np.column_stack([np.ones(5), 2 * np.ones(5)])):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = _pingouin_icc(x)
        for kind, label in (("2,1", "ICC(A,1)"), ("3,1", "ICC(C,1)")):
            ours, theirs = icc(x, kind).value, ref.loc[label, "ICC"]
            assert (np.isnan(ours) and np.isnan(theirs)) or ours == pytest.approx(theirs, abs=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.isnan(cohen_kappa_score([1, 1, 1], [1, 1, 1], weights="linear"))
