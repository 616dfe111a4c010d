"""The live scorer used by the webrtc callback: scores frames off the UI thread, bounded queue, fps, pause."""
import threading

import numpy as np

from app_support.live import LiveScorer, LiveSeries
from mgs_core.runners.base import Runner
from mgs_core.types import CropResult, RunnerInfo
from mgs_core.io.rois import full_frame_rois


class FixedRunner(Runner):
    def infer(self, crops):
        return [CropResult(True, 128.0, 100.0, 4.5, 0.9, 30) for _ in range(len(crops))]

    def info(self):
        return RunnerInfo("local", "cpu", 256)


def test_scores_frames_from_another_thread_and_drops_the_oldest():
    scorer = LiveScorer(FixedRunner(), None, max_queue=4)
    frame = np.full((120, 160, 3), 90, np.uint8)
    t = threading.Thread(target=lambda: [scorer.process(frame) for _ in range(10)])
    t.start()
    t.join()
    got = scorer.drain()
    assert len(got) == 4 and scorer.dropped == 6  # stale results dropped, the newest kept
    assert [r.frame for r in got] == [6, 7, 8, 9]
    assert got[-1].rois[0].score == 4.5 and got[-1].rois[0].roi == "frame"
    assert scorer.fps() > 0


def test_pause_passes_frames_through_unscored(tmp_path):
    scorer = LiveScorer(FixedRunner(), full_frame_rois(160, 120))
    scorer.paused.set()
    frame = np.zeros((120, 160, 3), np.uint8)
    out = scorer.process(frame)
    assert out is frame and scorer.drain() == []
    scorer.paused.clear()
    out = scorer.process(frame)
    assert out.shape == frame.shape and not np.array_equal(out, frame)  # overlay drawn
    series = LiveSeries(tmp_path / "live_x")
    series.extend(scorer.drain())
    csv = series.save()
    assert csv.is_file() and "score" in csv.read_text().splitlines()[0]


def test_a_roi_file_for_another_frame_size_falls_back_to_the_whole_frame():
    scorer = LiveScorer(FixedRunner(), full_frame_rois(1920, 1080))
    rs = scorer.roiset_for(np.zeros((120, 160, 3), np.uint8))
    assert (rs.frame_width, rs.frame_height) == (160, 120)


def test_full_frame_is_scored_but_a_downscaled_frame_is_streamed_back():
    scorer = LiveScorer(FixedRunner(), None, display_width=960)
    out = scorer.process(np.full((1080, 1920, 3), 90, np.uint8))
    assert out.shape == (540, 960, 3)
    got = scorer.drain()[0]
    assert got.rois[0].eye_x > 900  # eye at crop x=128 mapped back to full-frame pixels, not display pixels
