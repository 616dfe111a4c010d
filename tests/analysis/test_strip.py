"""Key-frame strips: lowest/median/highest scored frame and one without an eye per ROI, drawn from the video."""
import json

import numpy as np
import pandas as pd
import pytest

from mgs_core.analysis.keyframes import strip_picks
from mgs_core.analysis.strip import keyframe_strip, run_strip
from mgs_core.errors import InputError
from mgs_core.io.results import save_scores
from mgs_core.io.rois import rois_from_dict


def test_picks_lowest_median_highest_and_one_without_an_eye(video_set):
    _, _, results = video_set
    picks = strip_picks(results)
    assert list(picks["roi"]) == ["box1"] * 4 + ["box2"] * 4
    assert list(picks["pick"]) == ["lowest", "median", "highest", "no eye"] * 2
    for roi, g in results.groupby("roi"):
        scored = g.dropna(subset=["score"])
        p = picks[picks["roi"] == roi].set_index("pick")
        assert p.loc["lowest", "score"] == scored["score"].min()
        assert p.loc["highest", "score"] == scored["score"].max()
        assert p.loc["median", "score"] == sorted(scored["score"])[(len(scored) - 1) // 2]
        assert p.loc["no eye", "eye_visible"] == 0


def test_no_eye_pick_skips_machinery_failures_and_all_scored_rois_have_none():
    df = pd.DataFrame({"frame": [0, 1, 2, 3], "time_s": [0, .1, .2, .3], "roi": "a", "animal": "m", "group": "",
                       "eye_visible": [1, 1, 0, 0], "eye_x": [1.0, 1, np.nan, np.nan], "eye_y": [1.0, 1, np.nan, np.nan],
                       "score": [2.0, 5.0, np.nan, np.nan], "status": ["scored", "scored", "unscored_decode",
                                                                       "eye_hidden"]})
    p = strip_picks(df)
    assert list(p["pick"]) == ["lowest", "median", "highest", "no eye"] and p["frame"].iloc[-1] == 3
    assert "no eye" not in list(strip_picks(df.iloc[:2])["pick"])
    assert strip_picks(df.iloc[0:0]).empty


def test_strip_tiles_are_the_roi_crops_with_marker_and_score(video_set):
    video, _, results = video_set
    rois = rois_from_dict(json.loads((video.parent / "rec.rois.json").read_text()))
    tiles = keyframe_strip(results, video, rois)
    assert len(tiles) == 8 and [t.roi for t in tiles[:4]] == ["box1"] * 4
    for t in tiles:
        assert t.image.shape == (256, 256, 3) and t.image.dtype == np.uint8
        assert (t.score is None) == (t.pick == "no eye")
    from mgs_core.geometry import crop_roi
    from mgs_core.io.video import read_frame

    raw = crop_roi(read_frame(video, tiles[0].frame), rois.rois[0], 256)
    changed = np.abs(tiles[0].image.astype(int) - raw.astype(int)).sum(axis=2) > 0
    assert changed[:20].mean() > 0.5 and changed[-20:].mean() > 0.5  # caption and score bands drawn
    assert changed[100:160, 100:160].any()  # the eye marker near the eye (frame x 30, y 32 -> crop ~120,128)


def test_run_strip_reads_video_and_rois_from_the_provenance(video_set, tmp_path):
    video, _, results = video_set
    stem = tmp_path / "rec"
    save_scores(results, stem)
    prov = {"input": {"path": str(video), "name": video.name},
            "rois": {"content": json.loads((video.parent / "rec.rois.json").read_text()), "whole_frame": False}}
    stem.with_suffix(".json").write_text(json.dumps(prov))
    assert len(run_strip(stem.with_suffix(".csv"))) == 8
    prov["input"]["path"] = str(tmp_path / "gone.mp4")
    stem.with_suffix(".json").write_text(json.dumps(prov))
    with pytest.raises(InputError, match="gone.mp4 of rec.csv is no longer there"):
        run_strip(stem.with_suffix(".csv"))
