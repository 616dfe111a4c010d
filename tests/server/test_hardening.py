"""A real server process on loopback against hostile and greedy clients: it answers, keeps serving, stays fair."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import zmq

from mgs_core.cli import main
from mgs_core.errors import ServerError
from mgs_core.runners.zmq_client import ZmqRunner
from mgs_core.server import flood
from mgs_core.server.keys import generate_keypair
from mgs_core.server.load import wait_idle
from mgs_core.server.process import ServerProcess, free_tcp_port, read_rss_kb
from mgs_core.server.protocol import PROTOCOL_VERSION
from tests.server.fake_runner import ODD_VALUE, FakeRunner

ROOT = Path(__file__).resolve().parents[2]
S = 32


def fake_server(address, *extra, roi_size=S, client_kwargs=None):
    cmd = [sys.executable, "-m", "tests.server.fake_runner", "--bind", address, "--roi-size", str(roi_size), *extra]
    return ServerProcess(cmd, address, env={"PYTHONPATH": str(ROOT)}, client_kwargs=client_kwargs)


def crops(n, seed=0, size=S):
    return np.random.default_rng(seed).integers(0, 256, (n, size, size, 3), dtype=np.uint8)


def dealer(ctx, address):
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(address)
    return sock


def ask(sock, *frames, timeout_ms=5000):
    sock.send_multipart(list(frames))
    assert sock.poll(timeout_ms), "server did not answer"
    (reply,) = sock.recv_multipart()
    return json.loads(reply)


def test_deeply_nested_header_gets_an_error_reply_and_the_server_keeps_serving():
    address = f"tcp://127.0.0.1:{free_tcp_port()}"
    expected = FakeRunner(S).infer(crops(2))
    with fake_server(address) as proc:
        proc.start(timeout_s=30)
        ctx = zmq.Context()
        bad = dealer(ctx, address)
        try:
            for payload in (b"[" * 2040 + b"]" * 2040, b"{\"a\":" * 1000 + b"1" + b"}" * 1000,
                            b"{" + b",".join(b'"k%d":1' % i for i in range(200)) + b"}"):
                assert len(payload) <= 4096 or payload.startswith(b"{\"a\"")
                reply = ask(bad, payload[:4096])
                assert reply["ok"] is False and reply["code"] == "bad_request"
                assert "nests deeper" in reply["error"] or "keys" in reply["error"]
            with ZmqRunner(address) as good:
                assert good.infer(crops(2)) == expected
            assert proc.proc.poll() is None
        finally:
            bad.close()
            ctx.term()


def test_a_runner_raising_anything_gets_an_error_reply_and_the_server_carries_on():
    address = f"tcp://127.0.0.1:{free_tcp_port()}"
    with fake_server(address) as proc:
        proc.start(timeout_s=30)
        with ZmqRunner(address) as client:
            with pytest.raises(ServerError, match="RecursionError"):
                client.infer(np.full((1, S, S, 3), ODD_VALUE, np.uint8))
            assert client.infer(crops(3)) == FakeRunner(S).infer(crops(3))
        assert proc.proc.poll() is None


def test_an_unexpected_exception_while_handling_becomes_an_internal_reply_with_a_log_id(monkeypatch, caplog):
    """The guard around every message: a bug in request handling answers `internal` and the loop goes on."""
    from mgs_core.server import protocol
    from mgs_core.server.server import InferenceServer, ServerConfig

    real = protocol.decode_request

    def buggy(frames, limits):
        if frames and bytes(frames[0].bytes) == b"trigger":
            raise TypeError("a bug nobody foresaw")
        return real(frames, limits)

    monkeypatch.setattr(protocol, "decode_request", buggy)
    address = f"tcp://127.0.0.1:{free_tcp_port()}"
    server = InferenceServer(FakeRunner(S), ServerConfig(bind=address, max_rois=8))
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    ctx = zmq.Context()
    sock = dealer(ctx, address)
    try:
        assert server.wait_ready(10)
        reply = ask(sock, b"trigger")
        assert reply["ok"] is False and reply["code"] == "internal" and "logged as srv-" in reply["error"]
        ref = reply["error"].split("logged as ")[1].rstrip(")")
        assert any(ref in r.getMessage() and "TypeError" in r.getMessage() for r in caplog.records)
        with ZmqRunner(address) as client:
            assert client.infer(crops(2)) == FakeRunner(S).infer(crops(2))
    finally:
        sock.close()
        ctx.term()
        server.stop()
        thread.join(10)
    assert not thread.is_alive()


def rate(client, batch, seconds, calls=None):
    n, t0 = 0, time.monotonic()
    while time.monotonic() - t0 < seconds:
        client.infer(batch)
        n += 1
    if calls is not None:
        calls.append(n)
    return n / (time.monotonic() - t0)


@pytest.mark.slow
def test_one_flooding_client_cannot_starve_another_or_grow_memory():
    size = 128  # a 64-crop request is 3.1 MB
    address = f"tcp://127.0.0.1:{free_tcp_port()}"
    # a model-like cost that dominates the messaging, as the networks do on this CPU: 100 ms per call + 20 ms a crop
    with fake_server(address, "--max-rois", "64", "--max-batch", "16", "--delay", "0.1", "--per-crop", "0.02",
                     roi_size=size) as proc:
        proc.start(timeout_s=30)
        good_batch = crops(4, size=size)
        with ZmqRunner(address) as good:
            rate(good, good_batch, 1.0)  # warm up
            baseline_kb = read_rss_kb(proc.pid)
            unloaded = rate(good, good_batch, 4.0)
            served_before, good_calls = good.health().requests, []
            flooder = subprocess.Popen(flood.command(address, 8, 64, size), stdout=subprocess.PIPE, text=True,
                                       env={**os.environ, "PYTHONPATH": str(ROOT)})
            try:
                time.sleep(1.5)
                loaded = rate(good, good_batch, 5.0, good_calls)
                peak_kb = read_rss_kb(proc.pid)
                out, _ = flooder.communicate(timeout=30)
            finally:
                if flooder.poll() is None:
                    flooder.kill()
                    flooder.wait(10)
            counts = json.loads(out)
            wait_idle(good)  # the flood's admitted requests are answered, then the server is idle
            flood_served = good.health().requests - served_before - good_calls[0]
            time.sleep(3.0)
            after_kb = read_rss_kb(proc.pid)
            assert good.infer(good_batch) == FakeRunner(size).infer(good_batch)
        print(f"good client: {unloaded:.1f} -> {loaded:.1f} requests/s under flood; flooder {counts}, {flood_served} served; RSS {baseline_kb / 1024:.0f} -> peak {peak_kb / 1024:.0f} "
              f"-> {after_kb / 1024:.0f} MiB")
        # the flooder was served (some answers may come after it left) within its budget, and refused beyond it
        assert flood_served >= 1 and counts["busy"] > 0 and counts["other"] == 0
        assert loaded >= 0.5 * unloaded
        assert after_kb - baseline_kb < 50 * 1024


def test_per_client_budget_answers_busy_beyond_it():
    address = f"tcp://127.0.0.1:{free_tcp_port()}"
    with fake_server(address, "--max-rois", "8", "--max-client-crops", "8", "--delay", "0.3") as proc:
        proc.start(timeout_s=30)
        ctx = zmq.Context()
        sock = dealer(ctx, address)
        try:
            head = {"protocol": PROTOCOL_VERSION, "type": "infer", "shape": [8, S, S, 3], "dtype": "uint8"}
            for i in range(3):
                sock.send_multipart([json.dumps({**head, "request_id": f"r{i}"}).encode(), crops(8)])
            replies = {}
            deadline = time.monotonic() + 10
            while len(replies) < 3 and time.monotonic() < deadline:
                if sock.poll(200):
                    r = json.loads(sock.recv_multipart()[0])
                    replies[r["request_id"]] = r
            assert replies["r0"]["ok"] is True
            assert [replies[k]["code"] for k in ("r1", "r2")] == ["busy", "busy"]
            assert "per client" in replies["r1"]["error"]
        finally:
            sock.close()
            ctx.term()


def allow_setup(tmp_path):
    server_keys = generate_keypair(tmp_path / "server", "server")
    rig1 = generate_keypair(tmp_path / "rig1", "rig1")
    rig2 = generate_keypair(tmp_path / "rig2", "rig2")
    allow = tmp_path / "allow"
    allow.mkdir()
    (allow / "rig1.key").write_bytes(rig1.public.read_bytes())
    kw = lambda pair: {"server_public_key": server_keys.public, "client_secret_key_file": pair.secret}  # noqa: E731
    return server_keys, allow, kw(rig1), kw(rig2)


def test_allow_list_changes_apply_without_restart(tmp_path):
    server_keys, allow, rig1, rig2 = allow_setup(tmp_path)
    address = f"tcp://127.0.0.1:{free_tcp_port()}"
    with fake_server(address, "--keys", str(server_keys.secret), "--allow", str(allow), "--reload-s", "30",
                     client_kwargs=rig1) as proc:
        proc.start(timeout_s=30)
        connected = ZmqRunner(address, retry_window_s=0, **rig1)
        try:
            assert connected.infer(crops(1)) == FakeRunner(S).infer(crops(1))
            # add rig2, remove rig1, then SIGHUP (the periodic check is 30 s here, so the signal does it)
            (allow / "rig2.key").write_bytes((tmp_path / "rig2" / "rig2.key").read_bytes())
            (allow / "rig1.key").unlink()
            os.kill(proc.pid, signal.SIGHUP)
            time.sleep(0.5)
            with pytest.raises(ServerError, match="forbidden"):  # the open connection of a removed key
                connected.infer(crops(1))
            with ZmqRunner(address, timeout_s=0.5, retry_window_s=0, **rig1) as again:  # and a new one
                with pytest.raises(ServerError, match="refused this client's key"):
                    again.infer(crops(1))
            with ZmqRunner(address, retry_window_s=0, **rig2) as newcomer:
                assert newcomer.infer(crops(1)) == FakeRunner(S).infer(crops(1))
        finally:
            connected.close()


def test_allow_list_directory_is_polled_for_changes(tmp_path):
    server_keys, allow, rig1, rig2 = allow_setup(tmp_path)
    address = f"tcp://127.0.0.1:{free_tcp_port()}"
    with fake_server(address, "--keys", str(server_keys.secret), "--allow", str(allow), "--reload-s", "0.2",
                     client_kwargs=rig1) as proc:
        proc.start(timeout_s=30)
        (allow / "rig2.key").write_bytes((tmp_path / "rig2" / "rig2.key").read_bytes())
        (allow / "junk.key").write_text("not a certificate")  # skipped with a warning, not a crash
        (allow / "rig1.key").unlink()
        time.sleep(1.0)
        with ZmqRunner(address, timeout_s=0.5, retry_window_s=0, **rig1) as removed:
            with pytest.raises(ServerError, match="refused this client's key"):
                removed.infer(crops(1))
        with ZmqRunner(address, retry_window_s=0, **rig2) as added:
            assert added.health().status == "ok"
        assert "skipping junk.key" in proc.log_tail(40)


def test_require_keys_refuses_to_start_without_them(capsys):
    assert main(["serve", "--require-keys"]) == 2
    assert "--require-keys" in capsys.readouterr().err
