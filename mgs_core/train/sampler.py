"""The paper's sampler: each item is drawn with probability inversely proportional to the frequency of its label.

Continuous scores are binned to the integers 0-9 (round half up, clipped) for the frequency count.
"""
from __future__ import annotations

import numpy as np

N_BINS = 10


def score_bins(scores) -> np.ndarray:
    """Integer bin 0-9 of each continuous score."""
    s = np.asarray(scores, dtype=np.float64)
    return np.clip(np.floor(s + 0.5), 0, N_BINS - 1).astype(np.int64)


def inverse_frequency_weights(scores) -> np.ndarray:
    """Sampling probabilities (sum 1): each item gets 1 / (count of its bin), normalised. Every occupied bin then
    has the same total probability."""
    bins = score_bins(scores)
    if bins.size == 0:
        return np.zeros(0)
    counts = np.bincount(bins, minlength=N_BINS).astype(np.float64)
    w = 1.0 / counts[bins]
    return w / w.sum()


def sample_epoch(weights: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` item indices drawn with replacement with the given probabilities."""
    return rng.choice(len(weights), size=n, replace=True, p=weights)
