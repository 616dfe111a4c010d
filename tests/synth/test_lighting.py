"""Rim lighting: the lamp-facing edge of the animal is lit, the far edge and the labels are not touched."""
import cv2
import numpy as np

from mgs_core.synth.lighting import RimLight, random_rim_light, rim_light


def _disc(size=160, r=50):
    img = np.full((size, size, 3), 0.05, np.float32)
    lab = np.zeros((size, size), np.uint8)
    cv2.circle(lab, (size // 2, size // 2), r, 1, -1)
    img[lab == 1] = 0.08
    return img, lab


def test_the_edge_facing_the_lamp_is_lit_and_the_far_edge_is_not():
    img, lab = _disc()
    before, lab0 = img.copy(), lab.copy()
    light = RimLight(angle=0.0, strength=0.8, depth=0.05, focus=1.5, key=0.0, hairs=0.0, hair_length=0.05,
                     hair_strength=0.5)
    rim_light(img, lab, light, head_length=100.0, rng=np.random.default_rng(0))
    assert np.array_equal(lab, lab0)
    gain = (img - before)[..., 0]
    right, left, centre = gain[80, 126:130].mean(), gain[80, 30:34].mean(), gain[80, 78:82].mean()
    assert right > 0.3 and left < 0.02 and centre < 0.02  # lamp to the right (angle 0)
    assert np.all(gain[lab == 0] == 0)  # no hairs asked for: the background is not lit


def test_fringe_hairs_stand_out_of_the_lit_edge_only():
    img, lab = _disc()
    before = img.copy()
    light = RimLight(angle=np.pi / 2, strength=0.5, depth=0.04, focus=2.0, key=0.0, hairs=0.5, hair_length=0.1,
                     hair_strength=0.8)
    rim_light(img, lab, light, head_length=100.0, rng=np.random.default_rng(1))
    out = (img - before)[..., 0] * (lab == 0)
    ys, xs = np.nonzero(out > 0.01)
    assert len(ys) > 20 and np.mean(ys > 80) > 0.9  # lamp below (angle pi/2): hairs on the lower edge


def test_no_animal_is_left_alone_and_the_draw_is_seeded():
    img = np.full((40, 40, 3), 0.1, np.float32)
    rim_light(img, np.zeros((40, 40), np.uint8), random_rim_light(np.random.default_rng(2)), 30.0,
              np.random.default_rng(2))
    assert np.all(img == np.float32(0.1))
    assert random_rim_light(np.random.default_rng(3)) == random_rim_light(np.random.default_rng(3))
