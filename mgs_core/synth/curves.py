"""Planted per-animal time courses for synthetic videos: score curves, smooth pose wander, eye-hidden episodes.

Score curve of one mouse over a recording of T seconds: a baseline, a rise after a "procedure" at ``t_procedure``,
and relief after "analgesia" at ``t_analgesia`` that is strong for the ``analgesic`` group and weak for ``vehicle``,
plus smooth noise. So a group comparison after analgesia has a known answer: vehicle > analgesic.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GROUPS = ("vehicle", "analgesic")


@dataclass(frozen=True)
class ScoreCurve:
    group: str
    baseline: float
    peak: float
    relief_to: float  # level reached after analgesia
    t_procedure: float
    t_analgesia: float
    rise_s: float
    relief_s: float
    noise_amp: float
    phases: tuple[float, ...]
    periods: tuple[float, ...]

    def planted(self, t: float) -> float:
        """The noise-free curve at time ``t`` (seconds)."""
        s = self.baseline
        if t >= self.t_procedure:
            s += (self.peak - self.baseline) * _smoothstep((t - self.t_procedure) / self.rise_s)
        if t >= self.t_analgesia:
            s += (self.relief_to - self.peak) * _smoothstep((t - self.t_analgesia) / self.relief_s)
        return float(s)

    def __call__(self, t: float) -> float:
        noise = sum(np.sin(2 * np.pi * t / p + ph) for p, ph in zip(self.periods, self.phases)) / len(self.periods)
        return float(np.clip(self.planted(t) + self.noise_amp * noise, 0.0, 9.0))


def _smoothstep(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return x * x * (3 - 2 * x)


def random_curve(rng: np.random.Generator, group: str, seconds: float) -> ScoreCurve:
    baseline = rng.uniform(0.4, 1.6)
    if group == "vehicle":
        peak, relief = rng.uniform(6.3, 7.8), None
        relief = peak - rng.uniform(0.0, 1.0)
    else:
        peak = rng.uniform(5.3, 6.8)
        relief = baseline + rng.uniform(0.6, 1.6)
    return ScoreCurve(group, float(baseline), float(peak), float(relief), 0.2 * seconds, 0.55 * seconds,
                      max(0.08 * seconds, 0.5), max(0.15 * seconds, 0.8), float(rng.uniform(0.15, 0.35)),
                      tuple(float(x) for x in rng.uniform(0, 2 * np.pi, 3)),
                      tuple(float(x) for x in rng.uniform(1.5, 6.0, 3)))


@dataclass(frozen=True)
class Wander:
    """A smooth bounded signal: mean + amp * (sum of 3 sinusoids)/3."""

    mean: float
    amp: float
    periods: tuple[float, ...]
    phases: tuple[float, ...]

    def __call__(self, t: float) -> float:
        v = sum(np.sin(2 * np.pi * t / p + ph) for p, ph in zip(self.periods, self.phases)) / len(self.periods)
        return float(self.mean + self.amp * v)


def random_wander(rng: np.random.Generator, mean: float, amp: float, min_period: float, max_period: float) -> Wander:
    return Wander(float(mean), float(amp), tuple(float(x) for x in rng.uniform(min_period, max_period, 3)),
                  tuple(float(x) for x in rng.uniform(0, 2 * np.pi, 3)))


def hidden_episodes(rng: np.random.Generator, seconds: float, rate_per_s: float = 1 / 9.0) -> list[tuple[float, float, str]]:
    """Episodes (start, end, kind) of 1-2 s where the eye is hidden (turned away or grooming)."""
    out, t = [], float(rng.exponential(1 / rate_per_s))
    while t < seconds:
        dur = float(rng.uniform(1.0, 2.0))
        out.append((t, t + dur, str(rng.choice(["turned", "grooming"]))))
        t += dur + 1.0 + float(rng.exponential(1 / rate_per_s))
    return out
