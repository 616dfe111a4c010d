import numpy as np
import pandas as pd
import pytest

from mgs_core.analysis.curves import SMOOTH_COL, Smoothing, bin_scores, parse_duration, prepare, smooth_scores
from mgs_core.analysis.scale import ScaleConversion
from mgs_core.analysis.summary import summarize, summarize_groups
from mgs_core.errors import InputError


def _table():
    rows = []
    for animal, group, scores in (("m1", "vehicle", [5, 6, np.nan, 7, 8, np.nan, 6, 5]),
                                  ("", "analgesic", [1, 2, 3, np.nan, 2, 1, 1, 2])):
        for i, s in enumerate(scores):
            rows.append((i, i * 0.5, "box2" if not animal else "box1", animal, group, int(np.isfinite(s)), 1.0, 1.0, s))
    return pd.DataFrame(rows, columns=["frame", "time_s", "roi", "animal", "group", "eye_visible", "eye_x", "eye_y",
                                       "score"])


def test_prepare_names_scales_and_gives_an_unnamed_roi_a_file_specific_id():
    p = prepare(_table(), source="rec1")
    assert set(p["animal"]) == {"m1", "box2 (rec1)"} and (p["source"] == "rec1").all()
    assert set(prepare(_table())["animal"]) == {"m1", "box2"}
    assert "score" not in p.columns
    row = p[(p["animal"] == "m1") & (p["frame"] == 3)].iloc[0]
    assert row["score_0_9"] == 7 and row["mgs_0_2"] == 2
    assert np.isnan(p[(p["animal"] == "m1") & (p["frame"] == 2)]["mgs_0_2"]).all()


def test_median_smoothing_uses_scored_frames_only_and_keeps_gaps():
    p = smooth_scores(prepare(_table()), "median:3")
    m1 = p[p["animal"] == "m1"].sort_values("time_s")
    assert np.isnan(m1[SMOOTH_COL].to_numpy()[[2, 5]]).all()
    scored = m1["score_0_9"].dropna().to_numpy()
    expected = pd.Series(scored).rolling(3, center=True, min_periods=1).median().to_numpy()
    np.testing.assert_allclose(m1[SMOOTH_COL].dropna().to_numpy(), expected)


def test_ema_smoothing_matches_recursion():
    p = smooth_scores(prepare(_table()), "ema:0.5")
    v = p[p["animal"] == "box2"].sort_values("time_s")  # no source: the ROI id alone
    x = v["score_0_9"].dropna().to_numpy()
    ema = [x[0]]
    for s in x[1:]:
        ema.append(0.5 * s + 0.5 * ema[-1])
    np.testing.assert_allclose(v[SMOOTH_COL].dropna().to_numpy(), ema)
    assert np.isnan(smooth_scores(prepare(_table()), "none")[SMOOTH_COL]).sum() == 3


@pytest.mark.parametrize("spec", ["median:0", "ema:1.5", "gauss:3", "median:x", "none:3"])
def test_bad_smoothing_specs_raise_input_error(spec):
    with pytest.raises(InputError, match="smoothing"):
        Smoothing.parse(spec)


def test_parse_duration():
    assert parse_duration("60s") == 60 and parse_duration("5min") == 300 and parse_duration("1h") == 3600
    assert parse_duration("2.5") == 2.5
    for bad in ("abc", "-3s", "0"):
        with pytest.raises(InputError):
            parse_duration(bad)


def test_bins_count_frames_and_average_scored_only():
    b = bin_scores(prepare(_table()), 2.0)
    m1 = b[b["animal"] == "m1"].set_index("bin")
    assert list(m1["n_frames"]) == [4, 4] and list(m1["n_scored"]) == [3, 3]
    assert m1.loc[0, "mean_score_0_9"] == pytest.approx(6.0) and m1.loc[1, "frac_visible"] == pytest.approx(0.75)
    assert m1.loc[1, "bin_start_s"] == 2.0 and m1.loc[1, "bin_mid_s"] == 3.0


def test_summary_auc_threshold_visibility():
    s = summarize(prepare(_table()), threshold=5.5).set_index("animal")
    m1 = s.loc["m1"]
    assert m1["n_scored"] == 6 and m1["frac_visible"] == pytest.approx(0.75)
    assert m1["mean_score_0_9"] == pytest.approx(37 / 6)
    assert m1["auc_score_s"] == pytest.approx(37 * 0.5) and m1["scored_time_s"] == pytest.approx(3.0)
    assert m1["frac_above"] == pytest.approx(4 / 6)
    g = summarize_groups(s.reset_index()).set_index("group")
    assert g.loc["vehicle", "n_animals"] == 1 and np.isnan(g.loc["vehicle", "mean_score_0_9_sd"])  # a single animal


def test_scale_conversion_is_explicit_and_configurable():
    c = ScaleConversion()
    np.testing.assert_array_equal(c.to_mgs([0, 2.99, 3, 5.99, 6, 9, np.nan])[:6], [0, 0, 1, 1, 2, 2])
    assert np.isnan(c.to_mgs([np.nan])[0])
    np.testing.assert_allclose(c.to_score([0, 1, 2]), [1.5, 4.5, 7.5])
    c2 = ScaleConversion.parse("2,5")
    np.testing.assert_array_equal(c2.to_mgs([1.9, 2, 5]), [0, 1, 2])
    assert "score < 2" in c2.describe()
    for bad in ("5,2", "3", "a,b", "0,9"):
        with pytest.raises(InputError):
            ScaleConversion.parse(bad)


def test_server_and_decode_gaps_are_not_counted_as_a_hidden_eye():
    """4 frames: 2 scored, 1 hidden eye, 1 server outage -> usable fraction 2/3, not 2/4."""
    df = pd.DataFrame({"frame": [0, 1, 2, 3], "time_s": [0.0, 0.5, 1.0, 1.5], "roi": "b", "animal": "m", "group": "g",
                       "eye_visible": [1, 1, 0, 0], "eye_x": 1.0, "eye_y": 1.0, "score": [2.0, 4.0, np.nan, np.nan],
                       "status": ["scored", "scored", "eye_hidden", "unscored_server"]})
    p = prepare(df)
    row = summarize(p).iloc[0]
    assert row["frac_visible"] == pytest.approx(2 / 3) and row["n_unscored"] == 1 and row["n_frames"] == 4
    b = bin_scores(p, 10.0).iloc[0]
    assert b["frac_visible"] == pytest.approx(2 / 3) and b["n_unscored"] == 1 and b["n_scored"] == 2
    gone = summarize(prepare(df.assign(status=["unscored_decode"] * 4, eye_visible=0, score=np.nan))).iloc[0]
    assert np.isnan(gone["frac_visible"]) and gone["n_unscored"] == 4  # nothing judged: unknown, not 0 %
    old = summarize(prepare(df.drop(columns="status"))).iloc[0]  # a table from before the status column
    assert old["frac_visible"] == pytest.approx(0.5) and old["n_unscored"] == 0


def test_analysing_a_table_without_rows_says_so():
    from mgs_core.analysis import analyze
    from mgs_core.errors import MGSError

    empty = pd.DataFrame(columns=["frame", "time_s", "roi", "animal", "group", "eye_visible", "score", "status"])
    with pytest.raises(MGSError, match="no frames"):
        analyze(empty, bin_s=5.0, smoothing="median:15", threshold=3.0)
