"""Fixtures for batch tests: tiny videos from our renderer, a deterministic in-process runner."""
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/fake_models.py

from fake_models import DarkEyeNet  # noqa: E402
from mgs_core.models import OrbitalNet  # noqa: E402
from mgs_core.runners.local import LocalRunner  # noqa: E402
from mgs_core.synth.video import make_video  # noqa: E402


def render(folder: Path, n: int, seconds: float = 1.0, fps: float = 20, width: int = 320, height: int = 240,
           first_seed: int = 0) -> list[Path]:
    """``n`` short rendered recordings of 2 mice (with NAME.rois.json beside each; all share the layout)."""
    return [make_video(folder / f"rec{first_seed + i}.mp4", seconds=seconds, mice=2, seed=first_seed + i,
                       width=width, height=height, fps=fps).video for i in range(n)]


@pytest.fixture(scope="session")
def videos(tmp_path_factory) -> list[Path]:
    return render(tmp_path_factory.mktemp("batch_videos"), 3)


@pytest.fixture(scope="session")
def fake_runner():
    torch.manual_seed(0)
    return LocalRunner(DarkEyeNet(), OrbitalNet(), device="cpu", backend="torch")
