"""Per-animal and per-group summaries of continuous scores.

Per unit (one animal in one recording), over scored frames only (eye visible, score present):

* ``mean_score_0_9``, ``median_score_0_9``, ``sd_score_0_9``
* ``scored_time_s`` = number of scored frames x the unit's median frame interval (the recording's frame period)
* ``auc_score_s`` = area under the score curve over scored time: sum(score x frame interval), in score*seconds.
  Unscored stretches contribute nothing (they are not interpolated), so compare AUCs only between units with a
  similar ``frac_visible``; ``mean_score_0_9`` is the AUC divided by the scored time.
* ``frac_above`` = fraction of scored time with score > threshold (equal frame intervals: fraction of frames)
* ``frac_visible`` = fraction of the judged frames with a visible eye (the "usable frame" fraction). Frames the
  server or the decoder could not give (status ``unscored_server`` / ``unscored_decode``) are not judged: they are
  left out here and counted in ``n_unscored``, so an outage never looks like a mouse turning away

Per group: number of units and the mean, SD and median of the units' values (the unit, not the frame, is the
independent observation).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from mgs_core.analysis.curves import UNIT_COLS, judged
from mgs_core.analysis.scale import SCORE_COL


def _frame_interval(t: np.ndarray) -> float:
    t = np.unique(t[np.isfinite(t)])
    if t.size < 2:
        return float("nan")
    return float(np.median(np.diff(t)))


def summarize(df: pd.DataFrame, threshold: float | None = None, value_col: str = SCORE_COL) -> pd.DataFrame:
    """One row per unit (source, animal) with the statistics described in the module docstring."""
    rows = []
    for (source, animal), part in df.groupby(UNIT_COLS, sort=True):
        v = part[value_col].to_numpy(dtype=np.float64)
        scored = v[np.isfinite(v)]
        dt = _frame_interval(part["time_s"].to_numpy(dtype=np.float64))
        n_sc = int(scored.size)
        ok = judged(part)
        row = {
            "source": source, "animal": animal, "group": str(part["group"].iloc[0]),
            "n_frames": int(len(part)), "n_scored": n_sc, "n_unscored": int((~ok).sum()),
            "frac_visible": float(part["eye_visible"].to_numpy()[ok].mean()) if ok.any() else float("nan"),
            "mean_score_0_9": float(scored.mean()) if n_sc else float("nan"),
            "median_score_0_9": float(np.median(scored)) if n_sc else float("nan"),
            "sd_score_0_9": float(scored.std(ddof=1)) if n_sc > 1 else float("nan"),
            "scored_time_s": n_sc * dt if n_sc else 0.0,
            "auc_score_s": float(scored.sum() * dt) if n_sc else 0.0,
        }
        if threshold is not None:
            row["threshold_0_9"] = float(threshold)
            row["frac_above"] = float(np.mean(scored > threshold)) if n_sc else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def summarize_groups(per_unit: pd.DataFrame) -> pd.DataFrame:
    """One row per group: n_units and mean/sd/median over units of each per-unit statistic."""
    stats = [c for c in ("mean_score_0_9", "median_score_0_9", "auc_score_s", "frac_above", "frac_visible")
             if c in per_unit.columns]
    rows = []
    for group, part in per_unit.groupby("group", sort=True):
        row = {"group": group, "n_units": int(len(part))}
        for c in stats:
            v = part[c].to_numpy(dtype=np.float64)
            v = v[np.isfinite(v)]
            row[f"{c}_mean"] = float(v.mean()) if v.size else float("nan")
            row[f"{c}_sd"] = float(v.std(ddof=1)) if v.size > 1 else float("nan")
            row[f"{c}_median"] = float(np.median(v)) if v.size else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)
