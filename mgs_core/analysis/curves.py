"""Score curves over time: loading several result files, smoothing over visible-eye frames, time binning.

The unit of analysis is one animal in one recording: ``unit = (source, animal)``. ``source`` is the results file's
stem (or a name given by the caller); ``animal`` falls back to the ROI id when empty. Smoothing and binning only
ever use frames with a score (eye visible); frames without one stay NaN and are never filled in. Frames the
machinery could not judge (``status`` ``unscored_server`` or ``unscored_decode``: the server was down, the video
damaged) say nothing about the animal, so they are left out of every "eye visible" / usable fraction and counted
separately as ``n_unscored``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mgs_core.analysis.scale import MGS_COL, SCORE_COL, ScaleConversion
from mgs_core.errors import InputError
from mgs_core.types import UNSCORED_DECODE, UNSCORED_SERVER

SMOOTH_COL = "score_smooth_0_9"
UNIT_COLS = ["source", "animal"]
SMOOTH_METHODS = ("none", "median", "ema")
UNSCORED_STATUSES = (UNSCORED_SERVER, UNSCORED_DECODE)  # about the machinery, not the animal


def judged(df: pd.DataFrame) -> np.ndarray:
    """True for rows about the animal (any status but unscored_server/unscored_decode; all rows of old tables)."""
    if "status" not in df.columns:
        return np.ones(len(df), bool)
    return ~df["status"].astype(str).isin(UNSCORED_STATUSES).to_numpy()


@dataclass(frozen=True)
class Smoothing:
    """``median`` = centred rolling median over ``window`` scored frames; ``ema`` = exponential moving average with
    weight ``alpha`` on the newest scored frame; ``none`` = raw scores."""

    method: str = "median"
    window: int = 15
    alpha: float = 0.2

    @classmethod
    def parse(cls, spec: str | None) -> "Smoothing":
        """Parse ``median:15``, ``ema:0.2`` or ``none`` (raises InputError naming the spec)."""
        spec = (spec or "none").strip().lower()
        name, _, arg = spec.partition(":")
        try:
            if name == "none" and not arg:
                return cls("none")
            if name == "median":
                w = int(arg) if arg else 15
                if w < 1:
                    raise ValueError
                return cls("median", window=w)
            if name == "ema":
                a = float(arg) if arg else 0.2
                if not 0.0 < a <= 1.0:
                    raise ValueError
                return cls("ema", alpha=a)
        except ValueError:
            pass
        raise InputError(f"smoothing {spec!r} not understood: use median:N (N >= 1 frames), ema:A (0 < A <= 1) or none")

    def label(self) -> str:
        return {"none": "none", "median": f"median:{self.window}", "ema": f"ema:{self.alpha:g}"}[self.method]


def parse_duration(text: str | float) -> float:
    """Parse a bin length such as ``60s``, ``5min``, ``1h`` or ``30`` (seconds) into seconds."""
    if isinstance(text, (int, float)):
        value = float(text)
    else:
        t = str(text).strip().lower()
        factor = 1.0
        for suffix, f in (("min", 60.0), ("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0)):
            if t.endswith(suffix):
                t, factor = t[: -len(suffix)], f
                break
        try:
            value = float(t) * factor
        except ValueError:
            raise InputError(f"duration {text!r} not understood: use e.g. 60s, 5min, 1h") from None
    if not np.isfinite(value) or value <= 0:
        raise InputError(f"duration {text!r} must be positive")
    return value


def prepare(df: pd.DataFrame, source: str = "", scale: ScaleConversion | None = None) -> pd.DataFrame:
    """Per-frame table ready for analysis: adds ``source``, fills empty ``animal`` with the ROI id, and renames
    ``score`` to ``score_0_9`` with a ``mgs_0_2`` column next to it (frames without a score stay NaN)."""
    scale = scale or ScaleConversion()
    out = df.copy()
    if "source" not in out.columns:
        out["source"] = source
    out["source"] = out["source"].fillna("").astype(str)
    out["animal"] = out["animal"].fillna("").astype(str)
    empty = out["animal"] == ""
    out.loc[empty, "animal"] = out.loc[empty, "roi"].astype(str)
    out["group"] = out["group"].fillna("").astype(str)
    if "score" in out.columns and SCORE_COL not in out.columns:
        out = out.rename(columns={"score": SCORE_COL})
    out[SCORE_COL] = pd.to_numeric(out[SCORE_COL]).astype("float64")
    out[MGS_COL] = scale.to_mgs(out[SCORE_COL].to_numpy())
    return out.sort_values(UNIT_COLS + ["time_s"], kind="stable").reset_index(drop=True)


def load_results(paths, scale: ScaleConversion | None = None) -> pd.DataFrame:
    """Load and :func:`prepare` one or more result files (CSV/Parquet); ``source`` is each file's stem.
    Stems must be distinct so animals from different recordings stay apart."""
    from mgs_core.io.results import load_scores

    frames, seen = [], {}
    for p in paths:
        p = Path(p)
        stem = p.stem
        if stem in seen:
            raise InputError(f"{p} and {seen[stem]} have the same name {stem!r}; rename one so recordings stay apart")
        seen[stem] = p
        frames.append(prepare(load_scores(p), source=stem, scale=scale))
    if not frames:
        raise InputError("no results files given")
    return pd.concat(frames, ignore_index=True)


def _smooth_series(values: np.ndarray, sm: Smoothing) -> np.ndarray:
    if sm.method == "none" or values.size == 0:
        return values.copy()
    if sm.method == "median":
        return pd.Series(values).rolling(sm.window, center=True, min_periods=1).median().to_numpy()
    return pd.Series(values).ewm(alpha=sm.alpha, adjust=False).mean().to_numpy()


def smooth_scores(df: pd.DataFrame, smoothing: Smoothing | str = "median:15") -> pd.DataFrame:
    """Add ``score_smooth_0_9``: the score smoothed per unit over the scored (visible-eye) frames only, in time
    order. Frames without a score keep NaN; the smoother never bridges them with made-up values."""
    sm = Smoothing.parse(smoothing) if isinstance(smoothing, str) else smoothing
    out = df.copy()
    out[SMOOTH_COL] = np.nan
    for _, idx in out.groupby(UNIT_COLS, sort=False).groups.items():
        part = out.loc[idx].sort_values("time_s", kind="stable")
        scored = part.index[np.isfinite(part[SCORE_COL].to_numpy())]
        out.loc[scored, SMOOTH_COL] = _smooth_series(out.loc[scored, SCORE_COL].to_numpy(), sm)
    return out


def bin_scores(df: pd.DataFrame, bin_s: float, value_col: str = SCORE_COL) -> pd.DataFrame:
    """Tidy per-unit time bins ``[k*bin_s, (k+1)*bin_s)`` counted from time 0.

    Columns: source, animal, group, bin, bin_start_s, bin_mid_s, n_frames, n_scored, frac_visible,
    mean_score_0_9, median_score_0_9 (means over scored frames only; NaN in a bin with none), n_unscored (frames the
    server or the decoder could not give; ``frac_visible`` is over the other frames, NaN when there are none).
    """
    if bin_s <= 0:
        raise InputError(f"bin length must be positive, got {bin_s}")
    d = df.assign(bin=np.floor(df["time_s"].to_numpy() / bin_s).astype("int64"))
    ok = judged(d)
    d = d.assign(_v=d[value_col], _scored=np.isfinite(d[value_col].to_numpy()).astype(int),
                 _seen=np.where(ok, d["eye_visible"].to_numpy(dtype=np.float64), np.nan), _unscored=(~ok).astype(int))
    g = d.groupby(UNIT_COLS + ["bin"], sort=True)
    out = g.agg(group=("group", "first"), n_frames=("time_s", "size"), n_scored=("_scored", "sum"),
                frac_visible=("_seen", "mean"), mean_score_0_9=("_v", "mean"),
                median_score_0_9=("_v", "median"), n_unscored=("_unscored", "sum")).reset_index()
    out.insert(4, "bin_start_s", out["bin"] * bin_s)
    out.insert(5, "bin_mid_s", (out["bin"] + 0.5) * bin_s)
    return out
