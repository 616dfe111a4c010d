import json

import cv2
import numpy as np
import pandas as pd
import pytest
import torch

from mgs_core.errors import InputError, RoiError, ServerError, VideoError
from mgs_core.io.results import COLUMNS, load_scores
from mgs_core.io.rois import save_rois
from mgs_core.io.video import probe_video, write_video
from mgs_core.models import OrbitalNet
from mgs_core.runners.local import LocalRunner
from mgs_core.scoring import score_video
from fake_models import DarkEyeNet
from mgs_core.types import Roi, RoiSet


def frames(n, w=320, h=240):
    """A dark dot moving right in box1; box2 never has an eye; frame 5 has no eye at all."""
    for i in range(n):
        img = np.full((h, w, 3), 220, np.uint8)
        if i != 5:
            cv2.circle(img, (40 + 3 * i, 60), 4, (5, 5, 5), -1)
        yield img


ROIS = RoiSet((Roi("box1", 0, 0, 160, 120, "m1", "saline"), Roi("box2", 160, 0, 160, 240, "m2", "drug")), 320, 240)


@pytest.fixture(scope="module")
def runner():
    torch.manual_seed(0)
    return LocalRunner(DarkEyeNet(), OrbitalNet(), backend="torch")


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return write_video(tmp_path_factory.mktemp("vid") / "dots.mp4", frames(24), fps=24, crf=10)


def test_outputs_contents(runner, video, tmp_path):
    rois_path = save_rois(ROIS, tmp_path / "rois.json")
    s = score_video(video, ROIS, runner, tmp_path / "out", roi_source=rois_path, chunk_frames=7)
    assert s.frames_scored == 24 and s.rows == 48 and s.frames_resumed == 0 and s.decode_error is None
    csv = pd.read_csv(s.csv)
    assert list(csv.columns) == COLUMNS
    df = load_scores(s.parquet)
    pd.testing.assert_frame_equal(load_scores(s.csv), df)
    assert df["frame"].tolist() == [i // 2 for i in range(48)]
    assert df["roi"].tolist()[:2] == ["box1", "box2"] and df["group"].tolist()[:2] == ["saline", "drug"]
    assert df["time_s"].iloc[2] == pytest.approx(1 / 24, abs=1e-4)
    box1 = df[df.roi == "box1"].set_index("frame")
    assert box1.loc[5, "eye_visible"] == 0 and np.isnan(box1.loc[5, "score"]) and np.isnan(box1.loc[5, "eye_x"])
    seen = box1.drop(index=5)
    assert (seen["eye_visible"] == 1).all() and seen["score"].between(0, 9).all()
    np.testing.assert_allclose(seen["eye_x"], 40 + 3 * seen.index.values, atol=1.0)
    np.testing.assert_allclose(seen["eye_y"], 60, atol=1.0)
    box2 = df[df.roi == "box2"]
    assert (box2["eye_visible"] == 0).all() and box2["score"].isna().all()
    prov = json.loads(s.provenance.read_text())
    assert prov["format"] == "mgs-live-provenance" and prov["input"]["sha256"] and len(prov["input"]["sha256"]) == 64
    assert prov["input"]["fps"] == pytest.approx(24) and (prov["input"]["width"], prov["input"]["height"]) == (320, 240)
    assert prov["rois"]["content"]["rois"][0]["id"] == "box1" and prov["rois"]["file"].endswith("rois.json")
    assert prov["runner"]["backend"] == "local" and prov["run"]["frames_scored"] == 24
    assert prov["run"]["frames_per_s"] > 0 and prov["run"]["wall_s"] > 0 and "git_commit" in prov["code"]
    assert "model_args" in prov["models"]["score"]
    assert not (tmp_path / "out" / ".dots.partial").exists()


def test_ctrl_c_then_resume_equals_uninterrupted(runner, video, tmp_path):
    ref = score_video(video, ROIS, runner, tmp_path / "ref", chunk_frames=5)

    def interrupt(done, total):
        if done == 13:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        score_video(video, ROIS, runner, tmp_path / "out", chunk_frames=5, progress=interrupt)
    partial = tmp_path / "out" / ".dots.partial"
    chunks = sorted(p.name for p in partial.glob("chunk_*.parquet"))
    assert chunks == ["chunk_000000000_000005.parquet", "chunk_000000005_000005.parquet",
                      "chunk_000000010_000003.parquet"]  # the 3 frames since the last chunk were flushed too
    s = score_video(video, ROIS, runner, tmp_path / "out", chunk_frames=5)
    assert s.frames_resumed == 13 and any("resuming" in m for m in s.messages)
    assert s.csv.read_bytes() == ref.csv.read_bytes()
    pd.testing.assert_frame_equal(pd.read_parquet(s.parquet), pd.read_parquet(ref.parquet))


def test_partial_from_other_inputs_is_discarded(runner, video, tmp_path):
    def interrupt(done, total):
        if done == 6:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        score_video(video, ROIS, runner, tmp_path, chunk_frames=5, progress=interrupt)
    s = score_video(video, ROIS, runner, tmp_path, chunk_frames=5, stride=2)
    assert s.frames_resumed == 0 and any("starting over" in m for m in s.messages)
    assert s.frames_scored == 12


def test_image_input_whole_frame(runner, tmp_path):
    img = next(frames(1))
    path = tmp_path / "still.jpg"
    cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
    s = score_video(path, None, runner, tmp_path / "out", annotate=True)
    df = load_scores(s.csv)
    assert len(df) == 1 and df["roi"][0] == "frame" and df["time_s"][0] == 0 and df["eye_visible"][0] == 1
    assert df["eye_x"][0] == pytest.approx(40, abs=1.5) and df["eye_y"][0] == pytest.approx(60, abs=1.5)
    assert json.loads(s.provenance.read_text())["rois"]["whole_frame"] is True
    assert probe_video(s.annotated).n_frames == 1


def test_annotated_video(runner, video, tmp_path):
    s = score_video(video, ROIS, runner, tmp_path, annotate=True, stride=3)
    info = probe_video(s.annotated)
    assert (info.width, info.height, info.n_frames) == (320, 240, 8) and info.fps == pytest.approx(8)
    assert s.frames_scored == 8


def test_bad_inputs(runner, video, tmp_path):
    other = RoiSet((Roi("box1", 0, 0, 100, 100),), 640, 480)
    with pytest.raises(RoiError, match="640x480 frames but the video is 320x240"):
        score_video(video, other, runner, tmp_path)
    notvid = tmp_path / "notes.avi"
    notvid.write_text("not a video")
    with pytest.raises(VideoError, match="not a video or image"):
        score_video(notvid, None, runner, tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match="not writable"):
        score_video(video, None, runner, blocker / "out")


class FlakyRunner(LocalRunner):
    """Fails (like an unreachable server) from the 10th call on, until healed."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.calls, self.healed = 0, False

    def infer(self, crops):
        self.calls += 1
        if self.calls >= 10 and not self.healed:
            raise ServerError("server tcp://127.0.0.1:1 did not answer")
        return super().infer(crops)


def test_server_failure_stops_keeps_scored_frames_and_resumes(video, tmp_path):
    torch.manual_seed(0)
    flaky = FlakyRunner(DarkEyeNet(), OrbitalNet(), backend="torch")
    with pytest.raises(ServerError, match="frame 9 could not be scored.*9 frames before it are saved"):
        score_video(video, ROIS, flaky, tmp_path, chunk_frames=4)
    flaky.healed = True
    s = score_video(video, ROIS, flaky, tmp_path, chunk_frames=4)
    assert s.frames_resumed == 9 and s.frames_scored == 24 and s.frames_failed == 0
    flaky.healed, flaky.calls = False, 0
    s = score_video(video, ROIS, flaky, tmp_path / "keep", stop_on_error=False)
    assert s.frames_failed == 15 and s.frames_scored == 24
    df = load_scores(s.csv)
    assert df[df.frame >= 9]["score"].isna().all() and (df[df.frame >= 9]["eye_visible"] == 0).all()


def test_provenance_names_who_scored(runner, video, tmp_path, monkeypatch):
    from mgs_core.access import who

    s = score_video(video, ROIS, runner, tmp_path / "a", max_frames=3, user="olly")
    assert json.loads(s.provenance.read_text())["user"] == "olly"
    monkeypatch.setattr(who, "os_user", lambda: "labtech")  # the CLI and loopback mode: the OS user
    s = score_video(video, ROIS, runner, tmp_path / "b", max_frames=3)
    assert json.loads(s.provenance.read_text())["user"] == "labtech"
