"""The README's "From Python" example works as written (on the first 60 frames, to stay quick)."""
from pathlib import Path

import mgs_core

REPO = Path(__file__).resolve().parents[1]


def test_readme_python_example(tmp_path):
    runner = mgs_core.load_runner()
    rois = mgs_core.load_rois(REPO / "sample_data/demo.rois.json")
    summary = mgs_core.score_video(REPO / "sample_data/demo.mp4", rois, runner, tmp_path, max_frames=60)
    scores = mgs_core.load_scores(tmp_path / "demo.csv")
    report = mgs_core.analyze(scores, bin_s=1.0, threshold=3.0)
    assert summary.frames_scored == 60 and len(scores) == 60 * len(rois)
    assert set(report.animals["animal"]) == {r.animal for r in rois}
    assert scores["score"].between(0, 9).all() or scores["score"].isna().any()
