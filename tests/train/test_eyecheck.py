"""The eye check's training data, training, threshold and its use by the runner (tiny rendered fixtures)."""
import numpy as np
import pytest
import torch

from mgs_core.models import EyeCheckNet, save_checkpoint
from mgs_core.runners.local import LocalRunner
from mgs_core.synth.dataset import render_item
from mgs_core.train.eyecheck import (CHECK_WINDOW, CheckConfig, centre_patches, choose_threshold,
                                     fur_points, mine_check_source, save_eyecheck, side_peaks, train_eyecheck)
from mgs_core.types import EYE_HIDDEN, SCORED

SEED = 27182


@pytest.fixture(scope="module")
def runner():
    return LocalRunner.from_checkpoints(backend="torch", check=None)  # the shipped keypoint U-Net


@pytest.fixture(scope="module")
def items():
    out = [render_item(SEED, i, kind="closeup") for i in range(10)]
    out += [render_item(SEED, 100 + i, hidden="turned", kind="box") for i in range(6)]
    return out


def test_side_peaks_are_local_maxima_away_from_the_eye():
    heat = np.zeros((96, 96), np.float32)
    heat[20, 20], heat[60, 70], heat[61, 71], heat[10, 80] = 0.9, 0.4, 0.3, 0.01
    log2len = np.full((96, 96), 4.0, np.float32)  # 16 px
    got = side_peaks(heat, log2len, 3, 256, away=[(20 * 256 / 96 + 1, 20 * 256 / 96 + 1, 16.0)])
    assert len(got) == 1  # the eye itself is excluded, the 0.3 shoulder is not a maximum, 0.01 is below the floor
    x, y, length = got[0]
    assert abs(x - (70.5 * 256 / 96 - 0.5)) < 1e-6 and abs(y - (60.5 * 256 / 96 - 0.5)) < 1e-6 and length == 16.0


def test_fur_points_lie_on_the_animal_near_the_peak():
    labels = np.zeros((96, 96), np.uint8)
    labels[30:70, 30:70] = 1
    pts = fur_points(labels, 128.0, 128.0, 10.0, 5, 256, np.random.default_rng(0))
    assert len(pts) == 5
    for x, y in pts:
        assert 10.0 <= np.hypot(x - 128, y - 128) <= 40.0
        assert labels[int((y + 0.5) * 96 / 256), int((x + 0.5) * 96 / 256)] == 1


def test_mined_candidates_label_eyes_and_non_eyes(runner, items):
    src = mine_check_source(items, runner, CheckConfig(side_peaks=2, fur_points=2), batch=8)
    counts = src.counts()
    visible = sum(it.eye_visible for it in items)
    assert counts["truth"] == visible  # every visible eye is a positive at its labelled place
    assert src.windows.shape[1:] == (CHECK_WINDOW, CHECK_WINDOW, 3) and src.windows.dtype == np.uint8
    assert set(src.labels[src.origin == "truth"]) == {1.0}
    for neg in ("hidden_peak", "located_false", "side_peak", "fur"):
        assert set(src.labels[src.origin == neg]) <= {0.0}
    assert (src.labels == 0).sum() >= 6  # the turned-away heads give negatives


def test_training_threshold_and_the_runner_use_it(runner, items, tmp_path):
    cfg = CheckConfig(epochs=2, batch=16, threads=1, side_peaks=1, fur_points=1)
    src = mine_check_source(items, runner, cfg, batch=8)
    model, history = train_eyecheck(src, cfg)
    assert len(history) == 2 and np.isfinite(history[-1].loss)
    choice = choose_threshold(model, src, keep=0.9)
    assert 0.01 <= choice.threshold <= 0.9 and choice.keep_eyes >= 0.9 - 1e-9
    path = save_eyecheck(model, tmp_path / "check.pt", choice, cfg, src, history, {"name": "eye check"})
    r = LocalRunner.from_checkpoints(backend="torch", check=path)
    assert r.check_model.threshold == pytest.approx(choice.threshold)
    assert r.info().score_model["eye_check"]["threshold"] == pytest.approx(choice.threshold)
    probs = r.check_patches(centre_patches(src))
    assert probs.shape == (len(src),) and np.all((probs >= 0) & (probs <= 1))


def _constant_check(tmp_path, logit: float):
    net = EyeCheckNet(threshold=0.5)
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
        net.head[-1].bias.fill_(logit)
    return save_checkpoint(net.eval(), tmp_path / f"check{logit}.pt", {"name": "constant"})


def test_a_rejected_eye_is_hidden_and_never_scored(items, tmp_path):
    crops = np.stack([it.image for it in items[:6]])
    plain = LocalRunner.from_checkpoints(backend="torch", check=None).infer(crops)
    keep = LocalRunner.from_checkpoints(backend="torch", check=_constant_check(tmp_path, 20.0)).infer(crops)
    reject = LocalRunner.from_checkpoints(backend="torch", check=_constant_check(tmp_path, -20.0)).infer(crops)
    assert any(r.status == SCORED for r in plain)
    assert [r.status for r in keep] == [r.status for r in plain]
    for a, b in zip(keep, plain):
        assert (a.score is None) == (b.score is None) and (a.score is None or abs(a.score - b.score) < 1e-5)
    for p, r in zip(plain, reject):
        if p.status == SCORED:
            assert r.status == EYE_HIDDEN and r.score is None and not r.eye_visible and r.eye_x is None
        else:
            assert r.status == p.status


def test_onnx_backend_runs_the_check_like_torch(items, tmp_path, monkeypatch):
    monkeypatch.setenv("MGS_CACHE_DIR", str(tmp_path / "cache"))
    path = _constant_check(tmp_path, -20.0)
    crops = np.stack([it.image for it in items[:4]])
    onnx = LocalRunner.from_checkpoints(backend="onnx", check=path)
    assert onnx.backend == "onnx" and onnx._ort_check is not None
    torch_ = LocalRunner.from_checkpoints(backend="torch", check=path)
    assert [r.status for r in onnx.infer(crops)] == [r.status for r in torch_.infer(crops)]
