"""`mgs serve`: run the inference server (ZeroMQ ROUTER) around the local runner."""
from __future__ import annotations

import argparse
import logging
import signal
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "serve", help="serve inference to remote clients over ZeroMQ",
        description="Serve the segmentation + scoring networks to remote clients (`mgs score --server ADDR`, the "
                    "app's remote backend). Binding to anything but loopback requires CURVE keys; "
                    "--require-keys requires them on loopback too. The allow-list directory is re-read when it "
                    "changes and on SIGHUP. Protocol: docs/protocol.md; promises: docs/reliability.md.")
    p.add_argument("--bind", default="tcp://127.0.0.1:5555", help="ZeroMQ endpoint (default %(default)s)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda (default %(default)s)")
    p.add_argument("--backend", default="auto", choices=("auto", "torch", "onnx"),
                   help="local inference backend (default %(default)s: ONNX Runtime when it matches torch)")
    p.add_argument("--max-batch", type=int, default=16, help="crops per model call, across clients (default 16)")
    p.add_argument("--max-rois", type=int, default=64, help="crops accepted per request (default 64)")
    p.add_argument("--max-client-crops", type=int, default=None,
                   help="crops one client may have waiting or running (default 2 x --max-rois); beyond: busy")
    p.add_argument("--seg", default=None, help="segmentation checkpoint (default: shipped weights)")
    p.add_argument("--score", default=None, help="score checkpoint (default: shipped weights)")
    p.add_argument("--keys", default=None, metavar="NAME.key_secret", help="server CURVE secret key file")
    p.add_argument("--allow", default=None, metavar="DIR", help="directory of allowed client public keys (*.key)")
    p.add_argument("--require-keys", action="store_true",
                   help="refuse to start without --keys/--allow, also on loopback (every client needs a key)")
    p.add_argument("--quiet", action="store_true", help="log warnings only")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    from mgs_core.server.server import InferenceServer, ServerConfig

    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    config = ServerConfig(bind=args.bind, max_batch=args.max_batch, max_rois=args.max_rois,
                          max_pending_crops=max(1024, 4 * args.max_rois), max_client_crops=args.max_client_crops,
                          secret_key_file=args.keys, allow_dir=args.allow, require_keys=args.require_keys)
    config.validate()  # refuse an insecure bind before loading any model

    from mgs_core.runners import load_runner

    runner = load_runner(seg=args.seg, score=args.score, device=args.device, backend=args.backend)
    try:
        runner.warmup()
        server = InferenceServer(runner, config)

        def on_signal(signum, _frame):
            logging.getLogger("mgs.server").info("signal %d: stopping", signum)
            server.stop()

        def on_hup(_signum, _frame):
            logging.getLogger("mgs.server").info("SIGHUP: re-reading the allow-list")
            server.reload_keys()

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, on_hup)
        server.serve()
    finally:
        runner.close()
    return 0
