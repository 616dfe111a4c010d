"""Fixtures of the labelling tests: a tiny two-ROI video, a deterministic stand-in runner, a label set made from it."""
from __future__ import annotations

import json

import numpy as np
import pytest

from mgs_core.runners.base import Runner
from mgs_core.types import EYE_HIDDEN, SCORED, CropResult, RunnerInfo

FPS = 10.0
N_FRAMES = 40


class FakeRunner(Runner):
    """Score = mean brightness of the crop x 9 / 255; every 5th frame's crops (very dark) have no eye;
    scorability falls with the brightness (so uncertainty differs between frames)."""

    def infer(self, crops):
        out = []
        for c in crops:
            m = float(c.mean())
            if m < 20:
                out.append(CropResult(False, None, None, None, 0.0, status=EYE_HIDDEN))
                continue
            out.append(CropResult(True, 128.0, 120.0, round(m * 9 / 255, 4), 0.9, 30, SCORED, 14.0,
                                  scorability=float(np.clip(1.2 - m / 255, 0, 1))))
        return out

    def info(self):
        return RunnerInfo("local", "cpu", 256, {"name": "fake seg"}, {"name": "fake score"})


def make_video(folder):
    from mgs_core.io.video import write_video

    rng = np.random.default_rng(0)
    frames = []
    for i in range(N_FRAMES):
        img = rng.integers(0, 255, (64, 128, 3), dtype=np.uint8)
        img = (img * (0.25 + 0.7 * (i % 7) / 6)).astype(np.uint8)  # brightness (= score) varies over time
        if i % 5 == 0:
            img[:] = 5  # no eye here
        frames.append(img)
    video = folder / "rec.mp4"
    write_video(video, frames, FPS, crf=0)
    rois = {"format": "mgs-live-rois", "version": 1, "frame_width": 128, "frame_height": 64,
            "rois": [{"id": "box1", "animal": "m1", "group": "vehicle", "x": 0, "y": 0, "w": 64, "h": 64},
                     {"id": "box2", "animal": "m2", "group": "analgesic", "x": 64, "y": 0, "w": 64, "h": 48}]}
    (folder / "rec.rois.json").write_text(json.dumps(rois))
    return video


@pytest.fixture(scope="session")
def video(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("labvideo"))


@pytest.fixture()
def label_set(tmp_path, video):
    from mgs_core.io.rois import load_rois
    from mgs_core.labels.pick import VideoInput, create_label_set

    return create_label_set(tmp_path / "sets" / "lab1", [VideoInput(video, load_rois(video.with_name("rec.rois.json")))],
                            FakeRunner(), 8, min_gap_s=0.5, stride=1)
