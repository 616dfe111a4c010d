"""Human-readable names for the analysis tables' columns (the app's tables, its CSV downloads and the report).

The machine names (``mean_score_0_9``, ...) stay the columns of the tables in memory and of ``mgs analyze``'s
files; :func:`human_columns` renames a table for people. docs/formats.md lists both names side by side.
Per-group statistics are named ``<statistic>_<mean|sd|median>``: ``mean_score_0_9_sd`` -> "mean score (0-9), SD
over animals".
"""
from __future__ import annotations

import pandas as pd

NAMES = {
    "source": "files",
    "animal": "animal",
    "group": "group",
    "roi": "ROI",
    "frame": "frame",
    "time_s": "time (s)",
    "segment": "segment (a new one after each gap)",
    "status": "status",
    "eye_visible": "eye visible",
    "score_0_9": "score (0-9)",
    "score_smooth_0_9": "smoothed score (0-9)",
    "mgs_0_2": "MGS (0/1/2)",
    "n_files": "n files",
    "n_animals": "n animals",
    "n_frames": "n frames",
    "n_scored": "n scored frames",
    "n_unscored": "n frames not judged (server/decoder)",
    "frac_visible": "fraction eye visible",
    "mean_score_0_9": "mean score (0-9)",
    "median_score_0_9": "median score (0-9)",
    "sd_score_0_9": "SD of score (0-9)",
    "scored_time_s": "scored time (s)",
    "auc_score_s": "area under curve (score·s)",
    "threshold_0_9": "threshold (0-9)",
    "frac_above": "fraction above threshold",
    "time_above_s": "seconds above threshold",
    "bin": "bin",
    "bin_start_s": "bin start (s)",
    "bin_mid_s": "bin middle (s)",
    "group_a": "group A",
    "group_b": "group B",
    "n_a": "n animals A",
    "n_b": "n animals B",
    "median_a": "median A",
    "median_b": "median B",
    "u": "Mann-Whitney U",
    "p": "p",
    "p_holm": "p (Holm)",
    "cliffs_delta": "Cliff's delta",
    "leading_group": "leading group",
    "higher_group": "higher group (p < 0.05)",
    "note": "note",
}
_AGG = {"mean": "mean over animals", "sd": "SD over animals", "median": "median over animals"}


def human_name(column: str) -> str:
    """The human-readable name of a machine column name (unknown names are returned unchanged)."""
    if column in NAMES:
        return NAMES[column]
    stem, _, agg = column.rpartition("_")
    if agg in _AGG and stem in NAMES:
        return f"{NAMES[stem]}, {_AGG[agg]}"
    return column


def human_columns(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with human-readable column names (a copy; the data are unchanged)."""
    return df.rename(columns={c: human_name(c) for c in df.columns})
