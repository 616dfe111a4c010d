"""The file scorer in its own process (app_support.live_process.FileProcess): start, updates that carry the drawn
picture, pause/seek/stop, the end of the video, the session watchdog, a child that crashes or cannot start (a clear
``failed`` state, the series so far kept), and a parent that dies (the child saves the series and exits)."""
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_live_worker import FixedRunner, clip, wait_until  # noqa: E402,F401 - clip is a fixture

from app_support.live_process import FileProcess, RunnerSpec, chart_means  # noqa: E402
from app_support.live_worker import ENDED, FAILED, PAUSED, PLAYING, STOPPED  # noqa: E402
from mgs_core.errors import RoiError, VideoError  # noqa: E402
from mgs_core.io.rois import full_frame_rois  # noqa: E402
from mgs_core.io.series import load_series, open_series, read_provenance  # noqa: E402


@dataclass(frozen=True)
class FixedSpec:
    """Picklable runner spec for the child: a FixedRunner (the child imports this module to build it)."""

    delay: float = 0.0

    def build(self):
        return FixedRunner(self.delay)


@dataclass(frozen=True)
class BrokenSpec:
    def build(self):
        raise FileNotFoundError("no such checkpoint: /nowhere/seg.pt")


def gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def test_updates_arrive_drawn_and_pause_seek_stop_work(clip, tmp_path):
    p = FileProcess(FixedSpec(0.005), clip, full_frame_rois(320, 180), tmp_path / "s", {"session": "t"},
                    speed=None, loop=True).start()
    try:
        assert wait_until(lambda: p.snapshot().seq > 0 and p.snapshot().preview_jpeg is not None, 60)
        snap = p.snapshot()
        assert snap.preview_jpeg[:2] == b"\xff\xd8" and snap.tiles_jpeg[:2] == b"\xff\xd8"  # JPEG from the child
        assert snap.tiles_width > 0 and snap.result is not None and snap.result.rois[0].score == 4.5
        assert snap.decoded_at > 0 and snap.state == PLAYING and snap.image is None
        assert wait_until(lambda: p.chart_points(), 30)
        t, animal, score = p.chart_points()[0]
        assert animal == "animal1" and score == 4.5 and t % 0.5 == 0  # full_frame_rois names its box animal1
        p.pause()
        assert p.paused and wait_until(lambda: p.snapshot().state == PAUSED, 30)
        n = p.snapshot().stats.scored
        time.sleep(0.5)
        assert p.snapshot().stats.scored == n  # paused in the child: nothing is scored
        p.resume()
        assert not p.paused and wait_until(lambda: p.snapshot().stats.scored > n + 3, 30)
        p.seek(1.0)
        assert wait_until(lambda: "seek" in [s["kind"] for s in read_provenance(tmp_path / "s")["segments"]], 30)
        p.set_speed(1.0)
        assert p.speed == 1.0
        assert wait_until(lambda: "speed" in [s["kind"] for s in read_provenance(tmp_path / "s")["segments"]], 30)
        p.stop()
        assert p.join(60) and not p.running
    finally:
        p.stop()
        p.join(60)
    snap = p.snapshot()
    assert snap.state == STOPPED and p.exitcode == 0 and not p.process.is_alive()
    prov = read_provenance(tmp_path / "s")
    kinds = [s["kind"] for s in prov["segments"]]
    assert prov["finished"] and prov["session"] == "t" and prov["source"]["kind"] == "file"
    assert "seek" in kinds and "resume" in kinds and "speed" in kinds
    seek = next(s for s in prov["segments"] if s["kind"] == "seek")
    assert seek["start_frame"] == 15
    assert len(load_series(tmp_path / "s")) == snap.stats.scored == prov["run"]["frames_scored"]


def test_plays_to_the_end_and_says_so(clip, tmp_path):
    p = FileProcess(FixedSpec(), clip, None, tmp_path / "s", {}, speed=None, loop=False, start_s=1.0).start()
    assert p.join(60)
    snap = p.snapshot()
    assert snap.state == ENDED and "has ended" in snap.message
    df = load_series(tmp_path / "s")
    assert df["frame"].min() == 15 and df["frame"].max() == 29 and len(df) == snap.stats.scored == 15
    assert snap.preview_jpeg is not None and snap.result.frame == 29  # the last frame reached the parent


def test_a_killed_child_is_reported_as_failed_and_its_chunks_are_kept(clip, tmp_path):
    p = FileProcess(FixedSpec(0.01), clip, None, tmp_path / "s", {}, speed=None, loop=True, chunk_seconds=0.2).start()
    assert wait_until(lambda: p.snapshot().stats.rows_written >= 20, 60)
    written = p.snapshot().stats.rows_written  # chunks on disk the parent has heard of
    os.kill(p.process.pid, signal.SIGKILL)
    assert p.join(30)  # the parent notices (pipe EOF) instead of hanging
    snap = p.snapshot()
    assert snap.state == FAILED and "killed by signal 9" in snap.message and "`s`" in snap.message
    info = open_series(tmp_path / "s")
    assert not info.finished and info.rows >= written and f"The {info.rows} rows" in snap.message
    assert len(load_series(tmp_path / "s")) == info.rows  # every chunk written before the kill reads back


def test_a_runner_that_cannot_be_built_gives_a_clear_failure(clip, tmp_path):
    p = FileProcess(BrokenSpec(), clip, None, tmp_path / "s", {}).start()
    assert p.join(60)
    snap = p.snapshot()
    assert snap.state == FAILED and "could not be loaded" in snap.message and "/nowhere/seg.pt" in snap.message
    assert p.exitcode == 0 and not (tmp_path / "s").exists()


def test_the_child_stops_when_the_session_is_gone(clip, tmp_path):
    connected = threading.Event()
    connected.set()
    p = FileProcess(FixedSpec(), clip, None, tmp_path / "s", {}, speed=1.0, loop=True, alive=connected.is_set,
                    grace_s=0.5).start()
    assert wait_until(lambda: p.snapshot().stats.scored > 3, 60)
    connected.clear()  # the browser tab was closed
    assert p.join(60)
    snap = p.snapshot()
    assert snap.state == STOPPED and "session ended" in snap.message and p.exitcode == 0
    assert read_provenance(tmp_path / "s")["finished"] and len(load_series(tmp_path / "s")) == snap.stats.scored


def test_bad_input_is_refused_before_a_process_starts(clip, tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n")
    with pytest.raises(VideoError, match="notes.mp4"):
        FileProcess(FixedSpec(), text, None, tmp_path / "a", {})
    with pytest.raises(RoiError, match="1920x1080 frames but the video is 320x180"):
        FileProcess(FixedSpec(), clip, full_frame_rois(1920, 1080), tmp_path / "b", {})
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_the_child_builds_the_sessions_model_choice(clip, tmp_path, weights):
    spec = RunnerSpec.from_choice(weights)  # shipped weights (or the test checkpoints), in-process inference
    assert spec.server is None and spec.seg == weights["seg"]
    p = FileProcess(spec, clip, None, tmp_path / "s", {}, speed=None, loop=False).start()
    assert p.join(180)
    snap = p.snapshot()
    assert snap.state == ENDED and snap.stats.scored == 30 and len(load_series(tmp_path / "s")) == 30


PARENT = """
import sys, time
sys.path.insert(0, {tests!r})
from test_live_process import FixedSpec
from app_support.live_process import FileProcess
if __name__ == "__main__":
    p = FileProcess(FixedSpec(0.01), {clip!r}, None, {series!r}, {{}}, speed=None, loop=True).start()
    while p.snapshot().stats.rows_written < 10:
        time.sleep(0.05)
    print(p.process.pid, flush=True)
    time.sleep(600)
"""


def test_the_child_saves_and_exits_when_its_parent_dies(clip, tmp_path):
    series = tmp_path / "s"
    code = PARENT.format(tests=str(Path(__file__).resolve().parent), clip=str(clip), series=str(series))
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                              env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    try:
        child = int(parent.stdout.readline())
        parent.kill()  # SIGKILL: no atexit, no goodbye; the child only sees its pipe close
        parent.wait(30)
        assert wait_until(lambda: gone(child), 60), "the scoring process outlived the app server"
    finally:
        parent.kill()
    prov = read_provenance(series)
    assert prov["finished"] and "went away" in prov["run"]["message"]
    assert len(load_series(series)) == prov["run"]["frames_scored"] > 0


def test_chart_means_bins_by_half_seconds():
    pts = [(0.1, "a", 2.0), (0.4, "a", 4.0), (0.6, "a", 6.0), (0.2, "b", 1.0)]
    assert chart_means(pts) == [(0.0, "a", 3.0), (0.0, "b", 1.0), (0.5, "a", 6.0)]
