"""`mgs agree`: agreement of the model with blinded human raters on a key-frame set."""
from __future__ import annotations

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "agree", help="model vs human raters on a blinded key-frame set: MAE, r, ICC, Bland-Altman, kappa",
        description="Compare the model's scores in KEY.csv (from `mgs keyframes`) with one or more raters' files "
                    "(columns image,score) and write an agreement report (Markdown, CSV, plots).")
    p.add_argument("key", help="key.csv written by `mgs keyframes`")
    p.add_argument("raters", nargs="+", help="rater CSV files (image,score), one per human")
    p.add_argument("--scale", choices=["0-9", "mgs012"], default="0-9",
                   help="scale the humans used: continuous 0-9 (default) or classic MGS 0/1/2")
    p.add_argument("--cuts", default="3,6", help="0-9 -> MGS 0/1/2 cut points (default 3,6)")
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mgs_core.analysis.raters import agree
    from mgs_core.analysis.report import write_agreement_report
    from mgs_core.analysis.scale import ScaleConversion

    rep = agree(args.key, args.raters, args.scale, ScaleConversion.parse(args.cuts))
    path = write_agreement_report(rep, Path(args.out), Path(args.key).name, [Path(r).name for r in args.raters])
    for p in rep.model_vs_rater:
        print(f"model vs {p.b}: n={p.n} MAE={p.mae:.3f} r={p.r:.3f} ICC(2,1)={p.icc_2_1.value:.3f} "
              f"bias={p.ba.bias:.3f} kappa_w(lin)={p.kappa_linear:.3f}")
    print(f"report: {path}")
    return 0
