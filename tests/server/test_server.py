"""A real server process (the deterministic FakeRunner behind InferenceServer) on a free loopback port."""
import json
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import zmq

from mgs_core.errors import ServerError
from mgs_core.runners.zmq_client import ZmqRunner
from mgs_core.server.process import ServerProcess, free_tcp_port
from mgs_core.server.protocol import PROTOCOL_VERSION
from tests.server.fake_runner import FAIL_VALUE, FakeRunner

ROOT = Path(__file__).resolve().parents[2]
S = 32  # small crops keep these tests fast; the protocol does not care about the size


def fake_server(address, *extra, client_kwargs=None):
    cmd = [sys.executable, "-m", "tests.server.fake_runner", "--bind", address, "--roi-size", str(S), *extra]
    return ServerProcess(cmd, address, env={"PYTHONPATH": str(ROOT)}, client_kwargs=client_kwargs)


@pytest.fixture(scope="module")
def server():
    address = f"tcp://127.0.0.1:{free_tcp_port()}"
    proc = fake_server(address, "--max-rois", "8", "--max-batch", "16")
    try:
        proc.start(timeout_s=30)
        yield proc
    finally:
        proc.cleanup()


def crops(n, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, S, S, 3), dtype=np.uint8)


def raw_request(sock, header, *data):
    sock.send_multipart([json.dumps(header).encode() if isinstance(header, dict) else header, *data])
    assert sock.poll(5000), "server did not answer"
    (reply,) = sock.recv_multipart()
    return json.loads(reply)


def test_results_info_and_health_match_the_in_process_runner(server):
    batch = crops(5)
    batch[2] = 0  # no eye -> not scored
    with ZmqRunner(server.address) as client:
        assert client.infer(batch) == FakeRunner(S).infer(batch)
        assert client.infer(batch[:0]) == []
        info = client.info()
        assert info.backend == "zmq" and info.roi_size == S and info.address == server.address
        assert info.seg_model["kind"] == "fake-seg"
        assert client.last_model == "aaaaaaaaaaaa+bbbbbbbbbbbb"
        health = client.health()
        assert health.status == "ok" and health.requests >= 1 and health.max_rois == 8


def test_hostile_messages_get_error_replies_while_others_are_served(server):
    ctx = zmq.Context()
    bad = ctx.socket(zmq.DEALER)
    bad.setsockopt(zmq.LINGER, 0)
    bad.connect(server.address)
    good = ZmqRunner(server.address)
    try:
        ok = {"protocol": PROTOCOL_VERSION, "type": "infer", "request_id": "x", "shape": [1, S, S, 3], "dtype": "uint8"}
        one = crops(1).tobytes()
        cases = [
            (b"not json at all", (one,), None, "JSON"),
            ({**ok, "protocol": 99}, (one,), "x", "protocol version 99"),
            ({**ok, "shape": [1, 2 * S, 2 * S, 3]}, (crops(4).tobytes(),), "x", f"{S}x{S}"),  # oversized ROI
            ({**ok, "shape": [9, S, S, 3]}, (crops(9).tobytes(),), "x", "at most 8"),  # too many ROIs
            ({**ok, "dtype": "float64"}, (one,), "x", "dtype"),
            (ok, (one[:-5],), "x", "bytes"),
            (ok, (), "x", "exactly 2 frames"),
        ]
        expected = FakeRunner(S).infer(crops(2, seed=3))
        for header, data, rid, message in cases:
            reply = raw_request(bad, header, *data)
            assert reply["ok"] is False and reply["code"] == "bad_request"
            assert message in reply["error"] and reply["request_id"] == rid
            assert good.infer(crops(2, seed=3)) == expected  # the other client is unaffected
        # a runner failure is an error reply too, and the server carries on
        with pytest.raises(ServerError, match="fake runner asked to fail"):
            good.infer(np.full((1, S, S, 3), FAIL_VALUE, np.uint8))
        assert good.infer(crops(2, seed=3)) == expected
        assert good.health().errors >= len(cases) + 1
    finally:
        good.close()
        bad.close()
        ctx.term()


def test_a_req_socket_client_is_served_too(server):
    ctx = zmq.Context()
    req = ctx.socket(zmq.REQ)
    req.setsockopt(zmq.LINGER, 0)
    req.connect(server.address)
    try:
        reply = raw_request(req, {"protocol": PROTOCOL_VERSION, "type": "info", "request_id": "i"})
        assert reply["ok"] and reply["info"]["roi_size"] == S
    finally:
        req.close()
        ctx.term()


def test_requests_of_concurrent_clients_are_batched():
    address = f"tcp://127.0.0.1:{free_tcp_port()}"
    with fake_server(address, "--delay", "0.5", "--max-batch", "16") as proc:
        proc.start(timeout_s=30)
        clients = [ZmqRunner(address) for _ in range(4)]
        out, errors = {}, []

        def work(i):
            try:
                out[i] = clients[i].infer(crops(2, seed=i))
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        try:
            assert not errors
            for i in range(4):  # each client gets its own results back
                assert out[i] == FakeRunner(S).infer(crops(2, seed=i))
            health = clients[0].health()
            assert health.requests == 4 and health.crops == 8
            assert health.batches < 4  # requests of different clients shared model calls
            # heartbeats keep a slow-but-alive server from being declared dead (0.5 s model call > timeout 0.3 s)
            slow = ZmqRunner(address, timeout_s=0.3, heartbeat_s=0.05)
            try:
                assert slow.infer(crops(1)) == FakeRunner(S).infer(crops(1))
            finally:
                slow.close()
        finally:
            for c in clients:
                c.close()


def test_sigterm_stops_the_server_cleanly():
    address = f"tcp://127.0.0.1:{free_tcp_port()}"
    with fake_server(address) as proc:
        proc.start(timeout_s=30)
        assert proc.stop(timeout_s=10) == 0
        assert "stopped after" in proc.log_tail()


def test_in_process_server_stops_and_reports_a_busy_port():
    from mgs_core.errors import InputError
    from mgs_core.server.server import InferenceServer, ServerConfig

    address = f"tcp://127.0.0.1:{free_tcp_port()}"
    server = InferenceServer(FakeRunner(S), ServerConfig(bind=address, max_rois=8))
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        assert server.wait_ready(10) and server.endpoint == address
        with ZmqRunner(address) as client:
            assert client.infer(crops(3)) == FakeRunner(S).infer(crops(3))
        with pytest.raises(InputError, match="cannot bind"):
            InferenceServer(FakeRunner(S), ServerConfig(bind=address)).serve()
    finally:
        server.stop()
        thread.join(10)
    assert not thread.is_alive()


def test_large_requests_run_in_chunks_and_overload_gets_busy_replies():
    from mgs_core.server.server import InferenceServer, ServerConfig

    address = f"tcp://127.0.0.1:{free_tcp_port()}"
    runner = FakeRunner(S, delay_s=0.2)
    server = InferenceServer(runner, ServerConfig(bind=address, max_batch=3, max_rois=8, max_pending_crops=8))
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    ctx = zmq.Context()
    raw = ctx.socket(zmq.DEALER)
    raw.setsockopt(zmq.LINGER, 0)
    try:
        assert server.wait_ready(10)
        with ZmqRunner(address) as client:
            assert client.infer(crops(8)) == FakeRunner(S).infer(crops(8))
            assert runner.calls == [3, 3, 2]  # max_batch crops per model call
        raw.connect(address)
        data = crops(8).tobytes()
        for i in range(3):
            raw.send_multipart([json.dumps({"protocol": PROTOCOL_VERSION, "type": "infer", "request_id": f"r{i}",
                                            "shape": [8, S, S, 3], "dtype": "uint8"}).encode(), data])
        replies = []
        for _ in range(3):
            assert raw.poll(10_000)
            replies.append(json.loads(raw.recv_multipart()[0]))
        codes = sorted("ok" if r["ok"] else r["code"] for r in replies)
        assert "ok" in codes and "busy" in codes and set(codes) <= {"ok", "busy"}
    finally:
        raw.close()
        ctx.term()
        server.stop()
        thread.join(10)
