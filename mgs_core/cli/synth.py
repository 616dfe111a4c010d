"""`mgs synth ...`: render synthetic ground truth (datasets, videos, the shipped sample data, docs figures)."""
from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser("synth", help="render synthetic labelled data of the paper's imaging setup",
                              description="Procedural renderer of the imaging setup (red tent, transparent boxes, "
                                          "black mice whose eyes narrow with the orbital-tightening score).")
    sub = p.add_subparsers(dest="synth_command", metavar="WHAT")
    p.set_defaults(func=lambda args: (p.print_help(), 1)[1])

    d = sub.add_parser("dataset", help="labelled ROI crops + masks + labels.csv")
    d.add_argument("--out", required=True, help="output folder (images/, masks/, labels.csv)")
    d.add_argument("--n", type=int, required=True, help="number of items")
    d.add_argument("--seed", type=int, required=True, help="random seed (sample data uses 1000-1999)")
    d.add_argument("--size", type=int, default=256, help="crop side in pixels (default 256)")
    d.add_argument("--workers", type=int, default=2, help="parallel processes (default 2; output is identical)")
    d.add_argument("--format", choices=["png", "jpg"], default="png", help="image format (masks are always PNG)")
    d.add_argument("--kinds", default="", help="comma-separated scene kinds to draw from (rack,box,closeup,headfixed,"
                                                "far,backlit,nomouse); default rack,box,closeup,headfixed,nomouse in "
                                                "the documented proportions (far, the head-fixed and close-up looks "
                                                "from further away, and backlit, a dark-field infrared view with "
                                                "rim-lit edges at every scale, only when named)")
    d.add_argument("--hard", action="store_true", help="hard-case mix: 40%% hidden eyes (turned away, grooming), "
                                                       "30%% tightened to shut eyes (score 7-9), the rest as usual")
    d.set_defaults(func=_dataset)

    v = sub.add_parser("video", help="H.264 video of a rack of mice with planted score curves + ROI and truth files")
    v.add_argument("--out", required=True, help="output video path DIR/NAME.mp4")
    v.add_argument("--seconds", type=float, required=True)
    v.add_argument("--mice", type=int, required=True, help="number of mice/boxes (1-8)")
    v.add_argument("--seed", type=int, required=True)
    v.add_argument("--width", type=int, default=1920)
    v.add_argument("--height", type=int, default=1080)
    v.add_argument("--fps", type=float, default=30.0)
    v.add_argument("--crf", type=int, default=26, help="x264 constant rate factor (higher = smaller file)")
    v.set_defaults(func=_video)

    s = sub.add_parser("sample", help="regenerate the shipped sample_data/ (demo video, ROIs, truth, labelled crops)")
    s.add_argument("--out", default="sample_data")
    s.add_argument("--workers", type=int, default=2)
    s.set_defaults(func=_sample)

    f = sub.add_parser("figures", help="docs figures: a frame beside its label mask, and the eye strip for scores 0-9")
    f.add_argument("--out", default="docs/images")
    f.set_defaults(func=_figures)


def _dataset(args: argparse.Namespace) -> int:
    from mgs_core.synth.dataset import make_dataset, stderr_progress

    kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip()) if args.kinds else None
    ds = make_dataset(args.out, args.n, args.seed, size=args.size, workers=args.workers, fmt=args.format,
                      progress=stderr_progress("rendering"), kinds=kinds, hard=args.hard)
    visible = sum(it.eye_visible for it in ds)
    print(f"wrote {len(ds)} items ({visible} with a visible eye) to {args.out}", file=sys.stderr)
    return 0


def _video(args: argparse.Namespace) -> int:
    from mgs_core.synth.dataset import stderr_progress
    from mgs_core.synth.video import make_video

    out = make_video(args.out, seconds=args.seconds, mice=args.mice, seed=args.seed, width=args.width,
                     height=args.height, fps=args.fps, crf=args.crf, progress=stderr_progress("frames"))
    print(f"wrote {out.video} ({out.frames} frames), {out.rois.name}, {out.truth.name}", file=sys.stderr)
    return 0


def _sample(args: argparse.Namespace) -> int:
    from mgs_core.synth.sample import make_sample_data

    make_sample_data(args.out, workers=args.workers)
    return 0


def _figures(args: argparse.Namespace) -> int:
    from mgs_core.synth.figures import make_figures

    for path in make_figures(args.out):
        print(f"wrote {path}", file=sys.stderr)
    return 0
