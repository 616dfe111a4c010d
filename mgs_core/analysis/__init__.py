"""Analysis of continuous orbital-tightening scores and the human-validation loop.

Public API (all pure pandas/numpy/scipy; no streamlit):

Curves and summaries
    ``load_results(paths)``            result files -> one prepared per-frame table (score_0_9, mgs_0_2, source)
    ``prepare(df, source)``            same for a table already in memory
    ``smooth_scores(df, "median:15")`` adds score_smooth_0_9 (rolling median / "ema:0.2" / "none"), scored frames only
    ``bin_scores(df, bin_s)``          tidy per-animal time bins
    ``summarize(df, threshold)``       per-animal mean, median, AUC, fraction above threshold, fraction visible
    ``summarize_groups(per_animal)``   per-group summary over animals
    ``compare_groups(binned)``         Mann-Whitney U + Cliff's delta per bin and overall
    ``repeated_measures(binned)``      permutation test on animal means + Friedman time effect
    ``analyze(df, bin_s, smoothing, threshold)`` all of the above -> ``AnalysisOutputs``
Scale
    ``ScaleConversion(cut1=3, cut2=6)`` explicit 0-9 <-> MGS 0/1/2 conversion
Key frames
    ``select_keyframes(df, per_animal, min_gap_s, bin_s)``, ``measure_sharpness(df, video, rois)``,
    ``export_keyframes(picks, video, out_dir, rois, crops)``
Agreement
    ``icc``, ``bland_altman``, ``weighted_kappa``, ``mae``, ``pearson_r`` (arrays), ``agree(key, raters, scale)``
Reports
    ``write_analysis_report``, ``write_agreement_report``
"""
from __future__ import annotations

from mgs_core.analysis.agreement import ICC, BlandAltman, bland_altman, icc, mae, pearson_r, rmse, weighted_kappa
from mgs_core.analysis.curves import Smoothing, bin_scores, load_results, parse_duration, prepare, smooth_scores
from mgs_core.analysis.groups import compare_groups, mann_whitney, permutation_test, repeated_measures
from mgs_core.analysis.keyframes import export_keyframes, measure_sharpness, select_keyframes
from mgs_core.analysis.raters import AgreementReport, agree
from mgs_core.analysis.recovery import curve_recovery
from mgs_core.analysis.scale import MGS_COL, SCORE_COL, ScaleConversion
from mgs_core.analysis.summary import summarize, summarize_groups
from mgs_core.errors import MGSError


def analyze(df, bin_s: float = 60.0, smoothing="median:15", threshold: float | None = None):
    """Smooth, bin, summarise and compare a per-frame table (as written by ``mgs score``, or already passed through
    :func:`prepare`); returns ``report.AnalysisOutputs``."""
    from mgs_core.analysis.report import AnalysisOutputs

    if not len(df):
        raise MGSError("nothing to analyse: the chosen results hold no frames (e.g. a live run stopped before its "
                       "first scored frame)")
    if "score_0_9" not in df.columns:
        df = prepare(df)
    frames = smooth_scores(df, smoothing)
    bins = bin_scores(frames, bin_s)
    animals = summarize(frames, threshold)
    return AnalysisOutputs(frames, bins, animals, summarize_groups(animals), compare_groups(bins),
                           repeated_measures(bins))


__all__ = ["ICC", "BlandAltman", "bland_altman", "icc", "mae", "pearson_r", "rmse", "weighted_kappa", "Smoothing",
           "bin_scores", "load_results", "parse_duration", "prepare", "smooth_scores", "compare_groups",
           "mann_whitney", "permutation_test", "repeated_measures", "export_keyframes", "measure_sharpness",
           "select_keyframes", "AgreementReport", "agree", "curve_recovery", "MGS_COL", "SCORE_COL",
           "ScaleConversion", "summarize", "summarize_groups", "analyze"]
