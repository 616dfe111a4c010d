"""Score curves over time: loading several result files, smoothing over visible-eye frames, time binning.

**Animals are identities.** The unit of every statistic is the animal: the ``animal`` id of the ROI file (with its
``group``). One animal's rows from several files (``source``: the file's stem, or a name given by the caller) are
pooled: it is counted once, in every bin and every group statistic. A recording of one animal in one file, a
*sequence* ``(source, animal)``, is what is smoothed and drawn. An ROI without an animal name (and the whole-frame
ROI used when no ROI file was given) is not an identity: its rows get the file-specific id ``"<roi> (<source>)"``
and are never pooled with another file. An empty group is shown as :data:`NO_GROUP`.

**Gaps stay gaps.** Within a sequence a new *segment* (column ``segment``) starts at a scored frame when the time
since the previous scored frame exceeds :func:`gap_seconds` (a STOP/START, missing frames, a long stretch without a
visible eye), when a frame the machinery could not judge lies in between, or when time runs backwards (a loop or a
seek). Smoothing never crosses a segment boundary and charts draw one line per segment. Time bins with no frame of
an animal between its first and last bin are kept as empty bins (``n_frames`` 0, NaN means), never interpolated.

Smoothing and binning only ever use frames with a score (eye visible); frames without one stay NaN and are never
filled in. Frames the machinery could not judge (``status`` ``unscored_server`` or ``unscored_decode``: the server
was down, the video damaged) say nothing about the animal, so they are left out of every "eye visible" / usable
fraction and counted separately as ``n_unscored``.
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
UNIT_COLS = ["animal"]  # the statistical unit: one animal, pooled over files
SEQ_COLS = ["source", "animal"]  # one animal in one file: what is smoothed and drawn
SEGMENT_COL = "segment"
NO_GROUP = "(no group)"
WHOLE_FRAME = ("frame", "animal1")  # (roi, animal) of the whole-frame ROI used without an ROI file
GAP_FACTOR = 5.0  # a gap is longer than this many median frame intervals ...
MIN_GAP_S = 1.0  # ... and than this many seconds
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


def gap_seconds(times: np.ndarray) -> float:
    """The longest pause between two scored frames of a sequence that is still not a gap: ``GAP_FACTOR`` median
    frame intervals, at least ``MIN_GAP_S`` seconds."""
    t = np.unique(np.asarray(times, dtype=np.float64))
    t = t[np.isfinite(t)]
    step = float(np.median(np.diff(t))) if t.size >= 2 else 0.0
    return max(GAP_FACTOR * step, MIN_GAP_S)


def mark_segments(df: pd.DataFrame, value_col: str = SCORE_COL) -> pd.DataFrame:
    """Add ``segment`` (0, 1, ... per sequence, in row order): see the module docstring for where one begins.

    Rows without a score keep the segment of the scored frame before them (they are not drawn)."""
    out = df.copy()
    seg = np.zeros(len(out), dtype=np.int64)
    ok = judged(out)
    for _, idx in out.groupby(SEQ_COLS, sort=False).indices.items():
        t = out["time_s"].to_numpy(dtype=np.float64)[idx]
        v = out[value_col].to_numpy(dtype=np.float64)[idx]
        machine_gap = ~ok[idx]
        limit = gap_seconds(t)
        current, last_t, broken = 0, None, False
        for k in range(len(idx)):
            if machine_gap[k]:
                broken = True
            elif np.isfinite(v[k]):
                if last_t is not None and (broken or t[k] - last_t > limit or t[k] < last_t):
                    current += 1
                last_t, broken = t[k], False
            seg[idx[k]] = current
    out[SEGMENT_COL] = seg
    return out


def prepare(df: pd.DataFrame, source: str = "", scale: ScaleConversion | None = None) -> pd.DataFrame:
    """Per-frame table ready for analysis: adds ``source``; an ROI without an animal name (or the whole-frame ROI)
    gets the file-specific animal id ``"<roi> (<source>)"``; an empty group becomes :data:`NO_GROUP`; ``score`` is
    renamed ``score_0_9`` with a ``mgs_0_2`` column next to it (frames without a score stay NaN); ``segment``
    numbers the stretches without a gap (module docstring)."""
    scale = scale or ScaleConversion()
    out = df.copy()
    if "source" not in out.columns:
        out["source"] = source
    out["source"] = out["source"].fillna("").astype(str)
    out["animal"] = out["animal"].fillna("").astype(str)
    roi = out["roi"].fillna("").astype(str)
    unnamed = (out["animal"] == "") | ((roi == WHOLE_FRAME[0]) & (out["animal"] == WHOLE_FRAME[1]))
    label = np.where(out["source"] != "", roi + " (" + out["source"] + ")", roi)
    out.loc[unnamed, "animal"] = label[unnamed.to_numpy()]
    out["group"] = out["group"].fillna("").astype(str).str.strip().replace("", NO_GROUP)
    if "score" in out.columns and SCORE_COL not in out.columns:
        out = out.rename(columns={"score": SCORE_COL})
    out[SCORE_COL] = pd.to_numeric(out[SCORE_COL]).astype("float64")
    out[MGS_COL] = scale.to_mgs(out[SCORE_COL].to_numpy())
    out = out.sort_values(SEQ_COLS + ["time_s"], kind="stable").reset_index(drop=True)
    return mark_segments(out)


def check_groups(df: pd.DataFrame) -> None:
    """InputError when one animal id has two groups (in one file or across files): an animal belongs to one
    group, or every group statistic would count it twice."""
    per = df.groupby("animal", sort=True)["group"].unique()
    for animal, groups in per.items():
        if len(groups) > 1:
            where = []
            for g in sorted(groups):
                files = sorted(df.loc[(df["animal"] == animal) & (df["group"] == g), "source"].unique())
                where.append(f"group {g!r} in {', '.join(f or 'the table' for f in files)}")
            raise InputError(f"animal {animal!r} is in {' and in '.join(where)}: an animal id names one animal with "
                             "one group; fix the group (or the animal id) in the ROI file")


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
    out = pd.concat(frames, ignore_index=True)
    check_groups(out)
    return out


def _smooth_series(values: np.ndarray, sm: Smoothing) -> np.ndarray:
    if sm.method == "none" or values.size == 0:
        return values.copy()
    if sm.method == "median":
        return pd.Series(values).rolling(sm.window, center=True, min_periods=1).median().to_numpy()
    return pd.Series(values).ewm(alpha=sm.alpha, adjust=False).mean().to_numpy()


def smooth_scores(df: pd.DataFrame, smoothing: Smoothing | str = "median:15") -> pd.DataFrame:
    """Add ``score_smooth_0_9``: the score smoothed per sequence and segment over the scored (visible-eye) frames
    only, in time order. Frames without a score keep NaN; the smoother never bridges them with made-up values and
    never crosses a gap."""
    sm = Smoothing.parse(smoothing) if isinstance(smoothing, str) else smoothing
    out = df.copy() if SEGMENT_COL in df.columns else mark_segments(df)
    out[SMOOTH_COL] = np.nan
    for _, idx in out.groupby(SEQ_COLS + [SEGMENT_COL], sort=False).groups.items():
        part = out.loc[idx].sort_values("time_s", kind="stable")
        scored = part.index[np.isfinite(part[SCORE_COL].to_numpy())]
        out.loc[scored, SMOOTH_COL] = _smooth_series(out.loc[scored, SCORE_COL].to_numpy(), sm)
    return out


def bin_scores(df: pd.DataFrame, bin_s: float, value_col: str = SCORE_COL) -> pd.DataFrame:
    """Tidy per-animal time bins ``[k*bin_s, (k+1)*bin_s)`` counted from time 0 (the start of each file), pooling
    the animal's frames from every file.

    Columns: animal, bin, group, bin_start_s, bin_mid_s, n_files, n_frames, n_scored, frac_visible,
    mean_score_0_9, median_score_0_9 (means over scored frames only; NaN in a bin with none), n_unscored (frames the
    server or the decoder could not give; ``frac_visible`` is over the other frames, NaN when there are none).
    Bins between an animal's first and last bin that hold none of its frames are listed with ``n_frames`` 0 and
    NaN values: a gap stays a gap.
    """
    if bin_s <= 0:
        raise InputError(f"bin length must be positive, got {bin_s}")
    d = df.assign(bin=np.floor(df["time_s"].to_numpy() / bin_s).astype("int64"))
    ok = judged(d)
    d = d.assign(_v=d[value_col], _scored=np.isfinite(d[value_col].to_numpy()).astype(int),
                 _seen=np.where(ok, d["eye_visible"].to_numpy(dtype=np.float64), np.nan), _unscored=(~ok).astype(int))
    g = d.groupby(UNIT_COLS + ["bin"], sort=True)
    out = g.agg(group=("group", "first"), n_files=("source", "nunique"), n_frames=("time_s", "size"),
                n_scored=("_scored", "sum"), frac_visible=("_seen", "mean"), mean_score_0_9=("_v", "mean"),
                median_score_0_9=("_v", "median"), n_unscored=("_unscored", "sum")).reset_index()
    if len(out):
        full = []
        for animal, part in out.groupby("animal", sort=True):
            span = pd.DataFrame({"animal": animal, "bin": np.arange(part["bin"].min(), part["bin"].max() + 1)})
            full.append(span.merge(part, on=["animal", "bin"], how="left"))
        out = pd.concat(full, ignore_index=True)
        out["group"] = out.groupby("animal")["group"].transform(lambda s: s.dropna().iloc[0])
        for c in ("n_files", "n_frames", "n_scored", "n_unscored"):
            out[c] = out[c].fillna(0).astype("int64")
    out.insert(3, "bin_start_s", out["bin"] * bin_s)
    out.insert(4, "bin_mid_s", (out["bin"] + 0.5) * bin_s)
    return out
