"""Per-frame score tables: ``frames_to_table``, ``save_scores`` / ``load_scores``.

One row per (frame, ROI) with columns :data:`COLUMNS`. ``eye_visible`` is 1/0; ``score``, ``eye_x`` and ``eye_y``
are empty (NaN) where no eye is visible or the frame could not be scored; they are never filled with a guess (a
``too_small`` row keeps ``eye_x``/``eye_y`` where the eye was found, with ``eye_visible`` 0 and no score).
``status`` says why (one of :data:`mgs_core.types.STATUSES`); ``eye_length`` is the found eye's length in frame
pixels and ``scorability`` (0-1) how judgeable the ROI was. Tables written before these columns existed load with
``status`` derived from ``eye_visible``/``score``, ``eye_length`` empty and ``scorability`` = eye_visible.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mgs_core.errors import InputError
from mgs_core.types import EYE_HIDDEN, SCORED, STATUSES, FrameResult

BASE_COLUMNS = ["frame", "time_s", "roi", "animal", "group", "eye_visible", "eye_x", "eye_y", "score"]
COLUMNS = BASE_COLUMNS + ["status", "eye_length", "scorability"]
OPTIONAL_COLUMNS = ["confidence"]


def frames_to_table(frames, with_confidence: bool = False) -> pd.DataFrame:
    rows = []
    for fr in frames:
        fr: FrameResult
        for r in fr.rois:
            row = {"frame": fr.frame, "time_s": round(fr.time_s, 6), "roi": r.roi, "animal": r.animal,
                   "group": r.group, "eye_visible": int(bool(r.eye_visible)),
                   "eye_x": np.nan if r.eye_x is None else round(float(r.eye_x), 2),
                   "eye_y": np.nan if r.eye_y is None else round(float(r.eye_y), 2),
                   "score": np.nan if r.score is None else round(float(r.score), 4),
                   "status": r.status,
                   "eye_length": np.nan if r.eye_length is None else round(float(r.eye_length), 2),
                   "scorability": round(float(r.scorability), 4)}
            if with_confidence:
                row["confidence"] = round(float(r.confidence), 4)
            rows.append(row)
    df = pd.DataFrame(rows, columns=COLUMNS + (OPTIONAL_COLUMNS if with_confidence else []))
    return typed_table(df)


def typed_table(df: pd.DataFrame) -> pd.DataFrame:
    """A results table with the documented dtypes; columns added since v0.1 are derived when absent."""
    df = df.copy()
    df["frame"] = df["frame"].astype("int64")
    df["eye_visible"] = df["eye_visible"].astype("int64")
    derived = np.where((df["eye_visible"] == 1) & pd.to_numeric(df["score"], errors="coerce").notna(), SCORED, EYE_HIDDEN)
    if "status" not in df.columns:
        df["status"] = derived
    empty = df["status"].isna() | (df["status"].astype(str) == "")
    if empty.any():
        df["status"] = np.where(empty, derived, df["status"].astype(str))
    if "eye_length" not in df.columns:
        df["eye_length"] = np.nan
    if "scorability" not in df.columns:
        df["scorability"] = df["eye_visible"].astype("float64")
    df["status"] = df["status"].fillna("").astype(str)
    for c in ("time_s", "eye_x", "eye_y", "score", "eye_length", "scorability"):
        df[c] = pd.to_numeric(df[c], errors="raise").astype("float64")
    for c in ("roi", "animal", "group"):
        df[c] = df[c].fillna("").astype(str)
    return df


def save_scores(df: pd.DataFrame, stem: str | Path) -> tuple[Path, Path]:
    """Write ``stem.csv`` and ``stem.parquet`` atomically (tmp file + rename). Returns both paths."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    csv, parquet = stem.with_name(stem.name + ".csv"), stem.with_name(stem.name + ".parquet")
    for path, write in ((csv, lambda p: df.to_csv(p, index=False)), (parquet, lambda p: df.to_parquet(p, index=False))):
        tmp = path.with_name(path.name + ".tmp")
        write(tmp)
        tmp.replace(path)
    return csv, parquet


def load_scores(path: str | Path) -> pd.DataFrame:
    """Read a results CSV or Parquet file and check its columns; raises InputError naming the problem."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"results file {path} does not exist")
    try:
        if path.suffix.lower() == ".parquet":
            df = pd.read_parquet(path)
        elif path.suffix.lower() == ".csv":
            df = pd.read_csv(path, dtype={"roi": str, "animal": str, "group": str}, keep_default_na=True)
        else:
            raise InputError(f"{path.name}: results must be .csv or .parquet")
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - pandas raises many types for a malformed file
        raise InputError(f"{path.name} is not a readable results table ({exc})") from None
    missing = [c for c in BASE_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"{path.name} lacks the results columns {missing} (expected {COLUMNS})")
    try:
        df = typed_table(df)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{path.name}: a column has non-numeric values ({exc})") from None
    odd = df[~df["status"].isin(STATUSES)]
    if len(odd):
        raise InputError(f"{path.name}: unknown status {odd['status'].iloc[0]!r} at row {int(odd.index[0]) + 2} "
                         f"(expected one of {', '.join(STATUSES)})")
    bad = df[(df["score"] < 0) | (df["score"] > 9)]
    if len(bad):
        raise InputError(f"{path.name}: score out of 0-9 at row {int(bad.index[0]) + 2}")
    return df
