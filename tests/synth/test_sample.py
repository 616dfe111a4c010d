"""The committed sample_data/ is complete, small, and consistent with its own truth."""
from pathlib import Path

import pandas as pd
import pytest

from mgs_core.io.dataset import load_dataset
from mgs_core.io.rois import load_rois

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
pytestmark = pytest.mark.skipif(not (SAMPLE / "demo.mp4").exists(), reason="sample_data/ not generated")


def test_sample_files_and_sizes():
    total = sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file())
    assert total < 5_500_000
    assert (SAMPLE / "demo.mp4").stat().st_size < 3_100_000


def test_sample_truth_matches_rois_and_video():
    import av

    rois = load_rois(SAMPLE / "demo.rois.json")
    assert (rois.frame_width, rois.frame_height) == (1920, 1080) and len(rois) == 4
    truth = pd.read_csv(SAMPLE / "demo.truth.csv")
    assert set(truth["roi"]) == {r.id for r in rois}
    with av.open(str(SAMPLE / "demo.mp4")) as c:
        s = c.streams.video[0]
        assert (s.width, s.height) == (1920, 1080)
        n = sum(1 for _ in c.demux(s) if _.size)
    assert truth["frame"].max() + 1 == n
    assert truth["eye_visible"].mean() > 0.7
    late = truth[truth["time_s"] > 8.0].groupby("group")["score"].mean()
    assert late["vehicle"] > late["analgesic"] + 2


def test_sample_labelled_loads():
    ds = load_dataset(SAMPLE / "labelled")
    assert len(ds) == 120 and ds.has_masks
    scores = [it.score for it in ds if it.eye_visible]
    assert min(scores) < 1.5 and max(scores) > 7.5
