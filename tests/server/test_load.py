import sys
from pathlib import Path

import numpy as np

from mgs_core.server.load import bench_crops, local_throughput, run_clients
from mgs_core.server.process import ServerProcess, free_tcp_port, read_rss_kb
from tests.server.fake_runner import FakeRunner

ROOT = Path(__file__).resolve().parents[2]


def test_load_clients_are_bounded_and_error_free():
    address = f"tcp://127.0.0.1:{free_tcp_port()}"
    cmd = [sys.executable, "-m", "tests.server.fake_runner", "--bind", address, "--roi-size", "32"]
    crops = bench_crops(3, size=32)
    assert crops.shape == (3, 32, 32, 3) and crops.dtype == np.uint8
    with ServerProcess(cmd, address, env={"PYTHONPATH": str(ROOT)}) as proc:
        proc.start(timeout_s=30)
        assert read_rss_kb(proc.pid) > 1000
        stats, elapsed = run_clients(address, clients=3, seconds=5.0, crops=crops, max_requests=10)
    assert len(stats) == 3 and elapsed < 5.0  # the request cap ended it, not the clock
    assert all(s.requests == 10 and s.errors == 0 and s.crops == 30 for s in stats)
    assert all(len(s.latencies_ms) == 10 and min(s.latencies_ms) > 0 for s in stats)


def test_local_throughput_counts_crops():
    assert local_throughput(FakeRunner(32), bench_crops(2, size=32), seconds=0.2, max_calls=5) > 0
