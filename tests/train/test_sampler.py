import numpy as np
import pytest

from mgs_core.train.sampler import inverse_frequency_weights, sample_epoch, score_bins


def test_bins_round_half_up_and_clip():
    assert score_bins([0.0, 0.49, 0.5, 4.5, 8.6, 9.0, 9.4]).tolist() == [0, 0, 1, 5, 9, 9, 9]


def test_inverse_frequency_weights_hand_computed():
    # bins: 2, 2, 2, 5 -> counts 3 and 1 -> raw weights 1/3, 1/3, 1/3, 1 -> normalised by 2
    w = inverse_frequency_weights([2.0, 2.2, 1.6, 5.1])
    assert w.tolist() == pytest.approx([1 / 6, 1 / 6, 1 / 6, 1 / 2])
    assert w.sum() == pytest.approx(1.0)


def test_sampling_balances_bins():
    scores = np.array([1.0] * 90 + [8.0] * 10)
    w = inverse_frequency_weights(scores)
    idx = sample_epoch(w, 20000, np.random.default_rng(0))
    frac_rare = np.mean(scores[idx] == 8.0)
    assert 0.47 < frac_rare < 0.53
