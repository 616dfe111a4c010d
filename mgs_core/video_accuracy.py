"""Accuracy of the whole scoring engine on a rendered ground-truth video, and a smoke run on real footage.

``synthetic_accuracy`` renders a recording with :func:`mgs_core.synth.video.make_video` (4 mice, 1080p, a seed not
used in training), scores it with :func:`mgs_core.scoring.score_video` and compares with the renderer's
``truth.csv`` under the match rule of :mod:`mgs_core.evaluation.matching`: a found eye must lie within half the true
eye length of the true centre (frame pixels). When truth.csv has no ``eye_length`` column the radius falls back to
``match_radius`` if given, else half the median eye length in the results, else 8 crop pixels scaled to frame pixels
by the ROIs' crop scale; ``TruthComparison.match_rule`` says which. A detection outside the radius is a false
detection and a miss, and its score is not in the MAE. ``real_footage`` scores every frame of the real videos and
images in a folder (no labels: it checks that every frame gets a row and reports eye-visible rates and speed).
The ground truth is our renderer's, not human raters' scores of real mice.
"""
from __future__ import annotations

import glob
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mgs_core.analysis.agreement import pearson_r
from mgs_core.evaluation.matching import (
    DEFAULT_RADIUS_PX, FALSE_EYE, FOUND, MISSED, WRONG_EYE, located_detection, match_eyes, match_radii,
)
from mgs_core.io.results import load_scores
from mgs_core.pipeline import DEFAULT_DETAIL
from mgs_core.types import TOO_SMALL


@dataclass(frozen=True)
class TruthComparison:
    rows: int  # (frame, ROI) rows compared
    truth_visible: int
    predicted_visible: int  # rows where the results give an eye (visible or too_small with a centre)
    both_visible: int  # rows visible in both, wherever the detection lies
    precision: float  # eye-visible, under the match rule (a wrong eye is a false positive and a false negative)
    recall: float
    f1: float
    mae: float  # on rows whose eye was found (within the match radius) and scored
    rmse: float
    pearson_r: float
    eye_err_median_px: float  # frame pixels, over found eyes
    eye_err_p95_px: float
    missing_rows: int  # truth rows without a result row (should be 0)
    found: int = 0  # visible in the truth, detection within the radius
    missed: int = 0  # visible in the truth, nothing detected
    wrong_eye: int = 0  # visible in the truth, detection outside the radius: a false detection and a miss
    false_eye: int = 0  # an eye detected where the truth has none
    false_detections: int = 0  # wrong_eye + false_eye
    misses: int = 0  # wrong_eye + missed
    scored: int = 0  # found and scored: the MAE rows
    wrong_eye_scores: int = 0  # wrong eyes that got a score (not in the MAE)
    wrong_eye_mean_score: float = float("nan")
    match_rule: str = ""


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


def compare_with_truth(results: pd.DataFrame, truth: pd.DataFrame, match_radius: float | None = None,
                       default_px: float = DEFAULT_RADIUS_PX) -> TruthComparison:
    """Join results and truth on (frame, roi) and compute the detection and score metrics under the match rule.

    ``match_radius`` / ``default_px`` (frame px) apply to truth rows without an ``eye_length`` column or value."""
    key = ["frame", "roi"]
    cols = ["eye_visible", "eye_x", "eye_y", "score", "eye_length"]
    t = truth[key + [c for c in cols if c in truth.columns]].rename(columns={c: c + "_t" for c in cols})
    r = results[key + [c for c in cols + ["status"] if c in results.columns]]
    r = r.rename(columns={c: c + "_p" for c in cols})
    m = t.merge(r, on=key, how="left", indicator=True)
    missing = int((m["_merge"] == "left_only").sum())

    def col(name: str) -> np.ndarray:
        return m[name].to_numpy(float) if name in m.columns else np.full(len(m), np.nan)

    tv = m["eye_visible_t"].astype(bool).to_numpy()
    pv = m["eye_visible_p"].fillna(0).astype(bool).to_numpy()
    pxy = np.column_stack([col("eye_x_p"), col("eye_y_p")])
    status = m["status"].fillna("").astype(str).to_numpy() if "status" in m.columns else np.full(len(m), "")
    detected = (pv | (status == TOO_SMALL)) & np.all(np.isfinite(pxy), axis=1)
    true_len, pred_len = col("eye_length_t"), col("eye_length_p")
    rule, radius = match_radii(tv, true_len, np.where(detected, pred_len, np.nan), match_radius, default_px)
    mt = match_eyes(tv, np.column_stack([col("eye_x_t"), col("eye_y_t")]), detected, pxy, radius)
    d = located_detection(mt)
    ps, ts = col("score_p"), col("score_t")
    ok = mt.found & np.isfinite(ps) & np.isfinite(ts)
    err = ps[ok] - ts[ok]
    dist = mt.dist_px[mt.found]
    wrong = (mt.outcome == WRONG_EYE) & np.isfinite(ps)
    nan = float("nan")
    r4 = (lambda v: round(v, 4) if np.isfinite(v) else nan)
    return TruthComparison(
        len(m), int(tv.sum()), int(detected.sum()), int((tv & detected).sum()), r4(d.precision), r4(d.recall),
        r4(d.f1), round(float(np.abs(err).mean()), 4) if ok.any() else nan,
        round(float(np.sqrt((err ** 2).mean())), 4) if ok.any() else nan, r4(pearson_r(ps[ok], ts[ok])),
        round(float(np.median(dist)), 3) if len(dist) else nan,
        round(float(np.percentile(dist, 95)), 3) if len(dist) else nan, missing,
        found=mt.count(FOUND), missed=mt.count(MISSED), wrong_eye=mt.count(WRONG_EYE), false_eye=mt.count(FALSE_EYE),
        false_detections=int(mt.false_detection.sum()), misses=int(mt.miss.sum()), scored=int(ok.sum()),
        wrong_eye_scores=int(wrong.sum()),
        wrong_eye_mean_score=round(float(ps[wrong].mean()), 3) if wrong.any() else nan,
        match_rule=_rule_text(rule, default_px, "eye_length" in truth.columns))


def _rule_text(rule, default_px: float, truth_has_length: bool) -> str:
    text = rule.describe()
    if rule.fallback_source == "default" and rule.n_fallback and default_px != DEFAULT_RADIUS_PX:
        text += f" = {DEFAULT_RADIUS_PX:g} crop px x {default_px / DEFAULT_RADIUS_PX:.2f} frame px per crop px"
    return text + ("" if truth_has_length else "; truth.csv has no eye_length column")


def crop_scale_px(rois, size: int = 256) -> float:
    """Frame pixels per crop pixel, median over the ROIs (the crop's longer side is ``size``)."""
    return float(np.median([max(r.w, r.h) / size for r in rois])) if len(rois) else 1.0


def synthetic_accuracy(runner, out_dir: str | Path, seed: int = 424242, seconds: float = 30.0,
                       width: int = 1920, height: int = 1080, video: str | Path | None = None,
                       progress=None, match_radius: float | None = None, detail: int = DEFAULT_DETAIL) -> SyntheticAccuracy:
    """Render (or reuse) the ground-truth video, score it, compare with its truth.csv (match rule: module doc;
    ``match_radius`` in frame pixels; ``detail``: the detail-crop cap, mgs_core/pipeline.py)."""
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
    rois = load_rois(rois_path)
    summary = score_video(video, rois, runner, out / "scores", progress=progress, roi_source=rois_path, detail=detail)
    results = load_scores(summary.parquet)
    truth = pd.read_csv(truth_path, dtype={"roi": str, "animal": str, "group": str})
    return SyntheticAccuracy(str(video), seed, seconds, summary.frames_scored, summary.frames_per_s,
                             compare_with_truth(results, truth, match_radius,
                                                DEFAULT_RADIUS_PX * crop_scale_px(rois, runner.info().roi_size)))


def real_sources(real_dir: str | Path) -> list[Path]:
    """Videos and image files under ``real_dir`` (one level of sub-folders), sorted."""
    exts = ("*.mp4", "*.avi", "*.mov", "*.mkv", "*.png", "*.jpg", "*.jpeg")
    return sorted(Path(p) for e in exts for p in glob.glob(str(Path(real_dir) / "*" / e)))


def real_footage(runner, real_dir: str | Path, out_dir: str | Path | None = None,
                 max_frames: int | None = None, progress=None, detail: int = DEFAULT_DETAIL) -> list[RealRun]:
    """Score every frame of every real video/image (whole frame as one ROI); rows never leave the output folder."""
    from mgs_core.io.video import probe_video
    from mgs_core.scoring import score_video

    runs = []
    with tempfile.TemporaryDirectory(prefix="mgs-real-") as tmp:
        out = Path(out_dir) if out_dir else Path(tmp)
        for src in real_sources(real_dir):
            info = probe_video(src)
            s = score_video(src, None, runner, out / src.parent.name, max_frames=max_frames, progress=progress,
                            stem=src.stem, detail=detail)
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
