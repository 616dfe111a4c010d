import numpy as np
import pytest

from mgs_core.eyes import cut_patch
from mgs_core.train.augment import PatchAug, SegAug, augment_seg, eye_patch, photometric, random_patch_params


def _dot_crop(x, y):
    crop = np.zeros((256, 256, 3), np.uint8)
    crop[y, x] = 255
    return crop


def _peak(patch):
    p = patch[..., 0].astype(np.float64)
    ys, xs = np.mgrid[: p.shape[0], : p.shape[1]]
    return (xs * p).sum() / p.sum(), (ys * p).sum() / p.sum()


def test_no_rotation_no_shift_equals_inference_patch():
    rng = np.random.default_rng(0)
    crop = rng.integers(0, 255, (256, 256, 3), dtype=np.uint8)
    assert np.array_equal(eye_patch(crop, 100.0, 120.0), cut_patch(crop, 100.0, 120.0, 50))


@pytest.mark.parametrize("seed", range(20))
def test_eye_stays_within_5px_of_patch_centre(seed):
    rng = np.random.default_rng(seed)
    ex, ey = int(rng.integers(40, 216)), int(rng.integers(40, 216))
    crop = _dot_crop(ex, ey)
    angle, shift = random_patch_params(rng, PatchAug())
    assert -30 <= angle <= 30 and all(float(s).is_integer() and abs(s) <= 5 for s in shift)
    px, py = _peak(eye_patch(crop, ex, ey, angle, shift))
    assert px == pytest.approx(25 - shift[0], abs=1e-6) and py == pytest.approx(25 - shift[1], abs=1e-6)
    assert max(abs(px - 25), abs(py - 25)) <= 5.0 + 1e-6


def test_rotation_is_about_the_eye():
    crop = np.zeros((256, 256, 3), np.uint8)
    crop[100, 100] = 255  # eye
    crop[100, 110] = 255  # 10 px to the right of the eye
    patch = eye_patch(crop, 100, 100, angle=90.0)
    assert patch[25, 25, 0] == 255  # the eye stays in the centre
    ys, xs = np.nonzero(patch[..., 0] > 100)
    others = [(x, y) for x, y in zip(xs, ys) if (x, y) != (25, 25)]
    assert len(others) == 1 and np.hypot(others[0][0] - 25, others[0][1] - 25) == pytest.approx(10, abs=0.01)


def test_seg_augmentation_keeps_labels_aligned():
    rng = np.random.default_rng(1)
    img = np.zeros((128, 128, 3), np.uint8)
    lab = np.zeros((128, 128), np.uint8)
    img[40:60, 50:80] = 255
    lab[40:60, 50:80] = 3
    for _ in range(5):
        out, olab = augment_seg(img, lab, rng, SegAug(photometric=False))
        assert out.shape == img.shape and olab.shape == lab.shape and olab.dtype == np.uint8
        assert set(np.unique(olab)) <= {0, 3}
        inside = olab == 3
        assert inside.sum() > 200
        assert out[..., 0][inside].mean() > 200 and out[..., 0][~inside].mean() < 20


def test_photometric_keeps_shape_and_type():
    rng = np.random.default_rng(2)
    img = rng.integers(0, 255, (50, 50, 3), dtype=np.uint8)
    out = photometric(img, rng)
    assert out.shape == img.shape and out.dtype == np.uint8
