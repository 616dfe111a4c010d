import numpy as np

from mgs_core.draw import draw_eye, draw_results, draw_rois, score_colour
from mgs_core.types import FrameResult, Roi, RoiResult, RoiSet

ROIS = RoiSet((Roi("box1", 10, 10, 140, 200, "m1"), Roi("box2", 170, 10, 140, 200)), 320, 240)


def test_pure_and_draws_inside_rois():
    frame = np.zeros((240, 320, 3), np.uint8)
    out = draw_rois(frame, ROIS)
    assert frame.max() == 0 and out.shape == frame.shape and out.dtype == np.uint8
    assert (out[10, 10:150] == 255).all()  # top edge of box1
    assert out[225:, :].max() == 0  # nothing below the boxes


def test_results_eye_marker_score_and_no_eye():
    frame = np.zeros((240, 320, 3), np.uint8)
    res = FrameResult(3, 0.1, (RoiResult("box1", "m1", "", True, 80.0, 100.0, 7.5, 0.9),
                               RoiResult("box2", "box2", "", False, None, None, None, 0.0)))
    out = draw_results(frame, ROIS, res)
    assert out[100, 70:90].max() > 0  # eye cross-hair
    assert out[150:205, 135:150].max() > 0  # score bar at the right edge of box1
    assert out[180:205, 175:240].max() > 0  # "no eye" text in box2
    failed = FrameResult(4, 0.2, (), error="server down")
    assert draw_results(frame, ROIS, failed)[5:35].max() > 0


def test_colours_and_eye():
    assert score_colour(0) == (0, 255, 0) and score_colour(9) == (255, 0, 0)
    out = draw_eye(np.zeros((50, 50, 3), np.uint8), 25, 25, radius=8)
    assert out[25, 17:34].max() > 0
