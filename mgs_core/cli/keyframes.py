"""`mgs keyframes`: pick scorable, well-spread frames and export them as a blinded set for human raters."""
from __future__ import annotations

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "keyframes", help="export a shuffled, blinded key-frame set for human scoring",
        description="Pick frames with a visible, sharp eye, spread over time and predicted score, at least "
                    "--min-gap seconds apart per animal; write them as kf_0001.png ... in shuffled order, a key "
                    "file (key.csv, keep it away from raters) and rater_template.csv.")
    p.add_argument("results", help="results .csv/.parquet of the video (from `mgs score`)")
    p.add_argument("video", help="the scored video")
    p.add_argument("--per-animal", type=int, required=True, help="frames per animal (per bin with --per-bin)")
    p.add_argument("--per-bin", nargs="?", const="60s", default=None, metavar="BIN",
                   help="pick --per-animal frames in every time bin (default bin 60s)")
    p.add_argument("--min-gap", type=float, default=2.0, help="minimum seconds between two picks of an animal (2)")
    p.add_argument("--crops", action="store_true", help="also write an eye-centred crop kf_NNNN_eye.png")
    p.add_argument("--rois", default=None, help="ROI file (default: VIDEO's sibling <stem>.rois.json, else full frame)")
    p.add_argument("--min-sharpness", type=float, default=0.0,
                   help="absolute minimum variance of Laplacian around the eye (default 0: relative filter only)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the selection and the shuffle")
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mgs_core.analysis.curves import parse_duration, prepare
    from mgs_core.analysis.keyframes import export_keyframes, measure_sharpness, select_keyframes
    from mgs_core.errors import InputError
    from mgs_core.io.results import load_scores
    from mgs_core.io.rois import load_rois

    video = Path(args.video)
    if not video.is_file():
        raise InputError(f"video {video} does not exist")
    rois = None
    if args.rois:
        rois = load_rois(args.rois)
    elif video.with_suffix(".rois.json").is_file():
        rois = load_rois(video.with_suffix(".rois.json"))
    df = prepare(load_scores(args.results), source=Path(args.results).stem)
    bin_s = parse_duration(args.per_bin) if args.per_bin else None
    cand = measure_sharpness(df, video, rois)
    picks = select_keyframes(cand, args.per_animal, args.min_gap, bin_s, args.min_sharpness, seed=args.seed)
    result = export_keyframes(picks, video, args.out, rois, crops=args.crops, seed=args.seed)
    per = result.key.groupby("animal").size()
    print(f"{result.n_images} images for {len(per)} animal(s) ({', '.join(f'{a}: {n}' for a, n in per.items())})")
    print(f"hand out the images and {result.template_path}; keep {result.key_path} away from the raters")
    return 0
