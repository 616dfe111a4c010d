"""Load benchmark of `mgs serve`: N clients x M seconds on loopback, against the local runner on the same crops.

Usage: .venv/bin/python bench/server_load.py [--clients 4] [--seconds 60] [--crops 4] [--max-batch 16]
                                             [--backend auto] [--json OUT]
       .venv/bin/python bench/server_load.py --flood [--seconds 10] [--crops 4] [--flood-crops 64] [--json OUT]
Starts the server on a free 127.0.0.1 port (shipped weights when present, else random-weight checkpoints of the
default architecture), runs the clients (bounded by time and request count), reads the server's VmRSS before and
after, stops it, then runs the local runner in-process for the same duration. Prints throughput (requests/s,
crops/s), p50/p95 latency, errors, server memory and the remote/local throughput ratio.

With --flood: one well-behaved client (--crops per request, in a loop) is timed alone, then while another process
sends --flood-crops requests as fast as the socket takes them; prints both rates, their ratio, how the flood was
answered (served / busy) and the server's VmRSS before, at the end of the flood and 3 s after.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mgs_core.errors import MGSError  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--crops", type=int, default=4, help="crops per request (ROIs per frame)")
    p.add_argument("--max-batch", type=int, default=16)
    p.add_argument("--backend", default="auto", choices=("auto", "torch", "onnx"))
    p.add_argument("--max-requests", type=int, default=100_000, help="per client")
    p.add_argument("--json", default=None, help="also write the report as JSON here")
    p.add_argument("--flood", action="store_true", help="fairness under a flooding client instead of N clients")
    p.add_argument("--flood-crops", type=int, default=64, help="crops per flood request (default 64)")
    args = p.parse_args(argv)
    if not (1 <= args.clients <= 64 and 0 < args.seconds <= 3600 and 1 <= args.crops <= 64):
        p.error("need 1-64 clients, 0-3600 seconds and 1-64 crops per request")
    from mgs_core.server.load import run_benchmark, run_flood_benchmark

    if args.flood:
        try:
            report = run_flood_benchmark(seconds=args.seconds, good_crops=args.crops, flood_crops=args.flood_crops,
                                         max_batch=args.max_batch, backend=args.backend)
        except MGSError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print("\n".join(report.lines()))
        if args.json:
            Path(args.json).write_text(json.dumps(dataclasses.asdict(report), indent=2) + "\n")
        return 0 if report.flood_other == 0 else 1
    try:
        report = run_benchmark(clients=args.clients, seconds=args.seconds, crops_per_request=args.crops,
                               max_batch=args.max_batch, backend=args.backend, max_requests=args.max_requests)
    except MGSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(report.lines()))
    if args.json:
        Path(args.json).write_text(json.dumps(dataclasses.asdict(report), indent=2) + "\n")
    return 0 if report.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
