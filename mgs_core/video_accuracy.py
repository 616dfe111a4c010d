"""Accuracy of the whole scoring engine on a rendered ground-truth video, and a smoke run on real footage.

``synthetic_accuracy`` renders a recording with :func:`mgs_core.synth.video.make_video` (4 mice, 1080p, a seed not
used in training), scores it with :func:`mgs_core.scoring.score_video` and compares with the renderer's
``truth.csv``: MAE of the score on rows where the eye is visible in the truth and found by the pipeline, eye-visible
precision/recall/F1, and the eye-centre error in frame pixels. ``real_footage`` scores every frame of the real videos
and images in a folder (no labels: it checks that every frame gets a row and reports eye-visible rates and speed).
The ground truth is our renderer's, not human raters' scores of real mice.
"""
from __future__ import annotations

import glob
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mgs_core.io.results import load_scores


@dataclass(frozen=True)
class TruthComparison:
    rows: int  # (frame, ROI) rows compared
    truth_visible: int
    predicted_visible: int
    both_visible: int
    precision: float
    recall: float
    f1: float
    mae: float  # on rows visible in both
    rmse: float
    pearson_r: float
    eye_err_median_px: float  # frame pixels, rows visible in both
    eye_err_p95_px: float
    missing_rows: int  # truth rows without a result row (should be 0)


@dataclass(frozen=True)
class SyntheticAccuracy:
    video: str
    seed: int
    seconds: float
    frames: int
    frames_per_s: float
    comparison: TruthComparison


@dataclass(frozen=True)
class RealRun:
    source: str
    frames: int  # frames with rows
    frames_expected: int  # frames the container announces (1 for images)
    rows: int
    eye_visible_rate: float
    mean_score_visible: float  # NaN when no eye was found
    frames_per_s: float
    decode_error: str | None


def compare_with_truth(results: pd.DataFrame, truth: pd.DataFrame) -> TruthComparison:
    """Join results and truth on (frame, roi) and compute the detection and score metrics."""
    key = ["frame", "roi"]
    t = truth[key + ["eye_visible", "eye_x", "eye_y", "score"]]
    m = t.merge(results[key + ["eye_visible", "eye_x", "eye_y", "score"]], on=key, how="left",
                suffixes=("_t", "_p"), indicator=True)
    missing = int((m["_merge"] == "left_only").sum())
    tv = m["eye_visible_t"].astype(bool).to_numpy()
    pv = m["eye_visible_p"].fillna(0).astype(bool).to_numpy()
    both = tv & pv
    tp, fp, fn = int(both.sum()), int((pv & ~tv).sum()), int((tv & ~pv).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    b = m[both]
    err = b["score_p"].to_numpy(float) - b["score_t"].to_numpy(float)
    dist = np.hypot(b["eye_x_p"].to_numpy(float) - b["eye_x_t"].to_numpy(float),
                    b["eye_y_p"].to_numpy(float) - b["eye_y_t"].to_numpy(float))
    ok = ~np.isnan(err)
    r = float(np.corrcoef(b["score_p"][ok], b["score_t"][ok])[0, 1]) if ok.sum() > 2 else float("nan")
    nan = float("nan")
    return TruthComparison(len(m), int(tv.sum()), int(pv.sum()), tp, round(precision, 4), round(recall, 4),
                           round(f1, 4), round(float(np.abs(err[ok]).mean()), 4) if ok.any() else nan,
                           round(float(np.sqrt((err[ok] ** 2).mean())), 4) if ok.any() else nan, round(r, 4),
                           round(float(np.median(dist)), 3) if len(dist) else nan,
                           round(float(np.percentile(dist, 95)), 3) if len(dist) else nan, missing)


def synthetic_accuracy(runner, out_dir: str | Path, seed: int = 424242, seconds: float = 30.0,
                       width: int = 1920, height: int = 1080, video: str | Path | None = None,
                       progress=None) -> SyntheticAccuracy:
    """Render (or reuse) the ground-truth video, score it, compare with its truth.csv."""
    from mgs_core.io.rois import load_rois
    from mgs_core.scoring import score_video
    from mgs_core.synth.video import make_video

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    video = Path(video) if video else out / f"truth_seed{seed}_{seconds:g}s.mp4"
    stem = video.name[: -len(video.suffix)]
    rois_path, truth_path = video.with_name(stem + ".rois.json"), video.with_name(stem + ".truth.csv")
    if not (video.is_file() and rois_path.is_file() and truth_path.is_file()):
        make_video(video, seconds=seconds, mice=4, seed=seed, width=width, height=height)
    summary = score_video(video, load_rois(rois_path), runner, out / "scores", progress=progress,
                          roi_source=rois_path)
    results = load_scores(summary.parquet)
    truth = pd.read_csv(truth_path, dtype={"roi": str, "animal": str, "group": str})
    return SyntheticAccuracy(str(video), seed, seconds, summary.frames_scored, summary.frames_per_s,
                             compare_with_truth(results, truth))


def real_sources(real_dir: str | Path) -> list[Path]:
    """Videos and image files under ``real_dir`` (one level of sub-folders), sorted."""
    exts = ("*.mp4", "*.avi", "*.mov", "*.mkv", "*.png", "*.jpg", "*.jpeg")
    return sorted(Path(p) for e in exts for p in glob.glob(str(Path(real_dir) / "*" / e)))


def real_footage(runner, real_dir: str | Path, out_dir: str | Path | None = None,
                 max_frames: int | None = None, progress=None) -> list[RealRun]:
    """Score every frame of every real video/image (whole frame as one ROI); rows never leave the output folder."""
    from mgs_core.io.video import probe_video
    from mgs_core.scoring import score_video

    runs = []
    with tempfile.TemporaryDirectory(prefix="mgs-real-") as tmp:
        out = Path(out_dir) if out_dir else Path(tmp)
        for src in real_sources(real_dir):
            info = probe_video(src)
            s = score_video(src, None, runner, out / src.parent.name, max_frames=max_frames, progress=progress,
                            stem=src.stem)
            df = load_scores(s.parquet)
            vis = df[df["eye_visible"] == 1]
            runs.append(RealRun(f"{src.parent.name}/{src.name}", int(df["frame"].nunique()),
                                min(info.n_frames, max_frames) if max_frames else info.n_frames, len(df),
                                round(float(df["eye_visible"].mean()), 4) if len(df) else 0.0,
                                round(float(vis["score"].mean()), 3) if len(vis) else float("nan"),
                                s.frames_per_s, s.decode_error))
    return runs


def as_dict(obj) -> dict:
    return asdict(obj)
