"""`mgs rois propose VIDEO --out ROIS.json [--frame N]`: automatic ROI proposal into an editable ROI file."""
from __future__ import annotations

import argparse
import sys

from mgs_core.errors import InputError


def cmd_propose(args: argparse.Namespace) -> int:
    from mgs_core.io.rois import save_rois
    from mgs_core.io.video import read_frame
    from mgs_core.roi_detect import propose_rois

    if args.frame < 0:
        raise InputError(f"--frame must be >= 0, got {args.frame}")
    frame = read_frame(args.video, args.frame)
    roiset = propose_rois(frame)
    if not len(roiset):
        raise InputError(f"no dark animal found in frame {args.frame} of {args.video}; try another --frame or draw "
                         "the ROIs in the app")
    try:
        path = save_rois(roiset, args.out)
    except OSError as exc:
        raise InputError(f"cannot write {args.out} ({exc.strerror or exc})") from None
    for r in roiset:
        print(f"{r.id}: x={r.x} y={r.y} w={r.w} h={r.h}")
    print(f"{len(roiset)} ROIs for {roiset.frame_width}x{roiset.frame_height} frames -> {path}", file=sys.stderr)
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("rois", help="ROI files: automatic proposal")
    sub = p.add_subparsers(dest="rois_command", metavar="ACTION")
    prop = sub.add_parser("propose", help="propose one ROI per animal (box-sized where a box is seen)",
                          description="Find the dark animals (and the transparent boxes around them) in one frame and "
                                      "write an ROI JSON file to review and edit.")
    prop.add_argument("video", help="video or image")
    prop.add_argument("--out", required=True, help="ROI JSON file to write")
    prop.add_argument("--frame", type=int, default=0, help="frame index to look at (default 0)")
    prop.set_defaults(func=cmd_propose)
    p.set_defaults(func=lambda args: (p.print_help(), 1)[1])
