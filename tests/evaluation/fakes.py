"""Tiny labelled crops and a scripted runner for evaluation tests (no networks).

Crop ``i`` is a flat image whose pixel value is ``i`` (so the runner knows which item it sees); :class:`ScriptedRunner`
answers for each index exactly what the test scripted: an eye offset from the true centre, a score, a status."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mgs_core.runners.base import Runner
from mgs_core.train.data import CropItem
from mgs_core.types import EYE_HIDDEN, SCORED, CropResult, RunnerInfo

SIZE = 64


Item = CropItem  # a labelled crop in memory, as the trainers and the evaluation take it


def item(i: int, visible: bool = True, score: float | None = 4.0, eye_length: float | None = 20.0, kind: str = "",
         mask: np.ndarray | None = None) -> Item:
    extra = {"eye_length": "" if eye_length is None else f"{eye_length:g}"}
    if kind:
        extra["kind"] = kind
    return Item(np.full((SIZE, SIZE, 3), i, np.uint8), mask, 30.0 if visible else None, 30.0 if visible else None,
                visible, score if visible else None, i + 1, extra)


@dataclass(frozen=True)
class Answer:
    dx: float = 1.0  # detected eye = true centre (30, 30) + (dx, dy)
    dy: float = 0.0
    score: float | None = 4.0
    status: str = SCORED
    eye_length: float | None = None
    visible: bool = True


class ScriptedRunner(Runner):
    """Answers per crop index; an index without an answer gets "no eye"."""

    def __init__(self, answers: dict[int, Answer]):
        self.answers = answers

    def infer(self, crops):
        out = []
        for c in crops:
            a = self.answers.get(int(c[0, 0, 0]))
            if a is None:
                out.append(CropResult(False, None, None, None, 0.0, 0, EYE_HIDDEN))
            else:
                out.append(CropResult(a.visible, 30.0 + a.dx, 30.0 + a.dy, a.score, 0.9, 10, a.status, a.eye_length,
                                      0.9))
        return out

    def info(self):
        return RunnerInfo("local", "cpu", SIZE)
