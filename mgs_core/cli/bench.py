"""`mgs bench`: end-to-end throughput (decode + crop + inference) for 1, 2, 4 and 8 ROIs on a 1080p30 H.264 video."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from mgs_core.errors import InputError


def cmd_bench(args: argparse.Namespace) -> int:
    from mgs_core.benchmark import reexec_with_tcmalloc

    launched_as_cli = os.path.basename(sys.argv[0]) in ("mgs", "__main__.py") and "bench" in sys.argv[1:]
    if not args.no_tcmalloc and launched_as_cli:
        reexec_with_tcmalloc([sys.executable, "-m", "mgs_core.cli", *sys.argv[1:]])
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from mgs_core.benchmark import run_benchmark

    try:
        counts = tuple(int(x) for x in args.rois.split(","))
    except ValueError:
        raise InputError(f"--rois must be comma-separated ROI counts like 1,2,4,8, got {args.rois!r}") from None
    if any(c < 1 or c > 8 for c in counts):
        raise InputError("--rois counts must be between 1 and 8")
    if args.video and not Path(args.video).is_file():
        raise InputError(f"video {args.video} does not exist")
    report = run_benchmark(args.video, counts, backend=args.backend, device=args.device, max_frames=args.max_frames,
                           seconds=args.seconds, log=lambda m: print(m, file=sys.stderr, flush=True),
                           seg=args.seg, score=args.score_model, threads=args.threads)
    print(report.header())
    print(report.table())
    if args.json:
        Path(args.json).write_text(json.dumps(report.to_dict(), indent=2) + "\n")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("bench", help="end-to-end throughput benchmark (1, 2, 4, 8 ROIs)",
                              description="Decode + crop + inference on a 1080p30 H.264 video (default: a cached "
                                          "synthetic recording) for several ROI counts: frames/s, ROI-frames/s, "
                                          "p50/p95 latency, peak RSS. Re-runs itself with tcmalloc preloaded when "
                                          "libtcmalloc-minimal4 is installed (--no-tcmalloc to disable).")
    p.add_argument("--video", help="video to use (default: synthetic 1080p30 4-mouse recording)")
    p.add_argument("--rois", default="1,2,4,8", help="ROI counts (default 1,2,4,8)")
    p.add_argument("--backend", default="auto", choices=["auto", "torch", "onnx"])
    p.add_argument("--device", default="auto")
    p.add_argument("--seg", help="segmentation checkpoint (default: shipped weights, else random)")
    p.add_argument("--score-model", help="score checkpoint (default: shipped weights, else random)")
    p.add_argument("--max-frames", type=int, help="frames per ROI count (default: the whole video)")
    p.add_argument("--seconds", type=float, default=10.0, help="length of the generated video (default 10)")
    p.add_argument("--threads", type=int, help="inference threads (default: min(4, CPU count))")
    p.add_argument("--json", help="also write the report as JSON here")
    p.add_argument("--no-tcmalloc", action="store_true", help="do not re-run with tcmalloc preloaded")
    p.set_defaults(func=cmd_bench)
