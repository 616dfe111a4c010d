"""Frames to label (active learning): never a no-eye frame or a near-duplicate, prefers uncertain frames, n in all."""
import numpy as np
import pandas as pd
import pytest

from mgs_core.analysis.curves import prepare
from mgs_core.analysis.keyframes import select_for_labelling, uncertainty
from mgs_core.errors import InputError


def _table(seed=0, n=300, animals=("m1", "m2", "m3")):
    rng = np.random.default_rng(seed)
    rows = []
    for a in animals:
        for i in range(n):
            t = i / 10.0
            visible = rng.random() > 0.3
            status = "scored" if visible else rng.choice(["eye_hidden", "no_animal", "too_small"])
            rows.append({"frame": i, "time_s": t, "roi": a, "animal": a, "group": "g", "eye_visible": int(visible),
                         "eye_x": 10.0 if visible else np.nan, "eye_y": 10.0 if visible else np.nan,
                         "score": float(rng.uniform(0, 9)) if visible else np.nan, "status": status,
                         "eye_length": np.nan, "scorability": float(rng.uniform(0.2, 1.0)) if visible else 0.0,
                         "confidence": float(rng.uniform(0.5, 1.0)) if visible else 0.0})
    return prepare(pd.DataFrame(rows), source="rec")


def test_never_a_no_eye_frame_or_a_near_duplicate():
    df = _table()
    picks = select_for_labelling(df, 24, min_gap_s=1.5, seed=3)
    assert len(picks) == 24
    assert (picks["eye_visible"] == 1).all() and (picks["status"] == "scored").all()
    assert picks["score_0_9"].notna().all()
    assert picks.groupby("animal").size().to_dict() == {"m1": 8, "m2": 8, "m3": 8}
    for _, part in picks.groupby("animal"):
        assert np.diff(np.sort(part["time_s"].to_numpy())).min() >= 1.5 - 1e-9


def test_a_scored_row_with_another_status_is_not_a_candidate():
    df = _table()
    df.loc[df["eye_visible"] == 1, "status"] = "too_small"
    keep = df.index[(df["eye_visible"] == 1)][:3]
    df.loc[keep, "status"] = "scored"
    picks = select_for_labelling(df, 10, min_gap_s=0.0)
    assert set(picks.index) <= set(keep)


def test_prefers_frames_the_model_is_unsure_of():
    df = _table(seed=1)
    cand = df[df["status"] == "scored"]
    sure = select_for_labelling(df, 30, min_gap_s=1.0, uncertainty_weight=0.0, seed=0)
    unsure = select_for_labelling(df, 30, min_gap_s=1.0, uncertainty_weight=1.0, seed=0)
    u_all = uncertainty(cand).mean()
    assert unsure["uncertainty"].mean() > sure["uncertainty"].mean() + 0.1
    assert unsure["uncertainty"].mean() > u_all + 0.1
    # still spread over time and predicted score
    for _, part in unsure.groupby("animal"):
        assert part["time_s"].max() - part["time_s"].min() > 20
        assert part["score_0_9"].max() - part["score_0_9"].min() > 4


def test_short_units_give_their_share_to_the_others():
    df = _table(n=300)
    few = df[(df["animal"] == "m1") & (df["status"] == "scored")].index[:2]
    df = df[(df["animal"] != "m1") | df.index.isin(few)]
    picks = select_for_labelling(df, 12, min_gap_s=0.0)
    assert len(picks) == 12 and (picks["animal"] == "m1").sum() == 2


def test_uncertainty_is_one_minus_scorability_times_confidence():
    df = pd.DataFrame({"scorability": [1.0, 0.5, 0.0], "confidence": [1.0, 0.5, 0.9]})
    assert np.allclose(uncertainty(df), [0.0, 0.75, 1.0])


@pytest.mark.parametrize("kw", [{"n": 0}, {"n": 5, "min_gap_s": -1}, {"n": 5, "uncertainty_weight": -0.1}])
def test_bad_settings(kw):
    with pytest.raises(InputError):
        select_for_labelling(_table(n=20), **kw)
