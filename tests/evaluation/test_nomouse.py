import numpy as np

from mgs_core.evaluation.nomouse import PATTERNS, evaluate_nomouse, nomouse_crop
from tests.server.fake_runner import FakeRunner

from .fakes import ScriptedRunner


def test_crops_are_deterministic_and_cycle_the_patterns():
    names = [nomouse_crop(3, i, 64)[0] for i in range(8)]
    assert names == list(PATTERNS) * 2
    a, b = nomouse_crop(3, 5, 64)[1], nomouse_crop(3, 5, 64)[1]
    assert a.shape == (64, 64, 3) and a.dtype == np.uint8 and np.array_equal(a, b)
    assert not np.array_equal(a, nomouse_crop(4, 5, 64)[1])


def test_rate_of_crops_given_an_eye():
    rep = evaluate_nomouse(FakeRunner(roi_size=64), n=8, seed=1)  # the fake gives an eye to every non-black crop
    assert rep.n == 8 and rep.eye_given.k == 8 and rep.eye_given.rate == 1.0 and rep.scored == 8
    assert 0 <= rep.mean_score <= 9 and {k: v.n for k, v in rep.by_pattern.items()} == {p: 2 for p in PATTERNS}
    none = evaluate_nomouse(ScriptedRunner({}), n=6, seed=1)
    assert none.eye_given.rate == 0.0 and np.isnan(none.mean_score) and none.status_counts["eye_hidden"] == 6
    assert "given an eye 0/6" in none.summary()
