"""`mgs serve` with the shipped checkpoints gives exactly the local runner's results on rendered mice."""
import numpy as np
import pytest

from mgs_core.models import default_weight_paths
from mgs_core.runners import load_runner
from mgs_core.runners.local import LocalRunner
from mgs_core.server.process import ServerProcess, free_tcp_port, read_rss_kb, serve_command


def rendered_crops(n=6):
    """ROI crops of rendered mice (test seed range), so the shipped networks find and score eyes in them."""
    from mgs_core.synth.dataset import render_item

    return np.stack([render_item(seed=11, index=i).image for i in range(n)])


@pytest.mark.slow
def test_mgs_serve_matches_local_runner(tmp_path):
    seg, score = default_weight_paths()
    crops = rendered_crops()
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
