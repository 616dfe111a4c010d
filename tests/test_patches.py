import cv2
import numpy as np
import pytest

from mgs_core.patches import eye_patches, scaled_window, shift_from_card, shift_views, shifted_patches


def _eye_crop(length: float, cx: float = 128.0, cy: float = 120.0) -> np.ndarray:
    """A dark almond eye with a highlight, drawn at sub-pixel precision (16x shift), on grey fur."""
    img = np.full((256, 256, 3), 90, np.uint8)
    sh = 16
    c = (int(round(cx * sh)), int(round(cy * sh)))
    ax = (int(round(length / 2 * sh)), int(round(length / 5 * sh)))
    cv2.ellipse(img, c, ax, 0, 0, 360, (10, 10, 12), -1, cv2.LINE_AA, shift=4)
    cv2.circle(img, (c[0] + ax[0] // 3, c[1] - ax[1] // 3), max(1, ax[1] // 3), (240, 240, 240), -1, cv2.LINE_AA,
               shift=4)
    return img


def test_scaled_patches_of_small_and_large_eyes_look_alike():
    small = scaled_window(_eye_crop(14), 128, 120, 14, k=2.5)
    large = scaled_window(_eye_crop(110), 128, 120, 110, k=2.5)
    fixed_small = eye_patches(_eye_crop(14)[None], [(128, 120, 14)], "fixed")[0]
    fixed_large = eye_patches(_eye_crop(110)[None], [(128, 120, 110)], "fixed")[0]
    diff = np.abs(small.astype(int) - large.astype(int)).mean()
    assert diff < 8  # the same geometry at both scales
    assert np.abs(fixed_small.astype(int) - fixed_large.astype(int)).mean() > 3 * diff  # the paper's window differs


def test_eye_lands_on_the_patch_centre_and_window_is_k_lengths():
    img = _eye_crop(40, 100.3, 90.6)
    p = scaled_window(img, 100.3, 90.6, 40, k=2.5)
    dark = (p[..., 0] < 50).astype(float)
    ys, xs = np.nonzero(dark)
    assert abs(xs.mean() - 25) < 1.0 and abs(ys.mean() - 25) < 1.0
    assert 18 <= xs.max() - xs.min() + 1 <= 22  # eye length 50 / k = 20 px in the patch


def test_modes_and_errors():
    crops = np.stack([_eye_crop(20), _eye_crop(60)])
    out = eye_patches(crops, [(128, 120, 20), (128, 120, 60)], "scaled", 3.0)
    assert out.shape == (2, 50, 50, 3) and out.dtype == np.uint8
    with pytest.raises(ValueError, match="patch mode"):
        eye_patches(crops, [(0, 0, 1)] * 2, "odd")


def test_shift_views_move_the_centre_by_patch_pixels():
    eyes = [(100.0, 80.0, 30.0), (20.0, 40.0, 8.0)]
    assert shift_views(eyes, 0.0) == [eyes]
    views = shift_views(eyes, 2.0, "scaled", 1.5)
    assert len(views) == 3 and views[0] == eyes
    step = 2.0 * 30.0 * 1.5 / 50  # 2 patch px of a window of 1.5 x 30 crop px
    assert views[1][0] == pytest.approx((100.0, 80.0 + step, 30.0))
    assert views[2][0] == pytest.approx((100.0, 80.0 - step, 30.0))
    # the moved scaled patch is the centre patch moved by 2 px
    crop = _eye_crop(30, 100, 80)
    centre, down = eye_patches(crop[None], [views[0][0]], "scaled", 1.5)[0], eye_patches(crop[None], [views[1][0]],
                                                                                           "scaled", 1.5)[0]
    assert np.abs(centre[4:].astype(int) - down[2:-2].astype(int)).mean() < 2
    assert shift_views(eyes, 1.0, "fixed")[2][1] == (20.0, 39.0, 8.0)  # fixed window: 1 patch px = 1 crop px


def test_shift_from_card():
    assert shift_from_card(None) == 0.0 and shift_from_card({}) == 0.0 and shift_from_card({"tta": None}) == 0.0
    assert shift_from_card({"tta": {"shift_px": 1}}) == 1.0
    with pytest.raises(ValueError, match="shift_px"):
        shift_from_card({"tta": {"shift_px": -1}})


@pytest.mark.parametrize("mode", ["scaled", "fixed"])
def test_shifted_patches_are_the_patches_of_each_view(mode):
    crops = np.stack([_eye_crop(90, 120, 110), _eye_crop(12, 60, 70), _eye_crop(30, 10, 250)])
    eyes = [(120.0, 110.0, 90.0), (60.2, 70.7, 12.0), (10.0, 250.0, 30.0)]  # shrunk, enlarged, at the border
    got = shifted_patches(crops, eyes, 1.5, mode, 1.5)
    views = shift_views(eyes, 1.5, mode, 1.5)
    assert got.shape == (3, 3, 50, 50, 3)
    for g, v in zip(got, views):
        assert np.array_equal(g, eye_patches(crops, v, mode, 1.5))
    assert np.array_equal(shifted_patches(crops, eyes, 0.0, mode, 1.5)[0], eye_patches(crops, eyes, mode, 1.5))
