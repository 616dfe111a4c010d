"""Scene kinds over a few hundred items: eye scale bins, closed eyes, hidden eyes, no-mouse items, apparatus."""
import numpy as np
import pytest

from mgs_core.errors import MGSError
from mgs_core.synth.dataset import DEFAULT_KINDS, KINDS, render_item
from mgs_core.synth.nomouse import NOMOUSE_KINDS, render_nomouse

N_ITEMS = 240


@pytest.fixture(scope="module")
def items():
    return [render_item(3, i) for i in range(N_ITEMS)]


def test_eye_length_bins_all_populated(items):
    lengths = np.array([it.eye_length for it in items if it.eye_visible])
    assert len(lengths) > 0.7 * N_ITEMS
    bins = [(6, 12), (12, 30), (30, 60), (60, 120.5)]
    shares = [float(((lengths >= a) & (lengths < b)).mean()) for a, b in bins]
    assert all(s >= 0.15 for s in shares), shares
    assert lengths.min() >= 5.5 and lengths.max() <= 121


def test_kind_and_hidden_proportions(items):
    kinds = [it.kind for it in items]
    assert set(kinds) == set(DEFAULT_KINDS)
    assert 0.03 < kinds.count("nomouse") / N_ITEMS < 0.12
    hidden = [it.hidden for it in items if it.kind != "nomouse"]
    assert {"turned", "grooming", "occluded"} <= set(hidden)
    assert 0.08 < sum(h != "" for h in hidden) / N_ITEMS < 0.2


def test_nomouse_items_have_no_animal(items):
    nm = [it for it in items if it.kind == "nomouse"]
    assert nm
    for it in nm:
        assert not it.mask.any() and not it.eye_visible and it.score is None and it.eye_x is None


def test_hidden_items_have_no_eye_pixels_but_an_animal(items):
    hid = [it for it in items if it.kind != "nomouse" and not it.eye_visible]
    assert hid
    for it in hid:
        assert not (it.mask == 3).any() and it.score is None and it.eye_x is None and it.eye_length is None
        assert (it.mask == 1).any()


def test_visible_eyes_are_labelled_at_the_truth_centre(items):
    for it in items:
        if it.eye_visible:
            assert (it.mask == 3).any()
            assert -90.0 <= it.eye_angle < 90.0
            if it.eye_cover == 0:
                assert it.mask[int(round(it.eye_y)), int(round(it.eye_x))] == 3


@pytest.mark.parametrize("kind", ["rack", "box", "closeup", "headfixed"])
def test_closed_eyes_keep_a_labelled_region_at_the_centre(kind):
    n = 0
    for i in range(8):
        it = render_item(12, i, kind=kind, score=8.5 + 0.5 * (i % 2), hidden="")
        if not it.eye_visible:  # apparatus over the face
            assert it.hidden == "occluded"
            continue
        n += 1
        area = int((it.mask == 3).sum())
        assert area >= 0.8 * np.pi / 4 * it.eye_length * (0.3 * it.eye_length)
        if it.eye_cover == 0:
            assert it.mask[int(round(it.eye_y)), int(round(it.eye_x))] == 3
    assert n >= 6


def test_forced_occlusion_hides_the_eye_mostly():
    its = [render_item(14, i, kind="headfixed", hidden="occluded") for i in range(10)]
    occluded = [it for it in its if it.hidden == "occluded"]
    assert len(occluded) >= 7
    for it in occluded:
        assert not it.eye_visible and not (it.mask == 3).any() and it.apparatus


def test_items_of_every_kind_are_deterministic():
    for kind in KINDS:
        a, b = render_item(40, 7, kind=kind), render_item(40, 7, kind=kind)
        assert np.array_equal(a.image, b.image) and np.array_equal(a.mask, b.mask)
        assert (a.eye_x, a.eye_y, a.score, a.hidden, a.apparatus) == (b.eye_x, b.eye_y, b.score, b.hidden, b.apparatus)


def test_unknown_kind_is_an_input_error():
    with pytest.raises(MGSError, match="scene kind"):
        render_item(1, 1, kind="aquarium")


@pytest.mark.parametrize("kind", NOMOUSE_KINDS)
def test_render_nomouse_each_kind(kind):
    a = render_nomouse(5, kind, 128)
    b = render_nomouse(np.random.default_rng(5), kind, 128)
    assert a.image.shape == (128, 128, 3) and a.image.dtype == np.uint8 and a.kind == kind
    assert not a.mask.any() and a.mask.shape == (128, 128)
    assert np.array_equal(a.image, b.image)
    assert a.image.std() > 1.0  # something is drawn


def test_render_nomouse_rejects_unknown_kind():
    with pytest.raises(ValueError, match="no-mouse kind"):
        render_nomouse(0, "aquarium")
