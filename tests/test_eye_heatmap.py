import numpy as np
import pytest

from mgs_core.eye_heatmap import decode_peak, heatmap_target, sigma_for


def test_target_peaks_at_one_on_the_nearest_pixel_and_is_zero_without_eye():
    t = heatmap_target(96, 40.3, 20.7, 12.0)
    assert t.max() == 1.0 and np.unravel_index(np.argmax(t), t.shape) == (21, 40)
    assert heatmap_target(96, None, None, None).sum() == 0
    assert heatmap_target(96, 500.0, 20.0, 10.0).sum() == 0  # outside the map


def test_spread_grows_with_eye_length_within_limits():
    assert sigma_for(1.0) == 1.0 and sigma_for(1000.0) == 6.0
    small, large = heatmap_target(96, 48, 48, 4.0), heatmap_target(96, 48, 48, 30.0)
    assert (large > 0.1).sum() > (small > 0.1).sum()


@pytest.mark.parametrize("x,y,length", [(40.3, 20.7, 12.0), (10.0, 80.5, 3.0), (60.6, 60.2, 40.0)])
def test_decoding_a_target_recovers_the_centre_and_length(x, y, length):
    heat = heatmap_target(96, x, y, length)
    heat[heat < 1] *= 0.999  # soft peak, as a network gives
    log2 = np.full((96, 96), np.log2(length * 256 / 96), np.float32)
    p = decode_peak(heat, log2, 256)
    cx, cy = (x + 0.5) * 256 / 96 - 0.5, (y + 0.5) * 256 / 96 - 0.5
    assert abs(p.x - cx) < 0.6 * 256 / 96 and abs(p.y - cy) < 0.6 * 256 / 96
    assert p.length == pytest.approx(length * 256 / 96, rel=1e-4) and p.confidence == pytest.approx(1.0)
