import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from mgs_core.cli import main

_spec = importlib.util.spec_from_file_location(
    "analysis_video_fixture", Path(__file__).parents[1] / "analysis" / "video_fixture.py")
video_fixture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(video_fixture)


@pytest.fixture(scope="module")
def video_set(tmp_path_factory):
    return video_fixture.make_video_set(tmp_path_factory.mktemp("kfvideo"))


def test_keyframes_cli_exports_blinded_set(video_set, tmp_path, capsys):
    video, results_csv, results = video_set
    out = tmp_path / "kf"
    rc = main(["keyframes", str(results_csv), str(video), "--per-animal", "3", "--min-gap", "1.0", "--crops",
               "--out", str(out)])
    assert rc == 0
    key = pd.read_csv(out / "key.csv")
    assert len(key) == 6 and set(key["animal"]) == {"m1", "m2"}
    assert not key["frame"].isin(video_fixture.BLURRED).any()
    for _, part in key.groupby("animal"):
        t = part["time_s"].sort_values().to_numpy()
        assert (t[1:] - t[:-1] >= 1.0 - 1e-9).all()
    joined = key.merge(results, on=["frame", "roi"], validate="one_to_one")
    assert len(joined) == 6 and (joined["model_score_0_9"] - joined["score"]).abs().max() < 1e-9
    assert len(list(out.glob("kf_*_eye.png"))) == 6
    assert "keep" in capsys.readouterr().out


def test_keyframes_cli_errors(video_set, tmp_path, capsys):
    video, results_csv, _ = video_set
    assert main(["keyframes", str(results_csv), str(tmp_path / "nope.mp4"), "--per-animal", "2",
                 "--out", str(tmp_path / "o")]) == 2
    bad_rois = tmp_path / "r.json"
    bad_rois.write_text('{"frame_width": 128, "frame_height": 64, "rois": [{"id": "other", "x": 0, "y": 0, "w": 8, "h": 8}]}')
    assert main(["keyframes", str(results_csv), str(video), "--per-animal", "2", "--rois", str(bad_rois),
                 "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 2 and "Traceback" not in err and "box1" in err
