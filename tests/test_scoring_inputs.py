"""score_video refuses bad limits and odd paths with one message, survives a full disk, marks decode losses."""
import errno
import json

import numpy as np
import pandas as pd
import pytest

from mgs_core.cli import main
from mgs_core.errors import InputError, RoiError
from mgs_core.io.results import load_scores
from mgs_core.io.rois import save_rois
from mgs_core.io.video import write_video
from mgs_core.scoring import score_video
from mgs_core.types import BEHAVIOUR_STATUSES, UNSCORED_DECODE, Roi, RoiSet
from tests.io.test_input_hardening import _moving_bar, damaged_copy
from tests.server.fake_runner import FakeRunner

ROIS = RoiSet((Roi("left", 0, 0, 160, 240, "m1"), Roi("right", 160, 0, 160, 240, "m2")), 320, 240)


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return write_video(tmp_path_factory.mktemp("v") / "bar.mp4", _moving_bar(30), fps=30)


def test_negative_or_zero_limits_and_empty_roi_sets_are_refused(video, tmp_path):
    for bad in (-1, 0):
        with pytest.raises(InputError, match="--max-frames must be >= 1"):
            score_video(video, ROIS, FakeRunner(), tmp_path, max_frames=bad)
    with pytest.raises(RoiError, match="lists no ROIs"):
        score_video(video, RoiSet((), 320, 240), FakeRunner(), tmp_path)
    assert not any(tmp_path.iterdir())  # nothing written


def test_cli_gives_one_error_line_and_exit_2(video, tmp_path, capsys):
    empty = tmp_path / "empty.rois.json"
    empty.write_text(json.dumps({"frame_width": 320, "frame_height": 240, "rois": []}))
    nan = tmp_path / "nan.rois.json"
    nan.write_text('{"frame_width": 320, "frame_height": 240, "rois": [{"id": "a", "x": NaN, "y": 0, "w": 9, "h": 9}]}')
    for args, message in (([str(video), "--rois", str(empty)], "lists no ROIs"),
                          ([str(video), "--rois", str(nan)], "must be a whole number, got nan")):
        assert main(["score", *args, "--out", str(tmp_path / "out"), "--quiet"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error: ") and message in err[0]


def test_a_partial_path_that_is_a_file_is_a_clear_error(video, tmp_path):
    (tmp_path / ".bar.partial").write_text("not a folder")
    with pytest.raises(InputError, match="exists but is not a folder"):
        score_video(video, ROIS, FakeRunner(), tmp_path)


def test_a_full_disk_at_the_final_write_loses_nothing_and_leaves_no_tmp(video, tmp_path, monkeypatch):
    real = pd.DataFrame.to_csv

    def full(self, path=None, *a, **kw):
        if path is not None and (str(path).endswith(".csv.tmp") or str(path).endswith(".csv.publishing")):
            with open(path, "w") as fh:  # a half-written file, as a real full disk leaves
                fh.write("frame,ti")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, path, *a, **kw)

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    with pytest.raises(InputError, match="No space left on device.*kept in .*bar.partial.*rerun"):
        score_video(video, ROIS, FakeRunner(), tmp_path, chunk_frames=10)
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.publishing"))
    assert not (tmp_path / "bar.csv").exists()
    assert len(list((tmp_path / ".bar.partial").glob("chunk_*.parquet"))) == 3  # the scored frames are kept
    monkeypatch.setattr(pd.DataFrame, "to_csv", real)  # space freed: the rerun resumes and finishes
    s = score_video(video, ROIS, FakeRunner(), tmp_path, chunk_frames=10)
    assert s.frames_resumed == 30 and s.frames_scored == 30 and not (tmp_path / ".bar.partial").exists()


def test_a_damaged_video_is_scored_around_the_damage_with_unscored_decode_rows(tmp_path):
    good = write_video(tmp_path / "good.mp4", _moving_bar(), fps=30)
    damaged = damaged_copy(good, tmp_path / "damaged.mp4")
    rois_path = save_rois(ROIS, tmp_path / "rois.json")
    s = score_video(damaged, ROIS, FakeRunner(), tmp_path / "out", roi_source=rois_path, chunk_frames=64)
    df = load_scores(s.csv)
    assert s.frames_scored == 300 and s.rows == 600  # every frame has its rows
    lost = df[df["status"] == UNSCORED_DECODE]
    assert s.frames_lost_decode == lost["frame"].nunique() > 0
    assert lost["score"].isna().all() and (lost["eye_visible"] == 0).all()
    assert df[df["status"] != UNSCORED_DECODE]["status"].isin(BEHAVIOUR_STATUSES).all()
    assert lost["frame"].nunique() <= 0.15 * 300  # at least 85 % recovered
    ranges = [tuple(r) for r in json.loads(s.provenance.read_text())["run"]["decode_lost_ranges"]]
    assert ranges == list(s.decode_lost_ranges) and ranges
    assert sorted(lost["frame"].unique()) == [i for a, b in ranges for i in range(a, b + 1)]
    times = df.drop_duplicates("frame")["time_s"].to_numpy()
    assert np.all(np.diff(times) > 0)  # placeholders sit in time order
    # with a stride only the selected lost frames get rows; a rerun after an interruption gives the same table
    s2 = score_video(damaged, ROIS, FakeRunner(), tmp_path / "out2", stride=3, chunk_frames=16)
    df2 = load_scores(s2.csv)
    assert (df2["frame"] % 3 == 0).all() and df2["frame"].nunique() == 100
    assert set(df2[df2["status"] == UNSCORED_DECODE]["frame"]) == {i for i in lost["frame"] if i % 3 == 0}
