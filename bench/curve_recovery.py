"""Curve recovery benchmark: does `mgs score` + `mgs analyze` recover the planted score curves of a synthetic video?

Steps: render a recording with our procedural renderer (`mgs synth video ... --seed 31337`; NAME.truth.csv holds the
planted per-frame scores and groups), score it with the shipped weights (`mgs score`), bin model and truth per mouse,
and report Pearson r per mouse over bins and which group the model-based comparison points at. Pass criteria
(issue 7): r >= 0.9 for every mouse, and the flagged group = the group with the higher planted scores.

This is synthetic ground truth from our own renderer, not labelled real mice.

    .venv/bin/python bench/curve_recovery.py [--seconds 60] [--mice 6] [--fps 5] [--bin 6s] [--work DIR]

Exit code 0 when both criteria hold, 1 when not, 2 when a piece is missing (e.g. no trained weights).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _mgs(*args: str) -> None:
    cmd = [sys.executable, "-m", "mgs_core.cli", *args]
    print("$ mgs " + " ".join(args), flush=True)
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        sys.stderr.write(res.stdout + res.stderr)
        raise SystemExit(2)


def _render_and_score(args, video: Path, work: Path, weights: list[Path]) -> tuple[float, float]:
    t0 = time.perf_counter()
    _mgs("synth", "video", "--out", str(video), "--seconds", f"{args.seconds:g}", "--mice", str(args.mice),
         "--seed", str(args.seed), "--fps", f"{args.fps:g}", "--width", str(args.width), "--height", str(args.height))
    t1 = time.perf_counter()
    _mgs("score", str(video), "--rois", str(work / "recovery.rois.json"), "--out", str(work / "scores"), "--quiet",
         "--seg", str(weights[0]), "--score-model", str(weights[1]))
    return t1 - t0, time.perf_counter() - t1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--mice", type=int, default=6, help="mice (groups alternate vehicle/analgesic; default 6 = 3+3)")
    ap.add_argument("--seed", type=int, default=31337)
    ap.add_argument("--fps", type=float, default=5.0)
    ap.add_argument("--width", type=int, default=960)
    ap.add_argument("--height", type=int, default=540)
    ap.add_argument("--bin", default=None, help="bin length (default: a tenth of the recording)")
    ap.add_argument("--work", default=None, help="working folder (default: a temporary folder)")
    ap.add_argument("--reuse", action="store_true", help="reuse the video and scores already in --work")
    ap.add_argument("--seg", default=None, help="segmentation checkpoint (default: shipped weights)")
    ap.add_argument("--score-model", default=None, help="score checkpoint (default: shipped weights)")
    args = ap.parse_args(argv)

    import pandas as pd

    from mgs_core.analysis.curves import parse_duration
    from mgs_core.analysis.recovery import curve_recovery
    from mgs_core.io.results import load_scores
    from mgs_core.models.checkpoint import default_weight_paths

    wanted = [Path(args.seg) if args.seg else default_weight_paths()[0],
              Path(args.score_model) if args.score_model else default_weight_paths()[1]]
    missing = [str(p) for p in wanted if not p.is_file()]
    if missing:
        print(f"trained weights missing ({', '.join(missing)}): train or fetch them first", file=sys.stderr)
        return 2
    work = Path(args.work or tempfile.mkdtemp(prefix="mgs_curve_recovery_"))
    work.mkdir(parents=True, exist_ok=True)
    video = work / "recovery.mp4"
    reuse = args.reuse and (work / "scores" / "recovery.csv").is_file() and (work / "recovery.truth.csv").is_file()
    t_render, t_score = (float("nan"), float("nan")) if reuse else _render_and_score(args, video, work, wanted)
    model = load_scores(work / "scores" / "recovery.csv")
    truth = pd.read_csv(work / "recovery.truth.csv", dtype={"roi": str, "animal": str, "group": str})
    bin_s = parse_duration(args.bin) if args.bin else args.seconds / 10.0
    res = curve_recovery(model, truth, bin_s)

    print(f"\nvideo {args.seconds:g} s, {args.fps:g} fps, {args.width}x{args.height}, {args.mice} mice, seed {args.seed}; "
          f"bins of {bin_s:g} s; render {t_render:.0f} s, score {t_score:.0f} s")
    print("| mouse | group | bins | r (binned model mean vs planted) |")
    print("|---|---|---|---|")
    for a in res.animals:
        print(f"| {a.animal} | {a.group} | {a.n_bins} | {a.r:.3f} |")
    # Diagnostics (not the pass criterion): where do deviations come from?
    j = model.merge(truth[["frame", "roi", "eye_visible", "score"]], on=["frame", "roi"], how="left",
                    suffixes=("", "_truth"), validate="one_to_one")
    false_eye = j["score"].notna() & (j["eye_visible_truth"] == 0)
    missed = j["score"].isna() & (j["eye_visible_truth"] == 1)
    both = j["score"].notna() & j["score_truth"].notna()
    print(f"scored frames: {int(j['score'].notna().sum())} of {len(j)} mouse-frames; truth has a visible eye in "
          f"{int((j['eye_visible_truth'] == 1).sum())}; model scored {int(false_eye.sum())} frames whose eye is hidden "
          f"in the truth (their mean score {j.loc[false_eye, 'score'].mean():.2f}) and missed {int(missed.sum())}")
    print(f"per-frame MAE where both score: {(j.loc[both, 'score'] - j.loc[both, 'score_truth']).abs().mean():.3f}")
    med = curve_recovery(model, truth, bin_s, stat="median")
    clean = model.copy()
    clean.loc[false_eye.to_numpy(), "score"] = float("nan")
    only_vis = curve_recovery(clean, truth, bin_s)
    print("diagnostic r per mouse, bin median instead of mean: "
          + ", ".join(f"{a.animal} {a.r:.3f}" for a in med.animals))
    print("diagnostic r per mouse, frames with a truly hidden eye removed: "
          + ", ".join(f"{a.animal} {a.r:.3f}" for a in only_vis.animals))
    ok_r = res.min_r >= 0.9
    ok_g = res.model_leading_group == res.truth_higher_group and res.model_leading_group != ""
    print(f"\nmin r = {res.min_r:.3f} ({'>= 0.9' if ok_r else '< 0.9: FAIL'})")
    print(f"planted higher group: {res.truth_higher_group}; model comparison points at: {res.model_leading_group} "
          f"(Mann-Whitney on animal means, p = {res.model_p:.3g}) -> {'agree' if ok_g else 'FAIL'}")
    return 0 if ok_r and ok_g else 1


if __name__ == "__main__":
    sys.exit(main())
