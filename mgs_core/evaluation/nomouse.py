"""The no-mouse check: crops with no mouse at all, and how often the runner claims an eye in them.

The crops are drawn here with numpy/cv2 (they need no renderer): ``colour_bars`` (a broadcast test pattern),
``noise`` (smooth random textures with dark, fur-like blobs), ``red_box`` (the paper's flat red background seen
through an empty transparent box, with its lighter edges and a reflection) and ``red_box_objects`` (the same with a
dark round object and a bright speck: the dark-fur / bright-eye look-alikes that fool a localiser). Crop ``i`` of
``seed`` uses ``numpy.random.default_rng([seed, i])`` and pattern ``i % 4``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from mgs_core.evaluation.matching import Rate
from mgs_core.evaluation.pipeline import is_detection, status_counts

PATTERNS = ("colour_bars", "noise", "red_box", "red_box_objects")
BARS = ((235, 235, 235), (235, 235, 16), (16, 235, 235), (16, 235, 16), (235, 16, 235), (235, 16, 16), (16, 16, 235))


def _colour_bars(rng: np.random.Generator, size: int) -> np.ndarray:
    img = np.zeros((size, size, 3), np.float32)
    edges = np.linspace(0, size, len(BARS) + 1).astype(int)
    for (a, b), c in zip(zip(edges[:-1], edges[1:]), BARS):
        img[:, a:b] = c
    low = int(size * rng.uniform(0.65, 0.8))
    for j, x0 in enumerate(range(0, size, max(1, size // 6))):
        img[low:, x0 : x0 + size // 6] = (16, 16, 16) if j % 2 else (200, 200, 200)
    img = np.roll(img, int(rng.integers(0, size)), axis=1) * rng.uniform(0.6, 1.0)
    return img


def _noise(rng: np.random.Generator, size: int) -> np.ndarray:
    cells = int(rng.integers(4, 24))
    field_ = cv2.resize(rng.random((cells, cells)).astype(np.float32), (size, size), interpolation=cv2.INTER_CUBIC)
    fine = cv2.GaussianBlur(rng.random((size, size)).astype(np.float32), (0, 0), float(rng.uniform(0.8, 3)))
    t = np.clip(0.75 * field_ + 0.25 * fine, 0, 1)[..., None]
    dark, light = rng.uniform(0, 60, 3), rng.uniform(120, 255, 3)
    return dark + t * (light - dark)


def _red_box(rng: np.random.Generator, size: int) -> np.ndarray:
    img = np.empty((size, size, 3), np.float32)
    img[:] = (rng.uniform(150, 200), rng.uniform(20, 45), rng.uniform(20, 45))
    m = int(size * rng.uniform(0.04, 0.12))
    edge = img.copy()
    cv2.rectangle(edge, (m, m), (size - 1 - m, size - 1 - m), (235, 200, 200), int(rng.integers(3, 8)))
    x = int(rng.integers(m, size - m))
    cv2.line(edge, (x, m), (x + size // 6, size - m), (250, 235, 235), int(rng.integers(2, 6)))  # a reflection
    alpha = float(rng.uniform(0.3, 0.6))  # transparent plastic: the edge only lightens what is behind it
    return (1 - alpha) * img + alpha * edge


def _red_box_objects(rng: np.random.Generator, size: int) -> np.ndarray:
    img = _red_box(rng, size)
    c = tuple(int(v) for v in rng.integers(size // 4, 3 * size // 4, 2))
    cv2.ellipse(img, c, (int(rng.integers(10, 40)), int(rng.integers(8, 30))), float(rng.uniform(0, 180)), 0, 360,
                (25, 22, 24), -1)
    s = tuple(int(v) for v in rng.integers(size // 5, 4 * size // 5, 2))
    cv2.ellipse(img, s, (int(rng.integers(3, 8)), int(rng.integers(2, 5))), 0, 0, 360, (230, 230, 235), -1)
    return img


_DRAW = {"colour_bars": _colour_bars, "noise": _noise, "red_box": _red_box, "red_box_objects": _red_box_objects}


def nomouse_crop(seed: int, index: int, size: int = 256) -> tuple[str, np.ndarray]:
    """Crop ``index`` of ``seed``: (pattern name, size x size x 3 uint8 RGB), with mild camera noise."""
    rng = np.random.default_rng([int(seed), int(index)])
    pattern = PATTERNS[index % len(PATTERNS)]
    img = _DRAW[pattern](rng, size) + rng.normal(0, rng.uniform(1, 5), (size, size, 3))
    return pattern, np.clip(img, 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class NoMouseReport:
    n: int
    eye_given: Rate  # crops the runner gave an eye (a detection: visible or too_small)
    scored: int  # of those, scored
    mean_score: float  # mean of those scores (NaN when none)
    by_pattern: dict[str, Rate] = field(default_factory=dict)
    status_counts: dict[str, int] = field(default_factory=dict)
    seed: int = 0

    def to_dict(self) -> dict:
        return {"n": self.n, "seed": self.seed, "eye_given": self.eye_given.to_dict(), "scored": self.scored,
                "mean_score": self.mean_score, "by_pattern": {k: v.to_dict() for k, v in self.by_pattern.items()},
                "status_counts": dict(self.status_counts)}

    def summary(self) -> str:
        ms = f"{self.mean_score:.2f}" if np.isfinite(self.mean_score) else "n/a"
        return "\n".join([
            f"no-mouse check: {self.n} crops without a mouse (seed {self.seed})",
            f"  given an eye {self.eye_given.text()}; scored {self.scored}, mean score {ms}",
            "  by pattern: " + "  ".join(f"{k} {v.text()}" for k, v in self.by_pattern.items()),
            "  runner status: " + "  ".join(f"{k} {v}" for k, v in self.status_counts.items())])


def evaluate_nomouse(runner, n: int = 40, seed: int = 0, size: int | None = None, batch: int = 16) -> NoMouseReport:
    """Run ``n`` no-mouse crops through ``runner.infer`` and report the fraction given an eye."""
    from mgs_core.errors import InputError

    if n <= 0:
        raise InputError(f"--nomouse must be a positive number of crops, got {n}")
    size = size or int(getattr(runner.info(), "roi_size", 256) or 256)
    patterns, detected, scores, statuses = [], [], [], []
    for start in range(0, n, batch):
        made = [nomouse_crop(seed, i, size) for i in range(start, min(n, start + batch))]
        for (pattern, _), r in zip(made, runner.infer(np.stack([c for _, c in made]))):
            patterns.append(pattern)
            detected.append(is_detection(r))
            scores.append(r.score if is_detection(r) and r.score is not None else np.nan)
            statuses.append(r.status)
    det, sc, pat = np.array(detected, bool), np.array(scores, np.float64), np.array(patterns)
    scored = np.isfinite(sc)
    by = {p: Rate(int((pat == p).sum()), int((det & (pat == p)).sum())) for p in PATTERNS if (pat == p).any()}
    return NoMouseReport(n, Rate(n, int(det.sum())), int(scored.sum()),
                         float(sc[scored].mean()) if scored.any() else float("nan"), by, status_counts(statuses), seed)
