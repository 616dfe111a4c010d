import numpy as np

from mgs_core.eye_heatmap import heatmap_target
from mgs_core.localise import KeypointRules, decide
from mgs_core.types import EYE_HIDDEN, NO_ANIMAL, SCORED, TOO_SMALL


def _maps(animal: bool = True, conf: float = 0.9, length_crop: float = 30.0, at=(50.0, 40.0)):
    labels = np.zeros((96, 96), np.uint8)
    if animal:
        labels[20:80, 20:80] = 1
    heat = heatmap_target(96, at[0], at[1], length_crop * 96 / 256) * conf
    log2 = np.full((96, 96), np.log2(length_crop), np.float32)
    return labels, heat, log2


def test_scored_eye_on_an_animal():
    d = decide(*_maps())
    assert d.status == SCORED and d.scorability > 0.85
    assert abs(d.peak.x - (50.5 * 256 / 96 - 0.5)) < 1.5 and abs(d.peak.length - 30) < 1e-3


def test_no_animal_means_no_eye_even_with_a_confident_heatmap():
    d = decide(*_maps(animal=False))
    assert d.status == NO_ANIMAL and d.peak is None and d.scorability == 0


def test_low_confidence_or_off_the_animal_is_hidden():
    assert decide(*_maps(conf=0.1)).status == EYE_HIDDEN
    assert decide(*_maps(at=(5.0, 5.0))).status == EYE_HIDDEN  # a confident peak on the floor is no eye


def test_too_small_keeps_the_position_but_is_not_judged():
    d = decide(*_maps(length_crop=4.0), rules=KeypointRules(min_judge_length=7.0))
    assert d.status == TOO_SMALL and d.peak is not None and d.scorability < 0.6
