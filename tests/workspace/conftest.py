"""Fixtures for workspace tests: one tiny rendered video with its ROI file, a deterministic in-process runner."""
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/fake_models.py

from fake_models import DarkEyeNet  # noqa: E402
from mgs_core.models import OrbitalNet  # noqa: E402
from mgs_core.runners.local import LocalRunner  # noqa: E402
from mgs_core.synth.video import make_video  # noqa: E402


@pytest.fixture(scope="session")
def video(tmp_path_factory) -> Path:
    return make_video(tmp_path_factory.mktemp("ws_video") / "day1.mp4", seconds=1.0, mice=2, seed=3, width=320,
                      height=240, fps=20).video


@pytest.fixture(scope="session")
def fake_runner():
    torch.manual_seed(0)
    return LocalRunner(DarkEyeNet(), OrbitalNet(), device="cpu", backend="torch")
