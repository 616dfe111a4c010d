"""Per-animal and per-group summaries of continuous scores.

Per animal (the animal id of the ROI file, pooled over every file it appears in; see :mod:`.curves`), over scored
frames only (eye visible, score present):

* ``source`` = the files it appears in (comma-separated), ``n_files`` = how many
* ``mean_score_0_9``, ``median_score_0_9``, ``sd_score_0_9``
* ``scored_time_s`` = number of scored frames x the median frame interval of their file (the recording's frame
  period), summed over the files
* ``auc_score_s`` = area under the score curve over scored time: sum(score x frame interval), in score*seconds.
  Unscored stretches contribute nothing (they are not interpolated), so compare AUCs only between units with a
  similar ``frac_visible``; ``mean_score_0_9`` is the AUC divided by the scored time.
* ``frac_above`` = fraction of scored time with score > threshold (equal frame intervals: fraction of frames)
* ``frac_visible`` = fraction of the judged frames with a visible eye (the "usable frame" fraction). Frames the
  server or the decoder could not give (status ``unscored_server`` / ``unscored_decode``) are not judged: they are
  left out here and counted in ``n_unscored``, so an outage never looks like a mouse turning away

Per group: ``n_animals`` (each animal once, however many files hold it), ``n_files`` and the mean, SD and median of
the animals' values (the animal, not the frame or the file, is the independent observation).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from mgs_core.analysis.curves import SEQ_COLS, UNIT_COLS, judged
from mgs_core.analysis.scale import SCORE_COL


def _frame_interval(t: np.ndarray) -> float:
    t = np.unique(t[np.isfinite(t)])
    if t.size < 2:
        return float("nan")
    return float(np.median(np.diff(t)))


def summarize(df: pd.DataFrame, threshold: float | None = None, value_col: str = SCORE_COL) -> pd.DataFrame:
    """One row per animal with the statistics described in the module docstring."""
    rows = []
    for animal, part in df.groupby(UNIT_COLS[0], sort=True):
        v = part[value_col].to_numpy(dtype=np.float64)
        scored = v[np.isfinite(v)]
        n_sc = int(scored.size)
        scored_time = auc = 0.0
        for _, seq in part.groupby(SEQ_COLS, sort=True):  # each file's own frame interval
            sv = seq[value_col].to_numpy(dtype=np.float64)
            sv = sv[np.isfinite(sv)]
            dt = _frame_interval(seq["time_s"].to_numpy(dtype=np.float64))
            if sv.size and np.isfinite(dt):
                scored_time += sv.size * dt
                auc += float(sv.sum() * dt)
        if n_sc and scored_time == 0.0:  # single-frame files: no interval to measure
            scored_time = auc = float("nan")
        ok = judged(part)
        sources = sorted(part["source"].astype(str).unique())
        row = {
            "source": ", ".join(sources), "animal": animal, "group": str(part["group"].iloc[0]),
            "n_files": len(sources), "n_frames": int(len(part)), "n_scored": n_sc, "n_unscored": int((~ok).sum()),
            "frac_visible": float(part["eye_visible"].to_numpy()[ok].mean()) if ok.any() else float("nan"),
            "mean_score_0_9": float(scored.mean()) if n_sc else float("nan"),
            "median_score_0_9": float(np.median(scored)) if n_sc else float("nan"),
            "sd_score_0_9": float(scored.std(ddof=1)) if n_sc > 1 else float("nan"),
            "scored_time_s": scored_time,
            "auc_score_s": auc,
        }
        if threshold is not None:
            row["threshold_0_9"] = float(threshold)
            row["frac_above"] = float(np.mean(scored > threshold)) if n_sc else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def summarize_groups(per_animal: pd.DataFrame) -> pd.DataFrame:
    """One row per group: n_animals, n_files and mean/sd/median over animals of each per-animal statistic."""
    stats = [c for c in ("mean_score_0_9", "median_score_0_9", "auc_score_s", "frac_above", "frac_visible")
             if c in per_animal.columns]
    rows = []
    for group, part in per_animal.groupby("group", sort=True):
        files = {f.strip() for s in part.get("source", pd.Series(dtype=str)).astype(str) for f in s.split(",")
                 if f.strip()}
        row = {"group": group, "n_animals": int(part["animal"].nunique()), "n_files": len(files)}
        for c in stats:
            v = part[c].to_numpy(dtype=np.float64)
            v = v[np.isfinite(v)]
            row[f"{c}_mean"] = float(v.mean()) if v.size else float("nan")
            row[f"{c}_sd"] = float(v.std(ddof=1)) if v.size > 1 else float("nan")
            row[f"{c}_median"] = float(np.median(v)) if v.size else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)
