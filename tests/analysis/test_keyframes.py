import numpy as np
import pandas as pd
import pytest

from mgs_core.analysis.curves import prepare
from mgs_core.analysis.keyframes import export_keyframes, measure_sharpness, select_keyframes
from mgs_core.errors import InputError
from mgs_core.io.rois import load_rois

from .video_fixture import BLURRED


def _long_table(seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for a in range(3):
        for i in range(900):  # 3 min at 5 fps
            vis = rng.random() > 0.3
            rows.append((i, i / 5.0, f"b{a}", f"m{a}", "g", int(vis), 5.0, 5.0,
                         float(rng.uniform(0, 9)) if vis else np.nan))
    return prepare(pd.DataFrame(rows, columns=["frame", "time_s", "roi", "animal", "group", "eye_visible", "eye_x",
                                               "eye_y", "score"]))


def _check(picks, gap):
    assert (picks["eye_visible"] == 1).all() and picks["score_0_9"].notna().all()
    for _, part in picks.groupby("animal"):
        t = np.sort(part["time_s"].to_numpy())
        assert np.all(np.diff(t) >= gap - 1e-9)


def test_selection_is_scorable_spread_and_gapped():
    df = _long_table()
    picks = select_keyframes(df, per_animal=8, min_gap_s=5.0)
    _check(picks, 5.0)
    assert picks.groupby("animal").size().tolist() == [8, 8, 8]
    for _, part in picks.groupby("animal"):
        # spread over time (one per eighth of the recording) and over scores (low and high)
        assert len(np.unique(np.floor(part["time_s"] / (180 / 8)))) >= 7
        assert part["score_0_9"].min() < 2.5 and part["score_0_9"].max() > 6.5


def test_per_bin_and_too_few_candidates():
    df = _long_table(1)
    picks = select_keyframes(df, per_animal=2, min_gap_s=3.0, bin_s=60.0)
    _check(picks, 3.0)
    assert (picks.assign(b=np.floor(picks["time_s"] / 60)).groupby(["animal", "b"]).size() == 2).all()
    few = select_keyframes(df, per_animal=50, min_gap_s=30.0)  # at most 6 picks fit in 180 s with a 30 s gap
    _check(few, 30.0)
    assert (few.groupby("animal").size() <= 6).all()
    with pytest.raises(InputError):
        select_keyframes(df, per_animal=0)


def test_sharpness_filter_drops_blurred_frames(video_set):
    video, _, results = video_set
    rois = load_rois(video.with_suffix(".rois.json"))
    cand = measure_sharpness(prepare(results), video, rois)
    blurred = cand[cand["frame"].isin(BLURRED)]["sharpness"]
    sharp = cand[~cand["frame"].isin(BLURRED)]["sharpness"]
    assert blurred.max() < sharp.min()
    picks = select_keyframes(cand, per_animal=5, min_gap_s=0.5)
    assert not picks["frame"].isin(BLURRED).any()


def test_export_is_blinded_and_key_joins_back_exactly(video_set, tmp_path):
    video, _, results = video_set
    rois = load_rois(video.with_suffix(".rois.json"))
    df = prepare(results)
    picks = select_keyframes(measure_sharpness(df, video, rois), per_animal=4, min_gap_s=0.5)
    exp = export_keyframes(picks, video, tmp_path / "kf", rois, crops=True, seed=3)
    key = pd.read_csv(exp.key_path)
    assert len(key) == 8 and list(key["image"]) == [f"kf_{i:04d}.png" for i in range(1, 9)]
    for name in key["image"]:
        assert (tmp_path / "kf" / name).is_file() and (tmp_path / "kf" / name.replace(".png", "_eye.png")).is_file()
    joined = key.merge(results, on=["frame", "roi"], how="left", validate="one_to_one")
    np.testing.assert_allclose(joined["model_score_0_9"], joined["score"])
    np.testing.assert_allclose(joined["time_s_x"], joined["time_s_y"])
    assert (joined["animal_x"] == joined["animal_y"]).all() and (joined["eye_visible"] == 1).all()
    assert key["frame"].tolist() != sorted(key["frame"].tolist()) or key["animal"].nunique() == 1  # shuffled
    template = pd.read_csv(exp.template_path)
    assert list(template.columns) == ["image", "score"] and template["score"].isna().all()
    assert set(template["image"]) == set(key["image"])
    import cv2
    assert cv2.imread(str(tmp_path / "kf" / key["image"][0])).shape == (256, 256, 3)
