import numpy as np
import pytest
import torch

from mgs_core.errors import RoiError, ServerError
from mgs_core.models import OrbitalNet
from mgs_core.pipeline import Pipeline
from mgs_core.runners.base import Runner
from mgs_core.runners.local import LocalRunner
from fake_models import DarkEyeNet
from mgs_core.types import Roi, RoiSet, RunnerInfo


def frame_with_eyes():
    frame = np.full((240, 320, 3), 230, np.uint8)
    yy, xx = np.mgrid[:240, :320]
    frame[(xx - 60) ** 2 + (yy - 50) ** 2 <= 16] = 5  # eye in box1
    return frame


ROIS = RoiSet((Roi("box1", 10, 10, 120, 100, "m1", "a"), Roi("box2", 200, 100, 120, 140, "m2", "b")), 320, 240)


def test_maps_eye_to_frame_coordinates():
    torch.manual_seed(0)
    pipe = Pipeline(LocalRunner(DarkEyeNet(), OrbitalNet(), backend="torch"))
    fr = pipe.process(frame_with_eyes(), ROIS, frame_index=7, time_s=0.25)
    assert fr.frame == 7 and fr.time_s == 0.25 and fr.error is None and fr.latency_ms > 0
    a, b = fr.rois
    assert (a.roi, a.animal, a.group) == ("box1", "m1", "a")
    assert a.eye_visible and a.eye_x == pytest.approx(60, abs=0.6) and a.eye_y == pytest.approx(50, abs=0.6)
    assert 0 <= a.score <= 9
    assert not b.eye_visible and b.score is None and b.eye_x is None


def test_refuses_rois_for_another_frame_size():
    pipe = Pipeline(LocalRunner(DarkEyeNet(), OrbitalNet(), backend="torch"))
    with pytest.raises(RoiError, match="320x240"):
        pipe.process(np.zeros((480, 640, 3), np.uint8), ROIS)


class DownRunner(Runner):
    def infer(self, crops):
        raise ServerError("server tcp://x:1 did not answer")

    def info(self):
        return RunnerInfo("zmq", "cpu", 256)


def test_server_down_gives_unscored_frame_not_guesses():
    fr = Pipeline(DownRunner()).process(frame_with_eyes(), ROIS, 3, 0.1)
    assert "did not answer" in fr.error
    assert [r.roi for r in fr.rois] == ["box1", "box2"]
    assert all(not r.eye_visible and r.score is None for r in fr.rois)


class SizeRecorder(Runner):
    """Records the crop sides it is given; finds an eye at the crop centre, length 10 % of the side."""

    def __init__(self, max_detail):
        self.max_detail, self.sides = max_detail, []

    def infer(self, crops):
        from mgs_core.types import CropResult, SCORED

        side = crops.shape[1]
        self.sides.append(side)
        return [CropResult(True, side / 2 - 0.5, side / 2 - 0.5, 3.0, 0.9, 0, SCORED, 0.1 * side) for _ in crops]

    def info(self):
        return RunnerInfo("local", "cpu", 256, max_detail=self.max_detail)


BIG = RoiSet((Roi("a", 0, 0, 800, 600), Roi("b", 800, 0, 1120, 1080)), 1920, 1080)


def test_detail_for_takes_the_smallest_roi_and_the_cap():
    from mgs_core.pipeline import detail_for

    assert detail_for(BIG, 256, 4) == 3  # 800 // 256
    assert detail_for(BIG, 256, 2) == 2
    assert detail_for(ROIS, 256, 4) == 1  # 120-px ROIs: plain crops
    assert detail_for(RoiSet((), 320, 240), 256, 4) == 1


@pytest.mark.parametrize("runner_detail, pipe_detail, side", [(4, 2, 512), (1, 2, 256), (4, 1, 256), (4, 4, 768)])
def test_large_rois_go_to_the_runner_as_detail_crops(runner_detail, pipe_detail, side):
    rec = SizeRecorder(runner_detail)
    fr = Pipeline(rec, max_detail=pipe_detail).process(np.zeros((1080, 1920, 3), np.uint8), BIG)
    assert rec.sides == [side]
    a, b = fr.rois  # the crop centre and 10 % of the crop side, back in frame pixels, whatever the crop side
    assert (a.eye_x, a.eye_y) == pytest.approx((399.5, 299.5), abs=1e-6) and a.eye_length == pytest.approx(80.0)
    assert (b.eye_x, b.eye_y) == pytest.approx((1359.5, 539.5), abs=1e-6) and b.eye_length == pytest.approx(112.0)
