"""How a result gets to the live view fast: the stamps it carries on its way (decoded, scored, sent, received, drawn),
the scoring process publishing a fresh result at once and waiting for the next one instead of sending a stale one,
the workers' ``wait_for_update`` (the live view draws when a result lands), and :func:`app_support.live.arrivals`,
which must end a refresh after a wait, never right after a drawing (Streamlit drops the unsent deltas of a fragment
run when the next run of the same fragment starts)."""
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_live_process import FixedSpec  # noqa: E402
from test_live_worker import FixedRunner, clip, wait_until  # noqa: E402,F401 - clip is a fixture

from app_support import live  # noqa: E402
from app_support.live_process import FRESH_S, FileJob, FileProcess, _Publisher  # noqa: E402
from app_support.live_worker import PAUSED, PLAYING, FileWorker, LiveSnapshot, LiveStats  # noqa: E402
from mgs_core.io.rois import full_frame_rois  # noqa: E402
from mgs_core.types import SCORED, FrameResult, RoiResult  # noqa: E402

STATS = LiveStats(1, 1, 0.0, 0, 0.0, 0.0, 0.0, 0.0, 0, 0.0)


def test_a_result_carries_its_stamps_from_the_decoder_to_the_page(clip, tmp_path):
    p = FileProcess(FixedSpec(0.005), clip, None, tmp_path / "s", {}, speed=None, loop=True).start()
    try:
        assert wait_until(lambda: p.snapshot().preview_jpeg is not None, 60)
        s = p.snapshot()
        assert 0 < s.decoded_at <= s.scored_at <= s.sent_at <= s.received_at <= time.time()
        html = live.view_html(s)
    finally:
        p.stop()
        p.join(60)
    stamp = re.search(r"<span class='mgs-live-stamp'[^>]*>(\d+)</span>", html)
    attrs = dict(re.findall(r"data-(\w+)='(\d+)'", stamp.group(0)))
    assert int(stamp.group(1)) == int(s.decoded_at * 1000)
    assert int(attrs["scored"]) == int(s.scored_at * 1000) and int(attrs["sent"]) == int(s.sent_at * 1000)
    assert int(attrs["received"]) == int(s.received_at * 1000) <= int(attrs["rendered"])


def test_a_thread_worker_stamps_when_it_scored(clip, tmp_path):
    w = FileWorker(FixedRunner(), clip, None, tmp_path / "s", {}, speed=None, loop=False).start()
    assert w.join(60)
    s = w.snapshot()
    assert 0 < s.decoded_at <= s.scored_at and s.sent_at == s.received_at == 0.0  # no process hop for a thread


class ScriptedWorker:
    """Stands in for a FileWorker in the publisher: its snapshot is set by the test, and a wait on ``updated``
    (the publisher waiting for the next result) lands ``next_snap`` first, as the scoring thread would."""

    def __init__(self, snap, next_snap=None):
        self.snap, self.next_snap, self.waits = snap, next_snap, []
        outer = self

        class Updated:
            def clear(self):
                pass

            def wait(self, timeout):
                outer.waits.append(timeout)
                if outer.next_snap is not None:
                    outer.snap, outer.next_snap = outer.next_snap, None
                    return True
                return False

        self.updated = Updated()

    def snapshot(self):
        return self.snap

    def chart_points(self):
        return []


class Pipe:
    def __init__(self):
        self.sent = []

    def send(self, msg):
        self.sent.append(msg)


def scored(seq, scored_at, frame):
    """A thread worker's snapshot of result ``seq`` (video frame ``frame``), scored at ``scored_at``."""
    rois = full_frame_rois(64, 48)
    res = FrameResult(frame, frame / 30, (RoiResult(rois.rois[0].id, "m1", None, True, 30.0, 20.0, 4.0, 0.9, SCORED),))
    return LiveSnapshot(seq, np.full((48, 64, 3), 90, np.uint8), res, rois, scored_at - 0.02, PLAYING, None, STATS,
                        Path("."), scored_at=scored_at)


def job(tmp_path):
    return FileJob(tmp_path / "v.mp4", None, tmp_path / "s", {}, None, True, 0.0, 2.0, 60.0, 320, 70, 0.0)


def test_the_publisher_sends_a_fresh_result_at_once(tmp_path):
    w = ScriptedWorker(scored(5, time.time(), frame=50), next_snap=scored(6, time.time(), frame=51))
    conn = Pipe()
    _Publisher(conn, w, job(tmp_path)).tick()
    (kind, body), = conn.sent
    assert kind == "update" and body["result"].frame == 50 and w.waits == []  # not held back for the next one
    assert body["preview_jpeg"][:2] == b"\xff\xd8" and body["sent_at"] >= body["scored_at"]


def test_the_publisher_waits_for_the_next_result_instead_of_sending_a_stale_one(tmp_path):
    stale = time.time() - 10 * FRESH_S
    w = ScriptedWorker(scored(5, stale, frame=50), next_snap=scored(6, time.time(), frame=51))
    conn = Pipe()
    _Publisher(conn, w, job(tmp_path)).tick()
    (kind, body), = conn.sent
    assert body["result"].frame == 51 and body["seq"] == 6 and len(w.waits) == 1


def test_the_publisher_sends_the_stale_result_when_no_newer_one_comes(tmp_path):
    w = ScriptedWorker(scored(5, time.time() - 1.0, frame=50))  # e.g. the last frame before a pause
    conn = Pipe()
    _Publisher(conn, w, job(tmp_path)).tick()
    (kind, body), = conn.sent
    assert body["result"].frame == 50 and len(w.waits) == 1


def test_wait_for_update_wakes_on_a_new_result_and_not_while_paused(clip, tmp_path):
    for make in (lambda: FileWorker(FixedRunner(0.01), clip, None, tmp_path / "t", {}, speed=None, loop=True),
                 lambda: FileProcess(FixedSpec(0.01), clip, None, tmp_path / "p", {}, speed=None, loop=True)):
        w = make().start()
        try:
            assert w.wait_for_update(-1, None, 60)  # the first result (or the first state)
            assert wait_until(lambda: w.snapshot().seq > 0, 60)
            seq = w.snapshot().seq
            assert w.wait_for_update(seq, PLAYING, 60) and w.snapshot().seq > seq
            w.pause()
            assert wait_until(lambda: w.snapshot().state == PAUSED, 60)
            seq = w.snapshot().seq
            assert not w.wait_for_update(seq, PAUSED, 0.3)  # paused: nothing new, the wait times out
            w.resume()
            assert w.wait_for_update(seq, PAUSED, 60)
        finally:
            w.stop()
            w.join(60)
        assert w.wait_for_update(10**9, "playing", 60)  # the state it ended in wakes a waiting view too


class TickingWorker:
    """A worker whose waits return a new result at once (``new=True``) or time out; it stops after ``n`` waits."""

    def __init__(self, log, n=None, new=True):
        self.log, self.n, self.new, self.calls = log, n, new, 0

    @property
    def running(self):
        return self.n is None or self.calls < self.n

    def wait_for_update(self, seen_seq, seen_state, timeout):
        self.calls += 1
        self.log.append(("wait", time.monotonic()))
        time.sleep(0.01 if self.new else timeout)
        return self.new


def test_arrivals_yields_per_update_and_gives_the_last_drawing_time_to_go_out():
    log = []
    for new in live.arrivals(TickingWorker(log), live.DisplayStats(), run_s=0.2, wait_s=0.05, flush_s=0.08):
        assert new is True
        log.append(("draw", time.monotonic()))
    ended = time.monotonic()
    kinds = [k for k, _ in log]
    assert kinds.count("draw") >= 5 and "draw" not in [a for a, b in zip(kinds, kinds[1:]) if a == b]
    last_draw = max(t for k, t in log if k == "draw")
    assert ended - last_draw >= 0.08  # never ends right after a drawing (Streamlit would drop it)


def test_arrivals_says_when_nothing_came_and_ends_when_the_worker_stops():
    log = []
    got = list(live.arrivals(TickingWorker(log, n=3, new=False), live.DisplayStats(), run_s=60, wait_s=0.01))
    assert got == [False, False, False] and len(log) == 3  # a beat per empty wait (a click can interrupt there)


def test_display_stats_remember_the_state_shown(tmp_path):
    disp = live.DisplayStats()
    snap = LiveSnapshot(0, None, None, None, 0.0, PAUSED, None, STATS, tmp_path)
    assert not disp.shown(snap) and disp.last_state == PAUSED and disp.last_seq == -1
