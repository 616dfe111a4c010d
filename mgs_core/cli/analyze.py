"""`mgs analyze`: curves, time bins, per-animal/per-group summaries and group tests from result files."""
from __future__ import annotations

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "analyze", help="summarise per-frame score files: curves, bins, groups, tests, report",
        description="Analyse one or more per-frame results files (from `mgs score`): smoothing over visible-eye "
                    "frames, time bins, per-animal and per-group summaries, group comparison per bin, and a "
                    "Markdown/PNG/HTML report.")
    p.add_argument("results", nargs="+", help="results .csv or .parquet files (one per recording)")
    p.add_argument("--bin", default="60s", help="time-bin length, e.g. 60s, 5min (default 60s)")
    p.add_argument("--smooth", default="median:15", help="median:N | ema:A | none (default median:15)")
    p.add_argument("--threshold", type=float, default=None, help="report the fraction of scored time above T (0-9)")
    p.add_argument("--cuts", default="3,6", help="0-9 -> MGS 0/1/2 cut points (default 3,6)")
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mgs_core.analysis import analyze, load_results
    from mgs_core.analysis.curves import Smoothing, parse_duration
    from mgs_core.analysis.report import write_analysis_report
    from mgs_core.analysis.scale import ScaleConversion
    from mgs_core.errors import InputError
    from mgs_core.io.results import save_scores

    bin_s = parse_duration(args.bin)
    smoothing = Smoothing.parse(args.smooth)
    if args.threshold is not None and not 0 <= args.threshold <= 9:
        raise InputError(f"--threshold must be on the 0-9 scale, got {args.threshold}")
    scale = ScaleConversion.parse(args.cuts)
    df = load_results(args.results, scale)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = analyze(df, bin_s, smoothing, args.threshold)
    save_scores(out.frames, out_dir / "frames")
    save_scores(out.bins, out_dir / "bins")
    out.animals.to_csv(out_dir / "animals.csv", index=False)
    out.groups.to_csv(out_dir / "groups.csv", index=False)
    out.tests.to_csv(out_dir / "group_tests.csv", index=False)
    report = write_analysis_report(out, out_dir, bin_s, smoothing, args.threshold, scale,
                                   [Path(p).name for p in args.results])
    n_units = len(out.animals)
    print(f"{n_units} animal(s), {len(out.bins)} animal-bins, {out.frames['score_0_9'].notna().sum()} scored frames")
    print(f"report: {report}")
    return 0
