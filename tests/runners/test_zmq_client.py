"""ZmqRunner against real server processes: crash/restart without losing the client, and CURVE allow-lists."""
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from mgs_core.errors import ServerError
from mgs_core.runners.zmq_client import ZmqRunner
from mgs_core.server.keys import generate_keypair
from mgs_core.server.process import ServerProcess, free_tcp_port
from tests.server.fake_runner import FakeRunner

ROOT = Path(__file__).resolve().parents[2]
S = 32


def fake_server(address, *extra, client_kwargs=None):
    cmd = [sys.executable, "-m", "tests.server.fake_runner", "--bind", address, "--roi-size", str(S), *extra]
    return ServerProcess(cmd, address, env={"PYTHONPATH": str(ROOT)}, client_kwargs=client_kwargs)


def crops(n, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, S, S, 3), dtype=np.uint8)


@pytest.mark.slow
def test_server_killed_and_restarted_mid_stream_loses_no_client():
    address = f"tcp://127.0.0.1:{free_tcp_port()}"
    expected = FakeRunner(S).infer(crops(4))
    first = fake_server(address)
    second = fake_server(address)
    client = ZmqRunner(address, timeout_s=0.5, retries=1, retry_window_s=0)  # no waiting: the gap shows at once
    try:
        first.start(timeout_s=30)
        for _ in range(5):
            assert client.infer(crops(4)) == expected
        first.kill()  # SIGKILL: a crash, no goodbye
        failures = []
        for _ in range(3):  # the gap: every call fails fast with ServerError, none invents a result
            t0 = time.monotonic()
            with pytest.raises(ServerError, match="unreachable"):
                client.infer(crops(4))
            failures.append(time.monotonic() - t0)
        assert max(failures) < 2.5, failures  # ~1 s nominal; slack for a loaded CI machine
        # through the pipeline the gap is an unscored frame with the reason, never a made-up score
        from mgs_core.pipeline import Pipeline
        from mgs_core.types import Roi, RoiSet

        frame = np.random.default_rng(1).integers(0, 256, (48, 96, 3), dtype=np.uint8)
        rois = RoiSet((Roi("a", 0, 0, 48, 48), Roi("b", 48, 0, 48, 48)), 96, 48)
        gap = Pipeline(client, roi_size=S).process(frame, rois, frame_index=7)
        assert gap.error and "unreachable" in gap.error
        assert [(r.score, r.eye_visible) for r in gap.rois] == [(None, False), (None, False)]
        second.start(timeout_s=30)
        # the same client object reconnects by itself and carries on
        deadline = time.monotonic() + 10
        while True:
            try:
                result = client.infer(crops(4))
                break
            except ServerError:
                assert time.monotonic() < deadline, "client did not reconnect"
        assert result == expected
        assert client.infer(crops(4)) == expected
        scored = Pipeline(client, roi_size=S).process(frame, rois, frame_index=8)
        assert scored.error is None and all(r.score is not None for r in scored.rois)
    finally:
        client.close()
        first.cleanup()
        second.cleanup()


def test_unreachable_server_raises_server_error_quickly():
    address = f"tcp://127.0.0.1:{free_tcp_port()}"  # nobody listens here
    with ZmqRunner(address, timeout_s=0.3, retry_window_s=0) as client:
        t0 = time.monotonic()
        with pytest.raises(ServerError, match="unreachable"):
            client.infer(crops(1))
        assert time.monotonic() - t0 < 1.5
        with pytest.raises(ServerError):
            client.info()


@pytest.mark.slow
def test_a_request_rides_out_a_restart_within_the_retry_window():
    """kill -9, a new server 3 s later: the call in progress just takes longer and returns the true result."""
    address = f"tcp://127.0.0.1:{free_tcp_port()}"
    expected = FakeRunner(S).infer(crops(4))
    first, second = fake_server(address), fake_server(address)
    client = ZmqRunner(address, timeout_s=0.5, retry_window_s=15)
    try:
        first.start(timeout_s=30)
        assert client.infer(crops(4)) == expected
        first.kill()
        restarter = threading.Timer(3.0, lambda: second.start(timeout_s=30))
        restarter.start()
        t0 = time.monotonic()
        assert client.infer(crops(4)) == expected  # waited for the new server, no error, nothing invented
        waited = time.monotonic() - t0
        restarter.join(40)
        assert 2.5 < waited < 15, waited
        assert client.infer(crops(4)) == expected
    finally:
        client.close()
        first.cleanup()
        second.cleanup()


def test_after_the_window_the_request_fails_and_later_ones_fail_fast_until_the_server_is_back():
    address = f"tcp://127.0.0.1:{free_tcp_port()}"  # nobody listens here (yet)
    with ZmqRunner(address, timeout_s=0.3, retry_window_s=1.5) as client:
        t0 = time.monotonic()
        with pytest.raises(ServerError, match=r"unreachable.*retried for"):
            client.infer(crops(1))
        assert 1.4 < time.monotonic() - t0 < 4.0
        t0 = time.monotonic()
        with pytest.raises(ServerError, match="unreachable"):  # still down: one attempt, not another window
            client.infer(crops(1))
        assert time.monotonic() - t0 < 1.5
        with fake_server(address) as proc:
            proc.start(timeout_s=30)
            deadline = time.monotonic() + 15
            while True:  # back: each call is one short attempt until the socket has reconnected, then scored again
                try:
                    assert client.infer(crops(1)) == FakeRunner(S).infer(crops(1))
                    break
                except ServerError:
                    assert time.monotonic() < deadline, "client did not reconnect"
            assert client._outage_since is None  # the window is armed again for the next outage


def test_retry_window_from_the_environment(monkeypatch):
    monkeypatch.setenv("MGS_SERVER_RETRY_S", "7.5")
    with ZmqRunner("tcp://127.0.0.1:5555") as client:
        assert client.retry_window_s == 7.5
    monkeypatch.setenv("MGS_SERVER_RETRY_S", "soon")
    with pytest.raises(ServerError, match="MGS_SERVER_RETRY_S"):
        ZmqRunner("tcp://127.0.0.1:5555")
    monkeypatch.delenv("MGS_SERVER_RETRY_S")
    with ZmqRunner("tcp://127.0.0.1:5555") as client:
        assert client.retry_window_s >= 15


def test_curve_allow_list_refuses_unknown_clients(tmp_path):
    server_keys = generate_keypair(tmp_path / "server", "server")
    allowed = generate_keypair(tmp_path / "allowed", "rig1")
    stranger = generate_keypair(tmp_path / "stranger", "rig2")
    allow_dir = tmp_path / "allow"
    allow_dir.mkdir()
    (allow_dir / "rig1.key").write_bytes(allowed.public.read_bytes())
    address = f"tcp://127.0.0.1:{free_tcp_port()}"
    good_kw = {"server_public_key": server_keys.public, "client_secret_key_file": allowed.secret}
    with fake_server(address, "--keys", str(server_keys.secret), "--allow", str(allow_dir),
                     client_kwargs=good_kw) as proc:
        proc.start(timeout_s=30)
        with ZmqRunner(address, **good_kw) as good:
            assert good.infer(crops(2)) == FakeRunner(S).infer(crops(2))
        bad_kw = {"server_public_key": server_keys.public, "client_secret_key_file": stranger.secret}
        for kw, reason in ((bad_kw, "refused this client's key"), ({}, "handshake failed")):
            with ZmqRunner(address, timeout_s=0.5, retry_window_s=0, **kw) as refused:  # unknown key; no key at all
                t0 = time.monotonic()
                with pytest.raises(ServerError, match=reason):
                    refused.infer(crops(2))
                assert time.monotonic() - t0 < 2.0
        with ZmqRunner(address, **good_kw) as good:  # still serving allowed clients
            assert good.health().status == "ok"


def test_client_argument_errors(tmp_path):
    with pytest.raises(ServerError, match="needs CURVE keys"):
        ZmqRunner("tcp://10.1.2.3:5555")
    with pytest.raises(ServerError, match="both"):
        ZmqRunner("tcp://127.0.0.1:5555", server_public_key="x" * 40)
    with ZmqRunner("tcp://127.0.0.1:5555") as client:
        with pytest.raises(ServerError, match="uint8"):
            client.infer(np.zeros((1, S, S, 3), np.float32))
    client.close()  # twice is fine
    with pytest.raises(ServerError, match="closed"):
        client.infer(crops(1))
