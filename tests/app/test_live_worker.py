"""The live scoring workers (no browser): file playback with the video's own frame numbers, controls, end of file,
dropped frames, a truncated file, ROIs for another frame size, a camera that stops, and the session watchdog."""
import threading
import time

import numpy as np
import pytest

from app_support.live_worker import ENDED, FAILED, PAUSED, STOPPED, CameraWorker, FileWorker
from mgs_core.errors import RoiError, VideoError
from mgs_core.io.rois import full_frame_rois
from mgs_core.io.series import load_series, open_series, read_provenance
from mgs_core.runners.base import Runner
from mgs_core.types import CropResult, RunnerInfo


class FixedRunner(Runner):
    def __init__(self, delay: float = 0.0):
        self.delay = delay

    def infer(self, crops):
        if self.delay:
            time.sleep(self.delay)
        return [CropResult(True, 128.0, 100.0, 4.5, 0.9, 30) for _ in range(len(crops))]

    def info(self):
        return RunnerInfo("local", "cpu", 256)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    from mgs_core.synth.video import make_video

    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    make_video(path, seconds=2, mice=2, seed=7, width=320, height=180, fps=15)  # 30 frames
    return path


def wait_until(cond, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return False


def mgs_threads():
    return [t for t in threading.enumerate() if t.name.startswith(("mgs-live-", "decode-"))]


def test_plays_at_the_real_rate_with_the_videos_frame_numbers_and_stops_at_the_end(clip, tmp_path):
    w = FileWorker(FixedRunner(), clip, None, tmp_path / "s", {}, speed=1.0, loop=False).start()
    t0 = time.monotonic()
    assert w.join(30)
    assert time.monotonic() - t0 >= 1.5  # 30 frames at 15 frames/s take about 2 s
    snap = w.snapshot()
    assert snap.state == ENDED and "has ended" in snap.message
    df = load_series(tmp_path / "s")
    assert df["frame"].tolist() == list(range(len(df))) and len(df) >= 25
    assert df["time_s"].iloc[-1] == pytest.approx(df["frame"].iloc[-1] / 15, abs=1e-3)  # the video's own times
    assert len(df) == snap.stats.scored + 0 and snap.stats.dropped + snap.stats.scored == 30
    assert read_provenance(tmp_path / "s")["finished"] and not mgs_threads()


def test_frames_it_cannot_keep_up_with_are_dropped_and_counted(clip, tmp_path):
    w = FileWorker(FixedRunner(delay=0.15), clip, None, tmp_path / "s", {}, speed=1.0, loop=False).start()
    assert w.join(30)
    s = w.snapshot().stats
    assert s.dropped > 5 and s.scored + s.dropped == 30  # newest frame scored, the rest skipped (not queued)
    assert len(load_series(tmp_path / "s")) == s.scored


def test_loop_seek_pause_speed_and_stop(clip, tmp_path):
    w = FileWorker(FixedRunner(), clip, full_frame_rois(320, 180), tmp_path / "s", {}, speed=None, loop=True).start()
    assert wait_until(lambda: w.snapshot().stats.passes >= 2)
    w.seek(1.5)
    assert wait_until(lambda: any(s["kind"] == "seek" for s in w.writer.provenance["segments"]))
    w.pause()
    assert wait_until(lambda: w.snapshot().state == PAUSED)
    n = w.snapshot().stats.scored
    time.sleep(0.3)
    assert w.snapshot().stats.scored == n  # paused: nothing is scored
    w.resume()
    w.set_speed(1.0)
    assert wait_until(lambda: w.snapshot().stats.scored > n + 3)
    w.stop()
    assert w.join(10) and w.snapshot().state == STOPPED
    kinds = [s["kind"] for s in read_provenance(tmp_path / "s")["segments"]]
    assert kinds[:3] == ["start", "loop", "loop"] and "seek" in kinds and "resume" in kinds
    seek = next(s for s in read_provenance(tmp_path / "s")["segments"] if s["kind"] == "seek")
    df = load_series(tmp_path / "s")
    assert seek["start_frame"] == 22 and df["frame"].iloc[seek["first_row"]] >= 22
    assert len(df) == w.snapshot().stats.scored and not mgs_threads()


def test_the_worker_stops_by_itself_when_its_session_is_gone(clip, tmp_path):
    connected = threading.Event()
    connected.set()
    w = FileWorker(FixedRunner(), clip, None, tmp_path / "s", {}, speed=None, loop=True,
                   alive=connected.is_set, grace_s=0.5).start()
    assert wait_until(lambda: w.snapshot().stats.scored > 5)
    connected.clear()  # the browser tab was closed
    assert w.join(10)
    snap = w.snapshot()
    assert snap.state == STOPPED and "session ended" in snap.message
    assert read_provenance(tmp_path / "s")["finished"] and len(load_series(tmp_path / "s")) == snap.stats.scored
    assert not mgs_threads()


def test_a_truncated_video_ends_with_a_message_and_keeps_what_was_scored(clip, tmp_path):
    cut = tmp_path / "cut.mp4"
    data = clip.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    try:
        w = FileWorker(FixedRunner(), cut, None, tmp_path / "s", {}, speed=None, loop=True)
    except VideoError as exc:  # the container may be unreadable at all: one clear message, nothing started
        assert "cut.mp4" in str(exc)
        return
    w.start()
    assert w.join(30)
    snap = w.snapshot()
    assert snap.state in (ENDED, FAILED) and "cut.mp4" in snap.message and "saved" in snap.message
    assert len(load_series(tmp_path / "s")) == snap.stats.scored


def test_not_a_video_and_rois_for_another_size_are_refused_before_anything_starts(clip, tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n")
    with pytest.raises(VideoError, match="notes.mp4"):
        FileWorker(FixedRunner(), text, None, tmp_path / "a", {})
    with pytest.raises(RoiError, match="1920x1080 frames but the video is 320x180"):
        FileWorker(FixedRunner(), clip, full_frame_rois(1920, 1080), tmp_path / "b", {})
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_camera_frames_are_scored_newest_first_and_a_silent_camera_ends_the_run(tmp_path):
    w = CameraWorker(FixedRunner(delay=0.02), None, tmp_path / "cam", {}, stall_s=0.5).start()
    frame = np.full((120, 160, 3), 90, np.uint8)
    for _ in range(40):
        w.feed(frame)
        time.sleep(0.005)
    assert w.join(10)  # no frame for 0.5 s: the camera is gone
    snap = w.snapshot()
    assert snap.state == FAILED and "camera sent no frame" in snap.message
    s = snap.stats
    assert s.scored + s.dropped == 40 and s.dropped > 0 and s.scored > 0
    df = load_series(tmp_path / "cam")
    assert len(df) == s.scored and df["roi"].unique().tolist() == ["frame"]
    assert df["frame"].is_monotonic_increasing  # the camera's own frame numbers (frames received)


def test_camera_rois_for_another_frame_size_give_one_message(tmp_path):
    w = CameraWorker(FixedRunner(), full_frame_rois(1920, 1080), tmp_path / "cam", {}).start()
    w.feed(np.zeros((480, 640, 3), np.uint8))
    assert w.join(10)
    snap = w.snapshot()
    assert snap.state == FAILED and "1920x1080" in snap.message and "640x480" in snap.message
    assert open_series(tmp_path / "cam").finished


class PictureRunner(FixedRunner):
    """Notes which numbered picture (tests/io/test_video.py's gop_frame colours) each crop shows."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def infer(self, crops):
        r, g = crops[0][..., 0].mean(), crops[0][..., 1].mean()
        self.seen.append(round((r - 10) / 20) + 12 * round((g - 10) / 20))
        return super().infer(crops)


def test_a_seek_lands_on_the_frame_of_that_time_with_its_picture(tmp_path):
    from mgs_core.io.video import write_video

    def frame(i):
        img = np.full((120, 160, 3), 128, np.uint8)
        img[..., 0], img[..., 1] = 10 + 20 * (i % 12), 10 + 20 * (i // 12)
        return img

    clip = write_video(tmp_path / "gop.mp4", (frame(i) for i in range(120)), fps=25, keyint=10)
    runner = PictureRunner()
    w = FileWorker(runner, clip, None, tmp_path / "s", {}, speed=None, loop=False, start_s=2.28).start()
    assert w.join(60)
    df = load_series(tmp_path / "s")
    assert df["frame"].tolist() == list(range(57, 120))  # 2.28 s x 25 frames/s = frame 57, then every frame
    assert runner.seen == list(range(57, 120))  # and those are the pictures the networks saw
    seg = read_provenance(tmp_path / "s")["segments"][0]
    assert seg["start_frame"] == 57
