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


def test_edge_augmentation_cuts_the_head_at_the_border_without_uncovering_it():
    from mgs_core.train.augment import augment_seg_matrix, move_point

    rng = np.random.default_rng(3)
    img = np.full((96, 96, 3), 200, np.uint8)
    img[0, :] = img[-1, :] = img[:, 0] = img[:, -1] = 0  # a dark frame: it shows if the border is ever uncovered
    lab = np.zeros((96, 96), np.uint8)
    lab[44:52, 60:70] = 3  # an eye right of centre
    edge_dists = []
    for _ in range(40):
        out, olab, (m, scale) = augment_seg_matrix(img, lab, rng, SegAug(photometric=False, flip=False, edge_p=1.0))
        assert 1.0 <= scale <= 1.6
        inner = out[2:-2, 2:-2, 0]
        assert inner.min() >= 100  # only the image's own pixels (the dark frame is pushed out, never repeated in)
        x, y = move_point(m, 64.5, 47.5)
        if (olab == 3).any() and 3 <= x <= 92 and 3 <= y <= 92:
            ys, xs = np.nonzero(olab == 3)
            assert abs(xs.mean() - x) < 1.5 and abs(ys.mean() - y) < 1.5  # the eye point follows the warp
        edge_dists.append(min(x, 95 - x, y, 95 - y))
    assert min(edge_dists) < 10  # some crops put the eye at the border
    # the default (edge_p 0) draws the same random numbers as before the option existed
    a = augment_seg_matrix(img, lab, np.random.default_rng(5), SegAug(photometric=False))
    b = augment_seg_matrix(img, lab, np.random.default_rng(5), SegAug(photometric=False, edge_p=0.0))
    assert np.array_equal(a[0], b[0])
