from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from mgs_core.models import OrbitalNet, UNet
from mgs_core.runners.local import LocalRunner
from mgs_core.video_accuracy import compare_with_truth, real_footage, real_sources

REAL = Path(__file__).resolve().parents[2] / "shared" / "real"


def table(rows):
    return pd.DataFrame(rows, columns=["frame", "roi", "eye_visible", "eye_x", "eye_y", "score"])


def test_compare_with_truth_metrics():
    truth = table([(0, "a", 1, 10.0, 10.0, 2.0), (0, "b", 1, 50.0, 50.0, 6.0), (1, "a", 0, None, None, None),
                   (1, "b", 1, 50.0, 52.0, 7.0)])
    pred = table([(0, "a", 1, 13.0, 14.0, 3.0), (0, "b", 0, None, None, None), (1, "a", 1, 5.0, 5.0, 1.0),
                  (1, "b", 1, 50.0, 52.0, 6.0)])
    c = compare_with_truth(pred, truth)
    assert (c.rows, c.truth_visible, c.predicted_visible, c.both_visible) == (4, 3, 3, 2)
    assert c.precision == pytest.approx(2 / 3, abs=1e-3) and c.recall == pytest.approx(2 / 3, abs=1e-3)
    assert c.f1 == pytest.approx(2 / 3, abs=1e-3)
    assert c.mae == pytest.approx(1.0) and c.eye_err_median_px == pytest.approx(2.5)
    assert c.missing_rows == 0
    assert compare_with_truth(pred.iloc[:2], truth).missing_rows == 2
    assert (c.found, c.missed, c.wrong_eye, c.false_eye) == (2, 1, 0, 1)
    assert "8.0 px" in c.match_rule and "truth.csv has no eye_length column" in c.match_rule


def test_compare_with_truth_far_detection_is_false_and_miss():
    truth = table([(0, "a", 1, 100.0, 100.0, 2.0), (0, "b", 1, 100.0, 100.0, 6.0), (1, "a", 1, 100.0, 100.0, 4.0)])
    truth["eye_length"] = [40.0, 40.0, 40.0]  # frame px: radius 20
    pred = table([(0, "a", 1, 240.0, 100.0, 9.0), (0, "b", 1, 110.0, 110.0, 6.5), (1, "a", 1, 119.0, 100.0, 4.5)])
    c = compare_with_truth(pred, truth)
    assert (c.found, c.wrong_eye, c.false_detections, c.misses, c.scored) == (2, 1, 1, 1, 2)
    assert c.mae == pytest.approx(0.5) and c.wrong_eye_scores == 1 and c.wrong_eye_mean_score == pytest.approx(9.0)
    assert c.precision == pytest.approx(2 / 3, abs=1e-3) and c.recall == pytest.approx(2 / 3, abs=1e-3)
    assert c.eye_err_median_px == pytest.approx((np.hypot(10, 10) + 19) / 2, abs=1e-3)
    assert c.match_rule.startswith("match radius: 0.5 x the true eye length")
    # without eye_length: the caller's fallback radius (frame px) decides, and the rule says so
    c2 = compare_with_truth(pred, truth.drop(columns="eye_length"), default_px=16.0)
    assert (c2.found, c2.wrong_eye) == (1, 2) and "= 8 crop px x 2.00 frame px per crop px" in c2.match_rule
    assert compare_with_truth(pred, truth.drop(columns="eye_length"), match_radius=25.0).found == 2


@pytest.mark.real
@pytest.mark.slow
@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/real is absent")
def test_real_footage_every_frame_gets_a_row(tmp_path):
    assert real_sources(REAL)
    torch.manual_seed(0)
    runner = LocalRunner(UNet(widths=(4, 8), input_size=64), OrbitalNet(), backend="torch")
    runs = real_footage(runner, REAL, out_dir=tmp_path, max_frames=5)
    assert len(runs) == len(real_sources(REAL))
    for r in runs:
        assert r.frames == r.frames_expected and r.rows == r.frames and r.decode_error is None
        assert 0.0 <= r.eye_visible_rate <= 1.0
        if r.eye_visible_rate == 0:
            assert np.isnan(r.mean_score_visible)
    assert not any(Path(__file__).resolve().parents[1].rglob("img0000.csv"))  # nothing lands in the repo
