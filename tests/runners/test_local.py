import numpy as np
import pytest
import torch
from torch import nn

from mgs_core.eyes import EYE_CLASS
from mgs_core.models import OrbitalNet, UNet, save_checkpoint
from mgs_core.runners import load_runner
from mgs_core.runners.local import LocalRunner


class DarkEyeNet(nn.Module):
    """Fake segmenter: pixels darker than 0.2 are 'eyes', everything else animal."""

    kind = "unet"

    def __init__(self, input_size=128):
        super().__init__()
        self.input_size = input_size
        self.model_args = {"input_size": input_size}
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        dark = (x.mean(1, keepdim=True) < 0.2).float()
        logits = torch.zeros(x.shape[0], 4, x.shape[2], x.shape[3])
        logits[:, EYE_CLASS : EYE_CLASS + 1] = dark * 10
        logits[:, 1:2] = (1 - dark) * 5  # everything else is animal
        return logits + self.dummy


def white_crops(n):
    return np.full((n, 256, 256, 3), 230, np.uint8)


def disc(img, cx, cy, r):
    yy, xx = np.mgrid[:256, :256]
    img[(xx - cx) ** 2 + (yy - cy) ** 2 <= r * r] = 10


def test_finds_eye_centre_and_scores_in_range():
    torch.manual_seed(0)
    runner = LocalRunner(DarkEyeNet(), OrbitalNet(), backend="torch")
    crops = white_crops(3)
    disc(crops[0], 100.5, 60.5, 8)
    disc(crops[2], 3.5, 250.5, 8)  # at the crop border: patch is border-replicated
    res = runner.infer(crops)
    assert [r.eye_visible for r in res] == [True, False, True]
    assert res[0].eye_x == pytest.approx(100.5, abs=0.3) and res[0].eye_y == pytest.approx(60.5, abs=0.3)
    assert res[1].score is None and res[1].eye_x is None and res[1].confidence == 0.0
    for r in (res[0], res[2]):
        assert 0.0 <= r.score <= 9.0 and r.confidence > 0.9
    # deterministic, and independent of the other crops in the batch
    again = runner.infer(crops[:1])
    assert again[0] == res[0]


def test_random_unet_any_input_size_and_empty_batch():
    torch.manual_seed(1)
    runner = LocalRunner(UNet(widths=(4, 8), input_size=64), OrbitalNet(), backend="torch")
    assert runner.infer(np.zeros((0, 256, 256, 3), np.uint8)) == []
    crops = np.random.default_rng(0).integers(0, 255, (2, 256, 256, 3), dtype=np.uint8)
    a, b = runner.infer(crops), runner.infer(crops)
    assert a == b and len(a) == 2
    for r in a:
        assert (r.score is None) == (not r.eye_visible)
    info = runner.info()
    assert info.backend == "local" and info.roi_size == 256 and info.seg_model["model_args"]["input_size"] == 64
    with pytest.raises(ValueError):
        runner.infer(np.zeros((1, 128, 128, 3), np.uint8))


def test_from_checkpoints_and_load_runner(tmp_path):
    torch.manual_seed(2)
    seg = save_checkpoint(UNet(widths=(4, 8), input_size=64), tmp_path / "seg.pt", {"name": "tiny"})
    sc = save_checkpoint(OrbitalNet(), tmp_path / "score.pt")
    runner = load_runner(seg=seg, score=sc, device="cpu", backend="torch")
    info = runner.info()
    assert info.seg_model["name"] == "tiny" and len(info.seg_model["sha256"]) == 64
    assert len(runner.infer(white_crops(2))) == 2


@pytest.mark.slow
def test_onnx_backend_matches_torch(tmp_path, monkeypatch):
    monkeypatch.setenv("MGS_CACHE_DIR", str(tmp_path))
    torch.manual_seed(3)
    seg, sc = UNet(widths=(4, 8), input_size=64), OrbitalNet()
    onnx = LocalRunner(seg, sc, backend="onnx")
    if onnx.backend != "onnx":
        pytest.skip(onnx.backend_note)
    ref = LocalRunner(seg, sc, backend="torch")
    crops = np.random.default_rng(0).integers(0, 255, (3, 256, 256, 3), dtype=np.uint8)
    (la, pa), (lb, pb) = onnx.segment(crops), ref.segment(crops)
    assert np.abs(pa - pb).max() < 1e-4 and (la != lb).mean() < 1e-3
    patches = crops[:, :50, :50]
    np.testing.assert_allclose(onnx.score_patches(patches), ref.score_patches(patches), atol=1e-3)
    assert list((tmp_path / "onnx").glob("*.onnx"))


def test_flip_tta_averages_a_patch_and_its_mirror(tmp_path):
    torch.manual_seed(0)
    score = OrbitalNet(patch="scaled", patch_k=1.5, flip_tta=True).eval()
    assert score.model_args["flip_tta"] is True
    r = LocalRunner(UNet(widths=(4, 8), input_size=64, keypoint=True), score, backend="torch")
    patches = np.random.default_rng(0).integers(0, 255, (3, 50, 50, 3), dtype=np.uint8)
    with torch.inference_mode():
        x = torch.from_numpy(patches).permute(0, 3, 1, 2).float() / 255.0
        want = 0.5 * (score(x) + score(torch.flip(x, dims=[3])))
    assert np.allclose(r.score_patches(patches), want.numpy(), atol=1e-5)
    path = save_checkpoint(score, tmp_path / "score.pt")
    from mgs_core.models import load_checkpoint

    assert load_checkpoint(path, kind="orbital")[0].flip_tta is True


def test_score_shift_averages_the_shifted_patches(tmp_path):
    from mgs_core.patches import shift_views

    torch.manual_seed(0)
    score = OrbitalNet(patch="scaled", patch_k=1.5, flip_tta=True).eval()
    r = LocalRunner(UNet(widths=(4, 8), input_size=64, keypoint=True), score, backend="torch", score_shift=1.0)
    crops = np.random.default_rng(1).integers(0, 255, (2, 256, 256, 3), dtype=np.uint8)
    eyes = [(100.0, 90.0, 30.0), (50.0, 160.0, 12.0)]
    got = r._scores(crops, [0, 1], eyes)
    from mgs_core.patches import eye_patches

    want = np.mean([r.score_patches(eye_patches(crops, v, "scaled", 1.5)) for v in shift_views(eyes, 1.0, "scaled",
                                                                                                 1.5)], 0)
    assert [got[0], got[1]] == pytest.approx(np.clip(want, 0, 9).tolist(), abs=1e-5)
    r.score_shift = 0.0
    plain = r._scores(crops, [0, 1], eyes)
    assert plain[0] == pytest.approx(float(np.clip(r.score_patches(eye_patches(crops[:1], eyes[:1], "scaled", 1.5))[0],
                                                   0, 9)), abs=1e-5)
    # the card's tta.shift_px is what from_checkpoints uses
    seg_path = save_checkpoint(UNet(widths=(4, 8), input_size=64, keypoint=True), tmp_path / "seg.pt")
    score_path = save_checkpoint(score, tmp_path / "score.pt", {"tta": {"shift_px": 1.5}})
    assert LocalRunner.from_checkpoints(seg_path, score_path, backend="torch", check=None).score_shift == 1.5


def test_score_eyes_is_what_infer_scores():
    torch.manual_seed(1)
    r = LocalRunner(UNet(widths=(4, 8), input_size=64, keypoint=True), OrbitalNet(patch="scaled", patch_k=1.5,
                                                                                  flip_tta=True).eval(),
                    backend="torch", score_shift=1.0)
    crops = np.random.default_rng(2).integers(0, 255, (2, 256, 256, 3), dtype=np.uint8)
    eyes = [(100.0, 90.0, 30.0), (50.0, 160.0, 12.0)]
    got = r._scores(crops, [0, 1], eyes)
    assert r.score_eyes(crops, eyes).tolist() == pytest.approx([got[0], got[1]], abs=1e-6)
    assert r.score_eyes(crops[:0], []).shape == (0,)
