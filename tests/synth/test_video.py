"""make_video: decodable H.264, truth consistent with the ROI file, deterministic, planted group difference."""
import numpy as np
import pandas as pd

from mgs_core.io.rois import load_rois
from mgs_core.synth.curves import random_curve
from mgs_core.synth.video import make_video


def _frames(path):
    import av

    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def test_video_truth_and_determinism(tmp_path):
    a = make_video(tmp_path / "a.mp4", seconds=0.5, mice=3, seed=5, width=640, height=360, fps=8)
    b = make_video(tmp_path / "b.mp4", seconds=0.5, mice=3, seed=5, width=640, height=360, fps=8)
    frames = _frames(a.video)
    assert len(frames) == a.frames == 4 and frames[0].shape == (360, 640, 3)
    assert np.array_equal(frames[2], _frames(b.video)[2])
    ta, tb = pd.read_csv(a.truth), pd.read_csv(b.truth)
    pd.testing.assert_frame_equal(ta, tb)
    rois = {r.id: r for r in load_rois(a.rois)}
    assert set(ta["roi"]) == set(rois)
    vis = ta[ta["eye_visible"] == 1]
    for _, r in vis.iterrows():
        roi = rois[r["roi"]]
        assert roi.x <= r["eye_x"] < roi.x + roi.w and roi.y <= r["eye_y"] < roi.y + roi.h
        assert 0 <= r["score"] <= 9
    assert ta.loc[ta["eye_visible"] == 0, "score"].isna().all()


def test_planted_curves_separate_groups_after_analgesia():
    rng = np.random.default_rng(0)
    T = 60.0
    veh = [random_curve(rng, "vehicle", T) for _ in range(10)]
    ana = [random_curve(rng, "analgesic", T) for _ in range(10)]
    late = np.linspace(0.8 * T, T, 20)
    assert min(np.mean([c(t) for t in late]) for c in veh) > max(np.mean([c(t) for t in late]) for c in ana)
    early = np.linspace(0, 0.15 * T, 10)
    assert all(np.mean([c(t) for t in early]) < 2.5 for c in veh + ana)
