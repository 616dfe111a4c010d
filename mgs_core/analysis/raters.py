"""Human raters vs the model on a blinded key-frame set: strict file import and the agreement summary.

Files (see docs/analysis.md):

* key file (``key.csv`` from ``mgs keyframes``): needs ``image`` and ``model_score_0_9``; other columns are kept.
* rater file (one per human, e.g. filled-in ``rater_template.csv``): columns ``image`` and ``score``; one row per
  key image, each image exactly once. Comma- or semicolon-separated, with or without a spreadsheet's byte-order
  mark; a decimal comma ("4,5") is accepted. A rater who sees no scorable eye in an image writes ``x`` (also
  accepted: ``na``, ``n/a``, ``no eye``) instead of a score: that image counts as "not scorable" for that rater
  (the model claimed a visible eye there) and is left out of that rater's statistics. A blank score is an error,
  so forgotten rows are caught. Scores are 0-9 (decimals allowed) by default, or whole numbers 0/1/2 with
  ``scale="mgs012"``. Any missing image, unknown image, blank or off-scale score or duplicate row raises
  :class:`~mgs_core.errors.InputError` naming the file and the row (row numbers count the header as row 1).

Statistics are computed on the raters' scale: for 0-9 raters on 0-9 (kappa after converting both sides to 0/1/2
with :class:`~mgs_core.analysis.scale.ScaleConversion`); for 0/1/2 raters everything is on 0/1/2 (the model's
score converted with the same cut points). The rater mean is the per-image mean of the human scores; on 0/1/2 it
is rounded half up to a category for kappa.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mgs_core.analysis.agreement import ICC, BlandAltman, bland_altman, icc, mae, pearson_r, rmse, weighted_kappa
from mgs_core.analysis.scale import SCALE_0_9, SCALE_MGS012, SCALES, ScaleConversion
from mgs_core.errors import InputError

RATER_MEAN = "rater_mean"
NOT_SCORABLE = ("x", "na", "n/a", "no eye", "noeye")
MODEL = "model"


@dataclass(frozen=True)
class PairAgreement:
    """Agreement of ``a`` with ``b`` (Bland-Altman difference = a - b). ``scale`` is "0-9" or "mgs012"."""

    a: str
    b: str
    scale: str
    n: int
    mae: float
    rmse: float
    r: float
    icc_2_1: ICC
    icc_3_1: ICC
    ba: BlandAltman
    kappa_linear: float
    kappa_quadratic: float

    def row(self) -> dict:
        return {"a": self.a, "b": self.b, "scale": self.scale, "n": self.n, "mae": self.mae, "rmse": self.rmse,
                "pearson_r": self.r, "icc_2_1": self.icc_2_1.value, "icc_2_1_ci_low": self.icc_2_1.ci_low,
                "icc_2_1_ci_high": self.icc_2_1.ci_high, "icc_3_1": self.icc_3_1.value,
                "icc_3_1_ci_low": self.icc_3_1.ci_low, "icc_3_1_ci_high": self.icc_3_1.ci_high,
                "ba_bias": self.ba.bias, "ba_loa_low": self.ba.loa_low, "ba_loa_high": self.ba.loa_high,
                "kappa_linear_0_2": self.kappa_linear, "kappa_quadratic_0_2": self.kappa_quadratic,
                "note": "; ".join(x for x in (self.icc_2_1.reason, self.icc_3_1.reason) if x)}


@dataclass(frozen=True)
class AgreementReport:
    scale: str
    conversion: ScaleConversion
    raters: list[str]
    ratings: pd.DataFrame  # image, model, one column per rater, rater_mean (on ``scale``)
    model_vs_rater: list[PairAgreement]  # one per rater, then the rater mean
    inter_rater: list[PairAgreement]  # every pair of humans
    inter_rater_icc_2_1: ICC | None  # all humans together (None with a single rater)
    inter_rater_icc_3_1: ICC | None
    not_scorable: dict[str, list[str]] = field(default_factory=dict)  # rater -> images marked "x" (no eye)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([p.row() for p in self.model_vs_rater + self.inter_rater])


def load_key(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"key file {path} does not exist")
    try:
        key = pd.read_csv(path, dtype={"image": str, "roi": str, "animal": str, "group": str})
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"{path.name} is not a readable CSV ({exc})") from None
    for c in ("image", "model_score_0_9"):
        if c not in key.columns:
            raise InputError(f"{path.name} lacks the column {c!r} (is it the key.csv written by mgs keyframes?)")
    dup = key["image"].duplicated()
    if dup.any():
        raise InputError(f"{path.name} row {int(np.flatnonzero(dup)[0]) + 2}: image {key['image'][dup].iloc[0]!r} "
                         "appears twice")
    key["model_score_0_9"] = pd.to_numeric(key["model_score_0_9"], errors="coerce")
    bad = ~np.isfinite(key["model_score_0_9"].to_numpy(dtype=np.float64))
    if bad.any():
        raise InputError(f"{path.name} row {int(np.flatnonzero(bad)[0]) + 2}: model_score_0_9 is missing")
    return key


def load_rater(path: str | Path, key_images, scale: str = SCALE_0_9) -> pd.Series:
    """One rater's scores indexed by image, validated strictly against the key's images."""
    if scale not in SCALES:
        raise InputError(f"rater scale must be one of {SCALES}, got {scale!r}")
    path = Path(path)
    if not path.is_file():
        raise InputError(f"rater file {path} does not exist")
    try:
        # utf-8-sig: spreadsheets often write a byte-order mark; sep=None sniffs "," or ";" (European Excel)
        df = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python", encoding="utf-8-sig")
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"{path.name} is not a readable CSV ({exc})") from None
    df.columns = [str(c).strip().lower() for c in df.columns]
    for c in ("image", "score"):
        if c not in df.columns:
            raise InputError(f"{path.name} lacks the column {c!r} (expected columns: image,score)")
    known = set(key_images)
    seen: dict[str, int] = {}
    scores = {}
    hi = 9.0 if scale == SCALE_0_9 else 2.0
    for i, (image, raw) in enumerate(zip(df["image"], df["score"])):
        row = i + 2
        image, raw = str(image).strip(), str(raw).strip()
        where = f"{path.name} row {row}"
        if not image:
            raise InputError(f"{where}: no image name")
        if image not in known:
            raise InputError(f"{where}: image {image!r} is not in the key file")
        if image in seen:
            raise InputError(f"{where}: image {image!r} is rated twice (first at row {seen[image]})")
        seen[image] = row
        if not raw:
            raise InputError(f"{where}: no score for {image!r} (write a score, or x if no eye is visible)")
        if raw.lower() in NOT_SCORABLE:
            scores[image] = float("nan")
            continue
        if raw.count(",") == 1 and "." not in raw:
            raw = raw.replace(",", ".")  # decimal comma
        try:
            v = float(raw)
        except ValueError:
            raise InputError(f"{where}: score {raw!r} for {image!r} is not a number") from None
        if not (0.0 <= v <= hi) or (scale == SCALE_MGS012 and v != int(v)):
            what = "0-9" if scale == SCALE_0_9 else "0, 1 or 2 (use --scale 0-9 for 0-9 raters)"
            raise InputError(f"{where}: score {raw!r} for {image!r} is off-scale (expected {what})")
        scores[image] = v
    missing = [im for im in key_images if im not in scores]
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise InputError(f"{path.name}: no row for image {missing[0]!r}{more} (every key image must be rated)")
    return pd.Series(scores, name=path.stem).reindex(list(key_images))


def pair_agreement(a_name: str, a, b_name: str, b, scale: str, conv: ScaleConversion) -> PairAgreement:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if scale == SCALE_0_9:
        ca, cb = conv.to_mgs(a), conv.to_mgs(b)
    else:
        ca, cb = np.floor(a + 0.5), np.floor(b + 0.5)
    pairs = np.column_stack([a, b])
    ok = np.isfinite(a) & np.isfinite(b)
    return PairAgreement(a_name, b_name, scale, int(ok.sum()), mae(a, b), rmse(a, b), pearson_r(a, b),
                         icc(pairs, "2,1"), icc(pairs, "3,1"), bland_altman(a, b),
                         weighted_kappa(ca, cb, "linear"), weighted_kappa(ca, cb, "quadratic"))


def agree(key_path: str | Path, rater_paths, scale: str = SCALE_0_9,
          conversion: ScaleConversion | None = None) -> AgreementReport:
    """Load the key and the raters' files and compute model-vs-rater and inter-rater agreement."""
    conv = conversion or ScaleConversion()
    key = load_key(key_path)
    images = list(key["image"])
    if not rater_paths:
        raise InputError("give at least one rater file")
    raters: list[str] = []
    cols = {}
    not_scorable: dict[str, list[str]] = {}
    for p in rater_paths:
        s = load_rater(p, images, scale)
        name = str(s.name)
        while name in cols or name in (MODEL, RATER_MEAN):
            name = f"{name}_"
        raters.append(name)
        cols[name] = s.to_numpy()
        not_scorable[name] = [im for im, v in zip(images, cols[name]) if not np.isfinite(v)]
    model = key["model_score_0_9"].to_numpy(np.float64)
    if scale == SCALE_MGS012:
        model = conv.to_mgs(model)
    ratings = pd.DataFrame({"image": images, MODEL: model, **cols})
    ratings[RATER_MEAN] = ratings[raters].mean(axis=1)
    extra = [c for c in ("animal", "group", "frame", "time_s") if c in key.columns]
    ratings = pd.concat([ratings, key[extra].reset_index(drop=True)], axis=1)
    mvr = [pair_agreement(MODEL, model, r, ratings[r], scale, conv) for r in raters]
    if len(raters) > 1:
        mvr.append(pair_agreement(MODEL, model, RATER_MEAN, ratings[RATER_MEAN], scale, conv))
    inter = [pair_agreement(x, ratings[x], y, ratings[y], scale, conv) for x, y in itertools.combinations(raters, 2)]
    icc2 = icc(ratings[raters].to_numpy(), "2,1") if len(raters) > 1 else None
    icc3 = icc(ratings[raters].to_numpy(), "3,1") if len(raters) > 1 else None
    return AgreementReport(scale, conv, raters, ratings, mvr, inter, icc2, icc3, not_scorable)
