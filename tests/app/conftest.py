"""Fixtures for the app tests: a data folder (the shipped sample data, or a small synthetic stand-in rendered once
when sample_data/ is not built yet), model checkpoints (shipped, or tiny untrained ones when none are shipped: the app
tests check the app's behaviour, not the model's accuracy), and a private work folder per test."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_data"


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    if (SAMPLE / "demo.mp4").is_file() and (SAMPLE / "labelled" / "labels.csv").is_file():
        return SAMPLE
    from mgs_core.synth.dataset import make_dataset
    from mgs_core.synth.video import make_video

    d = tmp_path_factory.mktemp("data")
    make_video(d / "demo.mp4", seconds=2, mice=2, seed=7, width=640, height=360, fps=15)
    make_dataset(d / "labelled", n=16, seed=11, workers=1)
    return d


@pytest.fixture(scope="session")
def weights(tmp_path_factory) -> dict:
    from mgs_core.models import OrbitalNet, UNet, default_weight_paths, save_checkpoint

    seg, score = default_weight_paths()
    if seg.is_file() and score.is_file():
        return {"seg": None, "score": None, "label": "shipped weights", "server": None}
    import torch

    torch.manual_seed(0)  # same untrained weights every run, so the runner's cached ONNX export is reused
    d = tmp_path_factory.mktemp("weights")
    save_checkpoint(UNet(), d / "seg.pt", {"name": "untrained test U-Net"})
    save_checkpoint(OrbitalNet(), d / "score.pt", {"name": "untrained test regressor"})
    return {"seg": str(d / "seg.pt"), "score": str(d / "score.pt"), "label": "test weights", "server": None}


@pytest.fixture()
def app_env(monkeypatch, tmp_path, data_dir, weights):
    """Environment for an AppTest: data folder, a fresh work folder, and a function making a ready AppTest."""
    monkeypatch.setenv("MGS_DATA_DIR", str(data_dir))
    monkeypatch.setenv("MGS_WORK_DIR", str(tmp_path / "work"))
    import streamlit_webrtc.component as webrtc_component
    from streamlit.testing.v1 import AppTest

    # streamlit-webrtc needs a live server session; under AppTest there is none (STACK_NOTES).
    monkeypatch.setattr(webrtc_component, "get_this_session_info", lambda: None)

    def make(page: str | None = None) -> AppTest:
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
        at.session_state["mgs_model"] = dict(weights)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        if page:
            at.switch_page(page)
            at.run()
            assert not at.exception, [e.value for e in at.exception]
        return at

    make.data_dir = data_dir
    make.work_dir = tmp_path / "work"
    return make


def errors(at) -> list[str]:
    return [e.value for e in at.exception] + [e.value for e in at.error]


@pytest.fixture()
def clean_copy(tmp_path, data_dir):
    """A writable copy of the demo video (for upload-like tests)."""
    dst = tmp_path / "copy"
    dst.mkdir()
    shutil.copy(data_dir / "demo.mp4", dst / "demo.mp4")
    return dst
