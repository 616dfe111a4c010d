import numpy as np
import pytest

from mgs_core.eyes import EYE_CLASS, EyeRules, cut_patch, cut_patches, patch_origin, seg_to_crop, select_eye


def maps(size=128):
    """Label map that is all animal (1), as when the eye sits in the head."""
    return np.ones((size, size), np.uint8), np.zeros((size, size), np.float32)


def blob(labels, prob, cx, cy, r, p=0.9):
    yy, xx = np.mgrid[: labels.shape[0], : labels.shape[1]]
    m = (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
    labels[m] = EYE_CLASS
    prob[m] = p
    return m


def test_no_eye_gives_none():
    labels, prob = maps()
    labels[10:40, 10:40] = 0  # background, no eye anywhere
    assert select_eye(labels, prob) is None


def test_eye_sized_blob_on_the_floor_is_not_an_eye():
    labels, prob = maps()
    labels[:, 64:] = 0  # right half: background (floor)
    blob(labels, prob, 100, 100, 6)  # dropping on the floor, larger
    blob(labels, prob, 30, 30, 3)  # eye in the head
    eye = select_eye(labels, prob, 128)
    assert (eye.x, eye.y) == pytest.approx((30, 30))
    labels[:, :64] = 0
    assert select_eye(labels, prob) is None
    assert select_eye(labels, prob, 128, EyeRules(min_animal_ring=0, min_animal_frac=0)) is not None


def test_eye_on_an_animal_too_small_to_judge_is_not_reported():
    labels, prob = maps()
    labels[:] = 0
    labels[60:72, 50:80] = 1  # a mouse of 12 x 30 px on a 128 map (2% of it), e.g. a whole-frame top-view ROI
    blob(labels, prob, 60, 66, 3)
    assert select_eye(labels, prob, 128) is None
    labels[40:100, 20:110] = 1  # the same eye on a mouse that fills a third of the ROI
    blob(labels, prob, 60, 66, 3)
    assert select_eye(labels, prob, 128) is not None


def test_one_blob_centre_mapped_to_crop_pixels():
    labels, prob = maps()
    blob(labels, prob, 40, 70, 4)
    eye = select_eye(labels, prob, 256)
    assert eye is not None
    assert eye.x == pytest.approx(seg_to_crop(40, 128, 256)) == pytest.approx(80.5)
    assert eye.y == pytest.approx(140.5)
    assert eye.confidence == pytest.approx(0.9)
    assert eye.area_px > 30


def test_two_blobs_largest_plausible_wins():
    labels, prob = maps()
    blob(labels, prob, 20, 20, 3)
    blob(labels, prob, 90, 60, 6)
    eye = select_eye(labels, prob, 128)
    assert (eye.x, eye.y) == pytest.approx((90, 60))


def test_implausible_blobs_rejected():
    labels, prob = maps()
    labels[5, 5] = EYE_CLASS  # one pixel: too small
    prob[5, 5] = 1.0
    blob(labels, prob, 60, 60, 5, p=0.55)  # too uncertain
    assert select_eye(labels, prob) is None
    labels, prob = maps()
    blob(labels, prob, 64, 64, 40)  # half the crop: not an eye
    assert select_eye(labels, prob) is None
    # the small confident blob wins over a larger uncertain one
    labels, prob = maps()
    blob(labels, prob, 60, 60, 8, p=0.3)
    blob(labels, prob, 20, 100, 3, p=0.95)
    eye = select_eye(labels, prob, 128, EyeRules())
    assert (eye.x, eye.y) == pytest.approx((20, 100))


def test_probability_weighted_centre_is_subpixel():
    labels, prob = maps(64)
    labels[10:12, 10:14] = EYE_CLASS
    prob[10:12, 10:14] = 0.6
    prob[10:12, 13] = 1.0
    eye = select_eye(labels, prob, 64)
    assert 11.5 < eye.x < 13 and eye.y == pytest.approx(10.5)


def test_patch_inside_and_at_borders():
    crop = np.arange(256 * 256, dtype=np.int64).reshape(256, 256)
    crop = np.stack([crop % 251, crop // 256, crop % 256], -1).astype(np.uint8)
    p = cut_patch(crop, 100.0, 120.0)
    assert p.shape == (50, 50, 3)
    assert patch_origin(100.0, 120.0, 50) == (75, 95)
    np.testing.assert_array_equal(p, crop[95:145, 75:125])
    # centre on the top-left corner: half of the patch is border-replicated
    p = cut_patch(crop, 0.2, 0.0)
    assert p.shape == (50, 50, 3)
    np.testing.assert_array_equal(p[:25, :25], np.broadcast_to(crop[0, 0], (25, 25, 3)))
    np.testing.assert_array_equal(p[25:, 25:], crop[0:25, 0:25])
    # bottom-right corner
    p = cut_patch(crop, 255.0, 255.0)
    np.testing.assert_array_equal(p[:26, :26], crop[230:, 230:])
    np.testing.assert_array_equal(p[30, 40], crop[255, 255])
    ps = cut_patches(np.stack([crop, crop]), [(100.0, 120.0), (0.0, 0.0)])
    assert ps.shape == (2, 50, 50, 3)
