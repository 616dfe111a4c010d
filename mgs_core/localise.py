"""From the keypoint U-Net's outputs to one decision per crop: where the eye is, and whether it can be judged.

Per crop (maps at the U-Net's resolution S; see :mod:`mgs_core.eye_heatmap`):

1. **no_animal** when the animal (animal + ears + eyes classes) covers less than ``min_animal_frac`` of the map: an
   empty box, bedding, a test pattern. Nothing else is looked at: no eye is ever reported without a mouse.
2. the heatmap peak (arg-max, sub-pixel refined) is the eye candidate; its probability is the confidence.
   **eye_hidden** when the confidence is below ``min_confidence`` (head turned away, paws or apparatus over the
   eye), or when the candidate does not sit on the animal (less than ``min_animal_near`` of the disc of one eye
   length around it is animal/ears/eyes): an eye is part of a head.
3. **too_small** when the predicted eye length is below ``min_judge_length`` crop pixels: found, but too few pixels
   to judge tightening (the patch would be an up-scaled blur); the eye position is kept, no score is given.
4. otherwise **scored**: the regressor scores the patch.

``scorability`` (0-1) summarises how judgeable the crop was: 0 without an animal; the confidence, times
``min(1, length / min_judge_length)`` for eyes near the size limit.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mgs_core.eye_heatmap import EyePeak, decode_peak
from mgs_core.types import EYE_HIDDEN, NO_ANIMAL, SCORED, TOO_SMALL

ANIMAL_OR_EYE = (1, 2, 3)


@dataclass(frozen=True)
class KeypointRules:
    """Thresholds of the decision (module docstring); chosen on the validation set (docs/model_card.md)."""

    min_confidence: float = 0.3
    min_animal_frac: float = 0.004
    min_animal_near: float = 0.25
    min_judge_length: float = 7.0  # crop pixels


@dataclass(frozen=True)
class EyeDecision:
    status: str
    peak: EyePeak | None  # None only for no_animal
    scorability: float


def animal_fraction(labels: np.ndarray) -> float:
    return float(np.isin(labels, ANIMAL_OR_EYE).mean())


def on_animal(labels: np.ndarray, peak: EyePeak, crop_size: int) -> float:
    """Fraction of animal/ears/eyes pixels in the disc of one eye length (map pixels) around the peak."""
    s = labels.shape[0]
    scale = s / crop_size
    cx, cy = (peak.x + 0.5) * scale - 0.5, (peak.y + 0.5) * scale - 0.5
    r = max(1.5, peak.length * scale)
    x0, x1 = int(max(0, np.floor(cx - r))), int(min(labels.shape[1], np.ceil(cx + r) + 1))
    y0, y1 = int(max(0, np.floor(cy - r))), int(min(s, np.ceil(cy + r) + 1))
    if x0 >= x1 or y0 >= y1:
        return 0.0
    gy, gx = np.mgrid[y0:y1, x0:x1]
    disc = (gx - cx) ** 2 + (gy - cy) ** 2 <= r * r
    if not disc.any():
        return 0.0
    return float(np.isin(labels[y0:y1, x0:x1][disc], ANIMAL_OR_EYE).mean())


def decide(labels: np.ndarray, heat_prob: np.ndarray, log2_length: np.ndarray, crop_size: int = 256,
           rules: KeypointRules = KeypointRules()) -> EyeDecision:
    """The decision for one crop from its (S, S) label map, heatmap probability and log2-length maps."""
    if labels.shape != heat_prob.shape or heat_prob.shape != log2_length.shape or labels.ndim != 2:
        raise ValueError(f"maps must be equal 2-D arrays, got {labels.shape}, {heat_prob.shape}, {log2_length.shape}")
    if animal_fraction(labels) < rules.min_animal_frac:
        return EyeDecision(NO_ANIMAL, None, 0.0)
    peak = decode_peak(heat_prob, log2_length, crop_size)
    if peak.confidence < rules.min_confidence or on_animal(labels, peak, crop_size) < rules.min_animal_near:
        return EyeDecision(EYE_HIDDEN, peak, peak.confidence)
    size_ok = min(1.0, peak.length / rules.min_judge_length)
    if peak.length < rules.min_judge_length:
        return EyeDecision(TOO_SMALL, peak, peak.confidence * size_ok)
    return EyeDecision(SCORED, peak, peak.confidence)

