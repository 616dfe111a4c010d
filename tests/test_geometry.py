import numpy as np
import pytest

from mgs_core.errors import RoiError
from mgs_core.geometry import check_roi_in_frame, crop_roi, crop_rois, crop_transform
from mgs_core.types import Roi


def ramp(h, w):
    yy, xx = np.mgrid[:h, :w]
    return np.stack([xx % 256, yy % 256, (xx + yy) % 256], -1).astype(np.uint8)


def test_transform_round_trip_and_letterbox():
    roi = Roi("a", 100, 50, 400, 200)
    t = crop_transform(roi, 256)
    assert t.scale == pytest.approx(256 / 400) and t.off_x == 0 and t.off_y == pytest.approx(64)
    for x, y in [(100, 50), (499, 249), (300.25, 123.5)]:
        u, v = t.to_crop(x, y)
        assert t.to_frame(u, v) == pytest.approx((x, y))
    # the ROI's centre maps to the crop's centre
    assert t.to_crop(100 + 199.5, 50 + 99.5) == pytest.approx((127.5, 127.5))


def test_identity_crop_is_exact():
    frame = ramp(300, 400)
    roi = Roi("a", 20, 30, 256, 256)
    np.testing.assert_array_equal(crop_roi(frame, roi, 256), frame[30:286, 20:276])


def test_crop_at_frame_border_replicates_roi_edge_not_neighbours():
    frame = ramp(240, 320)
    frame[:, 200:] = 255  # a bright neighbour right of the ROI
    roi = Roi("edge", 0, 0, 200, 100)  # touches the top-left frame corner; wide: letterboxed vertically
    crop = crop_roi(frame, roi, 256)
    assert crop.shape == (256, 256, 3)
    t = crop_transform(roi, 256)
    # margins above and below replicate the ROI's first/last rows; nothing from outside the ROI leaks in
    assert t.off_y > 0
    np.testing.assert_array_equal(crop[0], crop[int(t.off_y)])
    assert (crop[..., 0] < 255).all()


def test_roi_outside_or_empty_is_refused_by_name():
    with pytest.raises(RoiError, match="'far'.*outside the 320x240 frame"):
        check_roi_in_frame(Roi("far", 300, 10, 50, 50), 320, 240)
    with pytest.raises(RoiError, match="'flat'.*zero"):
        crop_roi(np.zeros((10, 10, 3), np.uint8), Roi("flat", 0, 0, 0, 5), 256)
    with pytest.raises(RoiError, match="'neg'"):
        check_roi_in_frame(Roi("neg", -1, 0, 5, 5), 320, 240)


def test_crop_rois_batch_and_strong_downscale():
    frame = ramp(1080, 1920)
    rois = [Roi("a", 0, 0, 1920, 1080), Roi("b", 1000, 500, 300, 300)]
    crops = crop_rois(frame, rois, 256)
    assert crops.shape == (2, 256, 256, 3) and crops.dtype == np.uint8
    assert crop_rois(frame, [], 256).shape == (0, 256, 256, 3)
