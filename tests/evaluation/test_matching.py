import math

import numpy as np
import pytest

from mgs_core.errors import InputError
from mgs_core.evaluation.matching import (
    DEFAULT_RADIUS_PX, FALSE_EYE, FOUND, MISSED, NO_EYE, WRONG_EYE, length_bin, located_detection, match_eyes,
    match_radii,
)

nan = float("nan")


@pytest.mark.parametrize("length, label", [(5.9, "<6"), (6.0, "[6,12)"), (11.99, "[6,12)"), (12.0, "[12,30)"),
                                           (59.9, "[30,60)"), (60.0, "[60,120]"), (120.0, "[60,120]"),
                                           (120.5, ">120"), (nan, None)])
def test_length_bin_edges(length, label):
    assert length_bin(length) == label


def test_radius_from_truth_then_fallbacks():
    vis = [True, True, False]
    rule, r = match_radii(vis, [20.0, 30.0, nan], [nan, nan, nan])
    assert rule.source == "truth_eye_length" and r[:2].tolist() == [10.0, 15.0] and math.isnan(r[2])
    assert "0.5 x the true eye length" in rule.describe()
    rule, r = match_radii(vis, [nan, nan, nan], [nan, nan, nan])
    assert rule.source == "default" and r[:2].tolist() == [DEFAULT_RADIUS_PX] * 2 and "8.0 px" in rule.describe()
    rule, r = match_radii(vis, [nan, nan, nan], [nan, 12.0, 16.0])  # half the median the runner reported
    assert rule.source == "runner_eye_length" and r[:2].tolist() == [7.0, 7.0]
    rule, r = match_radii(vis, [nan, 40.0, nan], [nan, 12.0, 16.0], match_radius=5.0)
    assert rule.source == "mixed" and r[:2].tolist() == [5.0, 20.0] and "--match-radius" in rule.describe()
    assert (rule.n_truth_length, rule.n_fallback) == (1, 1)
    for bad in (0.0, -3.0, nan):
        with pytest.raises(InputError, match="--match-radius"):
            match_radii(vis, [nan] * 3, [nan] * 3, match_radius=bad)


def test_outcomes_and_located_detection():
    true_vis = [True, True, True, False, False]
    true_xy = [[10, 10], [10, 10], [10, 10], [nan, nan], [nan, nan]]
    detected = [True, True, False, True, False]
    pred_xy = [[13, 14], [110, 10], [nan, nan], [50, 50], [nan, nan]]
    m = match_eyes(true_vis, true_xy, detected, pred_xy, [5.0, 5.0, 5.0, nan, nan])
    assert m.outcome.tolist() == [FOUND, WRONG_EYE, MISSED, FALSE_EYE, NO_EYE]
    assert m.dist_px[0] == pytest.approx(5.0) and m.dist_px[1] == pytest.approx(100.0)  # 5.0 is on the radius: in
    assert m.false_detection.tolist() == [False, True, False, True, False]
    assert m.miss.tolist() == [False, True, True, False, False]
    d = located_detection(m)
    assert (d.tp, d.fp, d.fn, d.tn) == (1, 2, 2, 1)
    assert d.precision == pytest.approx(1 / 3) and d.recall == pytest.approx(1 / 3)
    assert np.isnan(located_detection(match_eyes([False], [[nan, nan]], [False], [[nan, nan]], [nan])).f1)
