"""`mgs serve` with real (small, fixed random-weight) checkpoints gives exactly the local runner's results."""
import numpy as np
import pytest
import torch
from torch import nn

from mgs_core.eyes import EYE_CLASS
from mgs_core.models import OrbitalNet, UNet, save_checkpoint
from mgs_core.runners import load_runner
from mgs_core.runners.local import LocalRunner
from mgs_core.server.process import ServerProcess, free_tcp_port, read_rss_kb, serve_command


def small_checkpoints(tmp_path):
    """A tiny U-Net whose eye class wins on ~3% of pixels (so eyes are found and scored), and a regressor shifted
    to mid-scale. Fixed seed: the same weights every run."""
    torch.manual_seed(0)
    seg, score = UNet(widths=(4, 8), input_size=64).eval(), OrbitalNet().eval()
    x = torch.from_numpy(disc_crops()[:, ::4, ::4].transpose(0, 3, 1, 2).astype(np.float32) / 255)
    with torch.no_grad():
        logits = seg(x)
        others = torch.cat([logits[:, :EYE_CLASS], logits[:, EYE_CLASS + 1:]], 1).max(1).values
        seg.head.bias[EYE_CLASS] -= float(torch.quantile((logits[:, EYE_CLASS] - others).flatten(), 0.97))
        seg.head.weight *= 50
        seg.head.bias *= 50
        [m for m in score.modules() if isinstance(m, nn.Linear)][-1].bias += 4.5
    return save_checkpoint(seg, tmp_path / "seg.pt"), save_checkpoint(score, tmp_path / "score.pt")


def disc_crops(n=6):
    rng = np.random.default_rng(0)
    out = np.full((n, 256, 256, 3), 200, np.uint8)
    yy, xx = np.mgrid[:256, :256]
    for img in out:
        cx, cy, r = rng.uniform(60, 190), rng.uniform(60, 190), rng.uniform(10, 25)
        img[(xx - cx) ** 2 + (yy - cy) ** 2 <= r * r] = 20
    return out


@pytest.mark.slow
def test_mgs_serve_matches_local_runner(tmp_path):
    seg, score = small_checkpoints(tmp_path)
    crops = disc_crops()
    local = LocalRunner.from_checkpoints(seg, score, device="cpu", backend="torch")
    expected = local.infer(crops)
    assert any(r.score is not None for r in expected)  # the comparison covers scored crops
    address = f"tcp://127.0.0.1:{free_tcp_port()}"
    cmd = serve_command(address, seg=seg, score=score, device="cpu", backend="torch", max_batch=8)
    with ServerProcess(cmd, address) as proc:
        proc.start(timeout_s=60)
        assert read_rss_kb(proc.pid) > 0
        with load_runner(server=address) as remote:
            assert remote.infer(crops) == expected
            assert remote.infer(crops[:2]) == local.infer(crops[:2])
            info = remote.info()
            assert info.backend == "zmq" and info.roi_size == 256
            assert info.seg_model["sha256"] == local.info().seg_model["sha256"]
            assert "path" not in info.seg_model and "path" not in info.score_model  # no server paths leak
        assert proc.stop() == 0
