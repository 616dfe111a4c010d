"""`mgs score --server` rides out `kill -9` of `mgs serve` and its restart: exit 0, the same table as a local run."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from mgs_core.cli import main
from mgs_core.errors import ServerError
from mgs_core.io.results import load_scores
from mgs_core.io.rois import load_rois, save_rois
from mgs_core.models import default_weight_paths
from mgs_core.runners.zmq_client import ZmqRunner
from mgs_core.server.process import ServerProcess, free_tcp_port, serve_command
from mgs_core.types import BEHAVIOUR_STATUSES, UNSCORED_SERVER, RoiSet

ROOT = Path(__file__).resolve().parents[2]
VIDEO, ROIS = ROOT / "sample_data" / "demo.mp4", ROOT / "sample_data" / "demo.rois.json"
FRAMES = 24


def served_requests(address) -> int:
    with ZmqRunner(address, timeout_s=0.5, retry_window_s=0) as probe:
        try:
            return probe.health().requests
        except ServerError:
            return -1


@pytest.mark.slow
def test_score_survives_kill_9_and_restart_of_the_server(tmp_path):
    seg, score = default_weight_paths()
    two = load_rois(ROIS)  # one ROI keeps the three model loads and two runs short
    rois = save_rois(RoiSet(two.rois[:1], two.frame_width, two.frame_height), tmp_path / "one.rois.json")
    args = [str(VIDEO), "--rois", str(rois), "--max-frames", str(FRAMES), "--chunk", "4", "--quiet"]
    assert main(["score", *args, "--out", str(tmp_path / "local"), "--backend", "torch", "--device", "cpu"]) == 0
    local = load_scores(tmp_path / "local" / "demo.csv")

    address = f"tcp://127.0.0.1:{free_tcp_port()}"
    cmd = serve_command(address, seg=seg, score=score, device="cpu", backend="torch", max_batch=8,
                        extra=["--quiet"])
    first, second = ServerProcess(cmd, address), ServerProcess(cmd, address)
    scorer = None
    try:
        first.start(timeout_s=120)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "MGS_SERVER_RETRY_S": "60"}
        scorer = subprocess.Popen([sys.executable, "-m", "mgs_core.cli", "score", *args, "--server", address,
                                   "--out", str(tmp_path / "remote")], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while served_requests(address) < 6:  # well into the run
            assert scorer.poll() is None, scorer.communicate()
            assert time.monotonic() < deadline, "scoring did not start"
            time.sleep(0.2)
        first.kill()  # SIGKILL mid-run: no goodbye
        killed_at = time.monotonic()
        time.sleep(1.0)
        second_started = time.monotonic()
        second.start(timeout_s=120)
        assert second_started - killed_at < 5.0
        out, err = scorer.communicate(timeout=300)
        assert scorer.returncode == 0, (out, err)
        assert second.stop() == 0
    finally:
        if scorer is not None and scorer.poll() is None:
            scorer.kill()
            scorer.wait(10)
        first.cleanup()
        second.cleanup()
    remote = load_scores(tmp_path / "remote" / "demo.csv")
    assert remote["frame"].nunique() == FRAMES
    # the client waited for the new server, so no frame was lost: nothing is unscored_server, all equal the local run
    assert remote["status"].isin(BEHAVIOUR_STATUSES).all() and not (remote["status"] == UNSCORED_SERVER).any()
    pd.testing.assert_frame_equal(remote, local)
