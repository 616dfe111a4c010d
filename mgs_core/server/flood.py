"""A greedy client for fairness tests and ``bench/server_load.py --flood``, run as its own process (like another rig):

python -m mgs_core.server.flood --address tcp://127.0.0.1:PORT --seconds S [--crops 64] [--size 256]

Sends valid infer requests as fast as the socket takes them (never waiting for a reply), reads replies as they
come, and prints a JSON line {"sent", "ok", "busy", "other"} at the end. Loopback only, bounded by ``seconds``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import zmq

from mgs_core.server.protocol import PROTOCOL_VERSION


def command(address: str, seconds: float, n: int = 64, size: int = 256) -> list[str]:
    return [sys.executable, "-m", "mgs_core.server.flood", "--address", address, "--seconds", str(seconds),
            "--crops", str(n), "--size", str(size)]


def flood(address: str, seconds: float, n: int, size: int) -> dict:
    batch = np.random.default_rng(5).integers(0, 256, (n, size, size, 3), dtype=np.uint8)
    counts = {"sent": 0, "ok": 0, "busy": 0, "other": 0}
    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.SNDHWM, 8)
    sock.connect(address)
    header = {"protocol": PROTOCOL_VERSION, "type": "infer", "shape": list(batch.shape), "dtype": "uint8"}
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if sock.poll(0, zmq.POLLOUT):
                counts["sent"] += 1
                head = json.dumps({**header, "request_id": f"f{counts['sent']}"}).encode()
                sock.send_multipart([head, batch], copy=False)
            while sock.poll(0):
                reply = json.loads(sock.recv_multipart()[0])
                key = "ok" if reply["ok"] else "busy" if reply["code"] == "busy" else "other"
                counts[key] += 1
            sock.poll(1, zmq.POLLIN)
    finally:
        sock.close()
        ctx.term()
    return counts


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--address", required=True)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--crops", type=int, default=64)
    p.add_argument("--size", type=int, default=256)
    args = p.parse_args(argv)
    print(json.dumps(flood(args.address, args.seconds, args.crops, args.size)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
