"""The renderer: determinism, label classes, eye inside the animal, hidden eyes, eye narrowing with the score."""
import cv2
import numpy as np
import pytest
from scipy.stats import spearmanr

from mgs_core.errors import MGSError
from mgs_core.synth.dataset import render_item
from mgs_core.synth.eye import region_height
from mgs_core.synth.render import render_rack
from mgs_core.synth.scene import max_mice, rack_layout


def test_same_seed_same_frame_and_truth():
    a, b = render_rack(480, 270, 2, seed=11), render_rack(480, 270, 2, seed=11)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.labels, b.labels)
    assert a.mice == b.mice
    c = render_rack(480, 270, 2, seed=12)
    assert not np.array_equal(a.image, c.image)


def test_frame_shapes_classes_and_truth_inside_rois():
    f = render_rack(640, 360, 3, seed=3)
    assert f.image.shape == (360, 640, 3) and f.image.dtype == np.uint8
    assert f.labels.shape == (360, 640) and set(np.unique(f.labels)) <= {0, 1, 2, 3}
    assert len(f.mice) == 3
    for m in f.mice:
        assert m.eye_visible
        r = m.roi
        assert r.x <= m.eye_x < r.x + r.w and r.y <= m.eye_y < r.y + r.h
        assert f.labels[int(round(m.eye_y)), int(round(m.eye_x))] == 3


def test_items_are_deterministic_and_independent_of_order():
    a = render_item(5, 3)
    render_item(5, 4)
    b = render_item(5, 3)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.mask, b.mask)
    assert (a.eye_x, a.eye_y, a.score) == (b.eye_x, b.eye_y, b.score)


def _eye_inside_animal(mask: np.ndarray) -> bool:
    eye = (mask == 3).astype(np.uint8)
    ring = cv2.dilate(eye, np.ones((3, 3), np.uint8)) & (1 - eye)
    return not np.any((mask == 0) & (ring > 0))


@pytest.mark.parametrize("index", range(12))
def test_item_masks_classes_and_eye_inside_animal(index):
    it = render_item(21, index)
    assert it.image.shape == (256, 256, 3) and it.mask.shape == (256, 256)
    assert set(np.unique(it.mask)) <= {0, 1, 2, 3}
    if it.eye_visible:
        assert (it.mask == 3).any()
        assert 0 <= it.eye_x < 256 and 0 <= it.eye_y < 256 and 0.0 <= it.score <= 9.0
        if it.apparatus == "":  # apparatus in front of the face may border (or cover part of) the eye region
            assert _eye_inside_animal(it.mask)
            ys, xs = np.nonzero(it.mask == 3)
            # truth eye centre = centre of the eye region (up to pixel quantisation)
            assert abs(xs.mean() - it.eye_x) < 1.5 and abs(ys.mean() - it.eye_y) < 1.5
    else:
        assert not (it.mask == 3).any() and it.score is None and it.eye_x is None


@pytest.mark.parametrize("kind", ["turned", "grooming"])
def test_hidden_eye_has_no_eye_pixels(kind):
    for i in range(3):
        it = render_item(8, i, hidden=kind)
        assert not it.eye_visible and it.score is None
        assert not (it.mask == 3).any()
        assert (it.mask == 1).any()


def test_turned_away_head_is_seen_from_behind_not_a_profile_without_an_eye():
    # the same animal and pose with its eye shut: a profile always shows its eye, so "turned" must look different
    for i in range(6):
        turned, shut = render_item(8, i, hidden="turned"), render_item(8, i, hidden="", score=9.0)
        assert turned.kind == shut.kind and shut.eye_visible
        assert (turned.mask == 2).sum() > 1.15 * (shut.mask == 2).sum()  # the backs of both ears
        assert (turned.mask > 0).sum() < (shut.mask > 0).sum()  # the foreshortened head, no snout
        assert not (turned.mask == 3).any()


@pytest.mark.parametrize("kind,lo,hi", [("rack", 5.5, 13.0), ("box", 10.5, 19.5), ("closeup", 19.0, 121.0),
                                        ("headfixed", 27.0, 121.0), ("far", 5.5, 29.0), ("backlit", 7.5, 121.0)])
def test_eye_length_in_crop_per_kind(kind, lo, hi):
    lengths = [render_item(31, i, hidden="", kind=kind).eye_length for i in range(12)]
    lengths = [v for v in lengths if v is not None]  # an eye covered by apparatus has no length
    assert len(lengths) >= 8
    assert lo < min(lengths) and max(lengths) < hi


def test_far_kind_is_a_wide_view_and_leaves_the_default_mix_alone():
    # far: the head-fixed / close-up looks with small eyes, drawn only when asked for; the default mix is the old one
    items = [render_item(32, i, kind="far") for i in range(8)]
    assert {it.kind for it in items} == {"far"} and not any(it.closeup for it in items)
    assert any(it.greyscale for it in items)  # mostly the head-fixed infrared look
    vis = [it for it in items if it.eye_visible]
    assert vis and all((it.mask == 3).any() and (it.mask == 1).sum() > 20 * (it.mask == 3).sum() for it in vis)
    assert {render_item(33, i).kind for i in range(60)} <= {"rack", "box", "closeup", "headfixed", "nomouse"}
    assert {render_item(33, i, kinds=("far", "box")).kind for i in range(12)} == {"far", "box"}


def test_backlit_kind_is_a_dark_field_infrared_view_drawn_only_when_asked_for():
    # backlit: a dark mouse before a dark background, its lamp-facing edges lit, at every scale; not in the default mix
    items = [render_item(34, i, kind="backlit") for i in range(10)]
    assert {it.kind for it in items} == {"backlit"} and all(it.greyscale for it in items)
    assert sum(np.median(it.image[it.mask == 0]) < 50 for it in items) >= 8  # dark (a hand or a part may fill it)
    vis = [it for it in items if it.eye_visible]
    assert len(vis) >= 6 and all((it.mask == 3).any() for it in vis)
    assert min(it.eye_length for it in vis) < 30 < max(it.eye_length for it in vis)
    assert "backlit" not in {render_item(33, i).kind for i in range(60)}
    assert {render_item(35, i, kinds=("backlit",)).kind for i in range(4)} == {"backlit"}


def test_eye_region_height_decreases_with_score():
    heights = [region_height(s, 16.0, 0.7, 1.0) for s in np.linspace(0, 9, 19)]
    assert all(a > b for a, b in zip(heights, heights[1:]))
    assert heights[-1] == pytest.approx(0.3 * 16.0)


def test_rendered_eye_mask_height_falls_with_score_over_many_renders():
    rng = np.random.default_rng(0)
    scores, rel_heights = [], []
    for i in range(40):
        s = float(rng.uniform(0, 9))
        it = render_item(77, i, score=s, hidden="", closeup=False)
        area = float((it.mask == 3).sum())
        scores.append(s)
        rel_heights.append(area / (np.pi / 4 * it.eye_length ** 2))  # region height / length
    rho = spearmanr(scores, rel_heights).statistic
    assert rho < -0.9, rho


def test_score_changes_only_the_eye():
    a = render_item(4, 2, score=0.0, hidden="")
    b = render_item(4, 2, score=9.0, hidden="")
    diff = np.abs(a.image.astype(int) - b.image.astype(int)).sum(axis=2) > 0
    ys, xs = np.nonzero(diff)
    assert len(ys) > 0
    assert np.hypot(xs - a.eye_x, ys - a.eye_y).max() < 3.0 * a.eye_length
    assert (a.mask == 3).sum() > 1.5 * (b.mask == 3).sum()


def test_rack_layout_limits():
    assert len(rack_layout(1920, 1080, 8)) == 8
    boxes = rack_layout(1920, 1080, 4)
    assert all(x >= 0 and y >= 0 and x + w <= 1920 and y + h <= 1080 for x, y, w, h in boxes)
    assert max_mice(1920, 1080) == 8
    with pytest.raises(MGSError, match="at most"):
        rack_layout(320, 240, 4)
    with pytest.raises(MGSError):
        rack_layout(1920, 1080, 9)
