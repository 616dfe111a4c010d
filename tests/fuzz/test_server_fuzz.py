"""1,000 hypothesis-made messages against a live server process: each gets one error reply (or a real answer when
it happens to be valid), the process never exits, and another client is served all along."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import zmq
from hypothesis import given, settings

from mgs_core.runners.zmq_client import ZmqRunner
from mgs_core.server.process import ServerProcess, free_tcp_port
from tests.fuzz.strategies import messages
from tests.server.fake_runner import FakeRunner

ROOT = Path(__file__).resolve().parents[2]
S = 32
N_MESSAGES = 1000


@pytest.fixture(scope="module")
def live():
    address = f"tcp://127.0.0.1:{free_tcp_port()}"
    cmd = [sys.executable, "-m", "tests.server.fake_runner", "--bind", address, "--roi-size", str(S),
           "--max-rois", "4"]
    proc = ServerProcess(cmd, address, env={"PYTHONPATH": str(ROOT)})
    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    try:
        proc.start(timeout_s=30)
        sock.connect(address)
        good = ZmqRunner(address, retry_window_s=0)
        yield proc, sock, good
        good.close()
    finally:
        sock.close()
        ctx.term()
        proc.cleanup()


@pytest.mark.slow
def test_random_messages_each_get_a_reply_and_the_server_keeps_serving(live):
    proc, sock, good = live
    batch = np.random.default_rng(0).integers(0, 256, (2, S, S, 3), dtype=np.uint8)
    expected = FakeRunner(S).infer(batch)
    seen = {"n": 0, "errors": 0}

    @settings(max_examples=N_MESSAGES)
    @given(messages())
    def one(frames):
        sock.send_multipart(frames)
        assert sock.poll(10_000), f"no reply to {frames!r:.200}"
        reply = json.loads(sock.recv_multipart()[-1])  # a leading empty frame is kept as a REQ delimiter
        assert isinstance(reply["ok"], bool)
        if not reply["ok"]:
            assert reply["code"] in ("bad_request", "busy") and reply["error"], reply
            seen["errors"] += 1
        seen["n"] += 1
        if seen["n"] % 100 == 0:
            assert good.infer(batch) == expected
        assert not sock.poll(0), "more than one reply"

    one()
    assert seen["n"] >= N_MESSAGES and seen["errors"] >= 0.9 * seen["n"]
    assert proc.proc.poll() is None
    assert good.infer(batch) == expected and good.health().status == "ok"
    assert "Traceback" not in proc.log_tail(200)
