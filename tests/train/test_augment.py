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
        out, olab, (m, scale, _) = augment_seg_matrix(img, lab, rng, SegAug(photometric=False, flip=False, edge_p=1.0))
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


def test_letterbox_augmentation_pads_like_a_non_square_roi_and_cuts_an_eye_in_a_band():
    from mgs_core.geometry import crop_roi
    from mgs_core.train.augment import augment_seg_matrix, letterbox
    from mgs_core.types import Roi

    # the bands are what crop_roi makes of a wide ROI: every row above the content repeats the content's first row
    rng = np.random.default_rng(4)
    img = rng.integers(0, 255, (96, 96, 3), dtype=np.uint8)
    lab = np.zeros((96, 96), np.uint8)
    lab[0:6, 40:50] = 3  # an eye cut by the top of the scene
    out, olab = img.copy(), lab.copy()
    x0, y0, x1, y1 = letterbox(out, olab, np.random.default_rng(0), band=(0.2, 0.2))
    if y0 > 0:
        assert (x0, x1, y1) == (0, 96, 96 - y0) and y0 == 19
        assert np.all(out[:y0] == out[y0]) and np.all(out[y1:] == out[y1 - 1]) and np.array_equal(out[y0:y1], img[y0:y1])
        assert not (olab == 3).any() and (olab[:y0, 40:50] == 0).all()  # the cut eye is gone, nothing replicated
    else:
        assert (y0, y1, x1) == (0, 96, 96 - x0) and x0 == 19
        assert np.all(out[:, :x0] == out[:, x0 : x0 + 1]) and np.array_equal(out[:, x0:x1], img[:, x0:x1])
        assert np.array_equal(olab, lab)  # the eye lies in the kept band
    lab2 = np.zeros((96, 96), np.uint8)
    lab2[19:30, 40:50] = 3  # an eye on the kept band's first row: its replicated rows are animal, not eye
    out2, olab2 = img.copy(), lab2.copy()
    for seed in range(10):
        out2, olab2 = img.copy(), lab2.copy()
        if letterbox(out2, olab2, np.random.default_rng(seed), band=(0.2, 0.2))[1] > 0:
            break
    assert (olab2[:19, 40:50] == 1).all() and (olab2[19:30, 40:50] == 3).all()
    wide = crop_roi(np.full((50, 100, 3), 7, np.uint8), Roi("w", 0, 0, 100, 50), 96)
    assert wide.shape == (96, 96, 3)  # the geometry it imitates: a 2:1 ROI is a 48-px band in a 96-px crop
    # through augment_seg_matrix: the kept rectangle is returned, and without the option nothing changes
    aug = SegAug(photometric=False, flip=False, max_rotation=0.0, scale=(1.0, 1.0), max_translate=0.0, letterbox_p=1.0)
    boxed = [augment_seg_matrix(img, lab, np.random.default_rng(k), aug)[2][2] for k in range(20)]
    assert all(c != (0, 0, 96, 96) for c in boxed) and max(max(c[0], c[1]) for c in boxed) <= 22
    a = augment_seg_matrix(img, lab, np.random.default_rng(5), SegAug(photometric=False))
    b = augment_seg_matrix(img, lab, np.random.default_rng(5), SegAug(photometric=False, letterbox_p=0.0))
    assert np.array_equal(a[0], b[0]) and a[2][2] == (0, 0, 96, 96)


def test_a_letterboxed_eye_centre_in_a_band_gives_no_heatmap_target():
    from mgs_core.train.augment import augment_seg_matrix
    from mgs_core.train.seg import SegArrays, SegConfig, _targets

    img = np.zeros((1, 96, 96, 3), np.uint8)
    lab = np.zeros((1, 96, 96), np.uint8)
    lab[0, 20:70, 10:90] = 1
    lab[0, 2:6, 44:50] = 3
    aug = SegAug(photometric=False, flip=False, max_rotation=0.0, scale=(1.0, 1.0), max_translate=0.0,
                 letterbox_p=1.0, letterbox_band=(0.1, 0.1))
    arrays = SegArrays(img, lab, np.array([[46.5, 3.5]], np.float32), np.array([6.0], np.float32), np.ones(1, bool))
    cfg = SegConfig(input_size=96, aug=aug)
    cut = []
    for k in range(8):  # same seed, same draws: the kept rectangle of the batch's one crop
        content = augment_seg_matrix(img[0], lab[0], np.random.default_rng(k), aug)[2][2]
        heat = _targets(arrays, [0], np.random.default_rng(k), cfg)[2][0]
        cut.append(content[1] > 0)  # bands top and bottom: the eye centre (y 3.5) is in one
        assert (heat.max() == 0.0) == cut[-1]
    assert any(cut) and not all(cut)
