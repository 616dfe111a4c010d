"""Curve recovery on a truth-like table with realistic noise (the stand-in for scored synthetic video)."""
import numpy as np
import pandas as pd

from mgs_core.analysis.recovery import curve_recovery


def _truth_and_model(seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(0, 600, 0.5)  # 10 min at 2 fps
    truth_rows, model_rows = [], []
    for i in range(6):
        group = "vehicle" if i < 3 else "analgesic"
        peak = rng.uniform(150, 350)
        base, amp = (3.0, 4.0) if group == "vehicle" else (1.0, 2.0)
        truth = base + amp * np.exp(-((t - peak) / 120.0) ** 2)
        visible = rng.random(t.size) > 0.25  # a quarter of the frames without a visible eye
        model = np.clip(truth + rng.normal(0, 0.8, t.size), 0, 9)
        model[~visible] = np.nan
        for j in range(t.size):
            truth_rows.append((j, t[j], f"box{i}", f"m{i}", group, truth[j]))
            model_rows.append((j, t[j], f"box{i}", f"m{i}", group, int(visible[j]), 10.0, 10.0, model[j]))
    truth = pd.DataFrame(truth_rows, columns=["frame", "time_s", "roi", "animal", "group", "score_true"])
    model = pd.DataFrame(model_rows, columns=["frame", "time_s", "roi", "animal", "group", "eye_visible", "eye_x",
                                              "eye_y", "score"])
    return truth, model


def test_binned_model_curves_recover_planted_shapes_and_group():
    truth, model = _truth_and_model()
    res = curve_recovery(model, truth, bin_s=60.0)
    assert len(res.animals) == 6
    assert all(a.n_bins == 10 for a in res.animals)
    assert res.min_r >= 0.9, [(a.animal, round(a.r, 3)) for a in res.animals]
    assert res.truth_higher_group == "vehicle"
    assert res.model_leading_group == "vehicle"


def test_recovery_fails_visibly_on_scrambled_model():
    truth, model = _truth_and_model(1)
    rng = np.random.default_rng(2)
    model["score"] = rng.permutation(model["score"].to_numpy())  # no relation to time or animal
    res = curve_recovery(model, truth, bin_s=60.0)
    assert res.min_r < 0.9
