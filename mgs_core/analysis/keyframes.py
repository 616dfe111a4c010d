"""Key frames for blinded human scoring: choose scorable frames, export them shuffled under neutral names.

Selection (:func:`select_keyframes`, pure on the results table):

1. Candidates: rows with a visible eye and a score (never a frame without a visible eye).
2. Sharpness (when a ``sharpness`` column is present, from :func:`measure_sharpness`): candidates below
   ``min_sharpness`` or below the animal's own ``sharp_quantile`` quantile of sharpness are dropped (blurred
   frames, e.g. during movement).
3. Spread: per animal (and per time bin with ``bin_s``), N picks by a Latin-hypercube scheme: the candidates'
   time range is cut into N strata and their scores into N score-rank strata; time stratum i gets score stratum
   perm[i] (random permutation), and takes the candidate closest to the middle of that stratum pair. If a stratum
   is empty or blocked, the remaining picks are filled with the candidates farthest in time from earlier picks.
4. No near-duplicates: no two picks of the same animal are closer than ``min_gap_s`` seconds.

Frames to label (:func:`select_for_labelling`, active learning): the same scheme with a total number of frames
split evenly over the units (animals of every source video), and an ``uncertainty`` column (0-1, from
:func:`uncertainty`: 1 - scorability x confidence of the model) that lowers a candidate's cost within its stratum
by ``uncertainty_weight`` x uncertainty, so of the frames that fit a stratum the model's least sure one is taken.

Export (:func:`export_keyframes`): reads the frames from the video, writes the ROI crop (256 px) as
``kf_0001.png`` ... in a shuffled order (and with ``crops`` an eye-centred crop ``kf_0001_eye.png``), a key file
``key.csv`` (image, video, frame, time_s, roi, animal, group, model_score_0_9, model_mgs_0_2, eye_x, eye_y,
sharpness) to keep away from the raters, and ``rater_template.csv`` (image, score) to hand out.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mgs_core.analysis.curves import SEQ_COLS as UNIT_COLS  # one animal in one video
from mgs_core.analysis.scale import SCORE_COL, ScaleConversion
from mgs_core.errors import InputError, VideoError

ROI_SIZE = 256
EYE_CROP = 96  # eye-centred crop side in ROI-crop pixels (the model sees 50 x 50; raters get context)
SHARP_HALF = 32  # sharpness window half-size around the eye, ROI-crop pixels
KEY_COLUMNS = ["image", "video", "frame", "time_s", "roi", "animal", "group", "model_score_0_9", "model_mgs_0_2",
               "eye_x", "eye_y", "sharpness"]


@dataclass(frozen=True)
class KeyframeExport:
    out_dir: Path
    key_path: Path
    template_path: Path
    n_images: int
    key: pd.DataFrame


def _spread_pick(cand: pd.DataFrame, n: int, min_gap: float, taken: list[float], rng,
                 uncertainty_weight: float = 0.0) -> list[int]:
    """Indices of up to n rows of cand (one animal, one bin) spread over time and score, respecting min_gap.

    With ``uncertainty_weight`` > 0 and an ``uncertainty`` column, uncertain candidates cost less within a stratum
    (and the fill-up step prefers them among the far-enough candidates)."""
    if n <= 0 or cand.empty:
        return []
    unc = np.zeros(len(cand))
    if uncertainty_weight and "uncertainty" in cand.columns:
        unc = np.nan_to_num(cand["uncertainty"].to_numpy(dtype=np.float64), nan=0.0).clip(0.0, 1.0)
    t = cand["time_s"].to_numpy(dtype=np.float64)
    s = cand[SCORE_COL].to_numpy(dtype=np.float64)
    srank = (pd.Series(s).rank(method="first").to_numpy() - 0.5) / len(s)  # in (0, 1)
    t0, t1 = t.min(), t.max()
    tn = (t - t0) / (t1 - t0) if t1 > t0 else np.full_like(t, 0.5)
    picks: list[int] = []

    def free(i: int) -> bool:
        return all(abs(t[i] - u) >= min_gap for u in taken)

    perm = rng.permutation(n)
    for i in range(n):
        in_t = (tn >= i / n) & ((tn < (i + 1) / n) | (i == n - 1))
        target_t, target_s = (i + 0.5) / n, (perm[i] + 0.5) / n
        cost = np.abs(srank - target_s) + 0.5 * np.abs(tn - target_t) - uncertainty_weight * unc
        for j in np.argsort(np.where(in_t, cost, np.inf), kind="stable"):
            if not in_t[j]:
                break
            if free(j):
                picks.append(int(j))
                taken.append(t[j])
                break
    while len(picks) < n:
        dist = np.array([min((abs(t[j] - u) for u in taken), default=np.inf) for j in range(len(t))])
        dist[picks] = -1
        far = dist >= max(min_gap, 0.0)
        if not far.any():
            break
        # the most uncertain of the far-enough candidates (ties and weight 0: the farthest in time)
        j = int(np.argmax(np.where(far, uncertainty_weight * unc * 1e6 + np.minimum(dist, 1e6), -np.inf)))
        picks.append(j)
        taken.append(t[j])
    return [int(cand.index[j]) for j in picks]


def select_keyframes(df: pd.DataFrame, per_animal: int, min_gap_s: float = 2.0, bin_s: float | None = None,
                     min_sharpness: float = 0.0, sharp_quantile: float = 0.25, seed: int = 0) -> pd.DataFrame:
    """Rows of a prepared results table (``curves.prepare``) chosen for blinded scoring, sorted by unit and time.

    ``per_animal`` picks per unit, or per unit and time bin when ``bin_s`` is given. Units with too few
    scorable, well-separated frames get fewer picks (never a frame without a visible eye).
    """
    if per_animal < 1:
        raise InputError(f"--per-animal must be at least 1, got {per_animal}")
    if min_gap_s < 0:
        raise InputError(f"--min-gap must not be negative, got {min_gap_s}")
    rng = np.random.default_rng(seed)
    ok = (df["eye_visible"] == 1) & np.isfinite(df[SCORE_COL].to_numpy(dtype=np.float64))
    cand_all = df[ok]
    chosen: list[int] = []
    for _, cand in cand_all.groupby(UNIT_COLS, sort=True):
        if "sharpness" in cand.columns:
            sh = cand["sharpness"].to_numpy(dtype=np.float64)
            cut = max(min_sharpness, float(np.nanquantile(sh, sharp_quantile)) if np.isfinite(sh).any() else 0.0)
            cand = cand[np.isfinite(sh) & (sh >= cut)]
        taken: list[float] = []
        if bin_s:
            bins = np.floor(cand["time_s"].to_numpy() / bin_s)
            for b in np.unique(bins):
                chosen += _spread_pick(cand[bins == b], per_animal, min_gap_s, taken, rng)
        else:
            chosen += _spread_pick(cand, per_animal, min_gap_s, taken, rng)
    return df.loc[sorted(chosen)].sort_values(UNIT_COLS + ["time_s"], kind="stable")


def uncertainty(df: pd.DataFrame) -> np.ndarray:
    """The model's uncertainty per row, 0 (sure) to 1: ``1 - scorability * confidence`` (the runner's two 0-1
    certainties; a table without a ``confidence`` column uses scorability alone)."""
    n = len(df)
    sc = df["scorability"].to_numpy(dtype=np.float64) if "scorability" in df.columns else np.ones(n)
    cf = df["confidence"].to_numpy(dtype=np.float64) if "confidence" in df.columns else np.ones(n)
    cert = np.nan_to_num(sc, nan=0.0).clip(0, 1) * np.nan_to_num(cf, nan=0.0).clip(0, 1)
    return 1.0 - cert


def select_for_labelling(df: pd.DataFrame, n: int, min_gap_s: float = 2.0, uncertainty_weight: float = 0.5,
                         min_sharpness: float = 0.0, sharp_quantile: float = 0.25, seed: int = 0) -> pd.DataFrame:
    """``n`` frames in all for a lab to label (active learning), from a prepared table of one or more videos.

    Only scored rows (status ``scored`` when the table has a status, a visible eye and a score) are candidates.
    ``n`` is split evenly over the units (source x animal; the remainder goes to the units with the most
    candidates); within a unit the picks are spread over time and predicted score, at least ``min_gap_s`` apart,
    preferring frames the model is unsure of (:func:`uncertainty`, weighted by ``uncertainty_weight``). A unit with
    too few candidates gives its share to the others. Returns the chosen rows (with an ``uncertainty`` column)
    sorted by unit and time; fewer than ``n`` when there are not enough well-separated scorable frames.
    """
    from mgs_core.types import SCORED

    if n < 1:
        raise InputError(f"the number of frames to label must be at least 1, got {n}")
    if min_gap_s < 0:
        raise InputError(f"the minimum gap must not be negative, got {min_gap_s}")
    if uncertainty_weight < 0:
        raise InputError(f"the uncertainty weight must not be negative, got {uncertainty_weight}")
    rng = np.random.default_rng(seed)
    ok = (df["eye_visible"] == 1) & np.isfinite(df[SCORE_COL].to_numpy(dtype=np.float64))
    if "status" in df.columns:
        ok &= df["status"].astype(str) == SCORED
    cand_all = df[ok].copy()
    cand_all["uncertainty"] = uncertainty(cand_all)
    units = []
    for _, cand in cand_all.groupby(UNIT_COLS, sort=True):
        if "sharpness" in cand.columns:
            sh = cand["sharpness"].to_numpy(dtype=np.float64)
            cut = max(min_sharpness, float(np.nanquantile(sh, sharp_quantile)) if np.isfinite(sh).any() else 0.0)
            cand = cand[np.isfinite(sh) & (sh >= cut)]
        if len(cand):
            units.append(cand)
    chosen: list[int] = []
    remaining = n
    while units and remaining > 0:
        # even quotas; the remainder to the units with the most candidates
        order = sorted(range(len(units)), key=lambda i: -len(units[i]))
        quota = {i: remaining // len(units) + (1 if r < remaining % len(units) else 0) for r, i in enumerate(order)}
        next_units, progress = [], False
        for i, cand in enumerate(units):
            mine = [c for c in chosen if c in cand.index]
            got = _spread_pick(cand.drop(index=mine), quota[i], min_gap_s, cand.loc[mine, "time_s"].tolist(), rng,
                               uncertainty_weight)
            chosen += got
            remaining -= len(got)
            progress |= bool(got)
            if len(got) == quota[i]:
                next_units.append(cand)  # not exhausted: may take the share of units that ran out
        if not progress or not next_units:
            break
        units = next_units
    out = cand_all.loc[sorted(set(chosen))]
    return out.sort_values(UNIT_COLS + ["time_s"], kind="stable")


def _eye_in_crop(roi, eye_x: float, eye_y: float) -> tuple[float, float]:
    from mgs_core.geometry import crop_transform

    return crop_transform(roi, ROI_SIZE).to_crop(eye_x, eye_y)


def _window(img: np.ndarray, cx: float, cy: float, half: int) -> np.ndarray:
    """Square window centred on (cx, cy), border-replicated where it leaves the image."""
    import cv2

    x0, y0 = int(round(cx)) - half, int(round(cy)) - half
    pad = 2 * half
    padded = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    return padded[y0 + pad : y0 + pad + 2 * half, x0 + pad : x0 + pad + 2 * half]


def sharpness(crop: np.ndarray, eye_uv: tuple[float, float]) -> float:
    """Variance of the Laplacian of the grey eye-centred window of a ROI crop (higher = sharper)."""
    import cv2

    win = _window(crop, eye_uv[0], eye_uv[1], SHARP_HALF)
    grey = cv2.cvtColor(win, cv2.COLOR_RGB2GRAY) if win.ndim == 3 else win
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def _roi_lookup(rois, df: pd.DataFrame, width: int, height: int):
    from mgs_core.types import Roi

    by_id = {r.id: r for r in rois} if rois is not None else {}
    missing = sorted(set(df["roi"].astype(str)) - set(by_id))
    if rois is not None and missing:
        raise InputError(f"results name ROI(s) {missing} that the ROI file does not define")
    return lambda rid: by_id.get(rid) or Roi(rid, 0, 0, width, height)


def iter_video_frames(path: str | Path, wanted):
    """Yield (frame_index, RGB uint8 frame) for the wanted frame indices, decoding once in order with
    :func:`mgs_core.io.video.open_video` (the same frame numbering as ``mgs score``)."""
    from mgs_core.io.video import open_video

    wanted = set(int(i) for i in wanted)
    if not wanted:
        return
    last = max(wanted)
    with open_video(path, threaded=False, max_frames=last + 1) as src:
        for vf in src:
            if vf.index in wanted:
                yield vf.index, vf.image
            if vf.index >= last:
                break


def _video_size(path: Path) -> tuple[int, int]:
    from mgs_core.io.video import probe_video

    info = probe_video(path)
    return info.width, info.height


def measure_sharpness(df: pd.DataFrame, video: str | Path, rois=None, max_per_unit: int = 400) -> pd.DataFrame:
    """Add a ``sharpness`` column for scorable rows (at most ``max_per_unit`` per unit, evenly spaced in time;
    the others are dropped from the returned table since they were never checked)."""
    video = Path(video)
    w, h = _video_size(video)
    roi_of = _roi_lookup(rois, df, w, h)
    ok = (df["eye_visible"] == 1) & np.isfinite(df[SCORE_COL].to_numpy(dtype=np.float64))
    parts = []
    for _, cand in df[ok].groupby(UNIT_COLS, sort=True):
        if len(cand) > max_per_unit:
            cand = cand.iloc[np.linspace(0, len(cand) - 1, max_per_unit).round().astype(int)]
        parts.append(cand)
    cand = pd.concat(parts) if parts else df[ok]
    cand = cand.copy()
    cand["sharpness"] = np.nan
    by_frame = cand.groupby("frame").groups
    from mgs_core.geometry import crop_roi

    for fi, img in iter_video_frames(video, by_frame.keys()):
        for idx in by_frame[fi]:
            row = cand.loc[idx]
            roi = roi_of(str(row["roi"]))
            crop = crop_roi(img, roi, ROI_SIZE)
            cand.loc[idx, "sharpness"] = sharpness(crop, _eye_in_crop(roi, row["eye_x"], row["eye_y"]))
    return cand


def export_keyframes(picks: pd.DataFrame, video: str | Path, out_dir: str | Path, rois=None, crops: bool = False,
                     seed: int = 0, scale: ScaleConversion | None = None) -> KeyframeExport:
    """Write the blinded image set, ``key.csv`` and ``rater_template.csv`` (see the module docstring)."""
    import cv2

    from mgs_core.geometry import crop_roi

    scale = scale or ScaleConversion()
    video, out = Path(video), Path(out_dir)
    if picks.empty:
        raise InputError("no scorable frames to export (no frame with a visible eye and a score)")
    out.mkdir(parents=True, exist_ok=True)
    w, h = _video_size(video)
    roi_of = _roi_lookup(rois, picks, w, h)
    order = np.random.default_rng(seed).permutation(len(picks))
    shuffled = picks.iloc[order].reset_index(drop=True)
    width = max(4, len(str(len(shuffled))))
    names = [f"kf_{i + 1:0{width}d}.png" for i in range(len(shuffled))]
    by_frame: dict[int, list[int]] = {}
    for i, f in enumerate(shuffled["frame"].astype(int)):
        by_frame.setdefault(int(f), []).append(i)
    sharp = np.full(len(shuffled), np.nan)
    written = 0
    for fi, img in iter_video_frames(video, by_frame.keys()):
        for i in by_frame[fi]:
            row = shuffled.iloc[i]
            roi = roi_of(str(row["roi"]))
            crop = crop_roi(img, roi, ROI_SIZE)
            uv = _eye_in_crop(roi, float(row["eye_x"]), float(row["eye_y"]))
            sharp[i] = sharpness(crop, uv)
            cv2.imwrite(str(out / names[i]), cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
            if crops:
                eye = _window(crop, uv[0], uv[1], EYE_CROP // 2)
                cv2.imwrite(str(out / names[i].replace(".png", "_eye.png")), cv2.cvtColor(eye, cv2.COLOR_RGB2BGR))
            written += 1
    if written != len(shuffled):
        raise VideoError(f"{video} ended before frame {max(by_frame)}: results and video do not match")
    key = pd.DataFrame({
        "image": names, "video": video.name, "frame": shuffled["frame"].astype(int), "time_s": shuffled["time_s"],
        "roi": shuffled["roi"], "animal": shuffled["animal"], "group": shuffled["group"],
        "model_score_0_9": shuffled[SCORE_COL], "model_mgs_0_2": scale.to_mgs(shuffled[SCORE_COL].to_numpy()),
        "eye_x": shuffled["eye_x"], "eye_y": shuffled["eye_y"], "sharpness": np.round(sharp, 3)})[KEY_COLUMNS]
    key_path, template_path = out / "key.csv", out / "rater_template.csv"
    key.to_csv(key_path, index=False)
    pd.DataFrame({"image": names, "score": ""}).to_csv(template_path, index=False)
    return KeyframeExport(out, key_path, template_path, len(key), key)


STRIP_PICKS = ("lowest", "median", "highest", "no eye")


def strip_picks(df: pd.DataFrame) -> pd.DataFrame:
    """Per ROI of a results table (``load_scores``): the frames with the lowest, median and highest score, and one
    frame where no eye was judged (the middle one in time), for a quick look at what the numbers mean.

    Returns those rows with a ``pick`` column (one of :data:`STRIP_PICKS`), ordered by ROI then pick; an ROI
    without a scored frame gets only its "no eye" pick, one scored throughout no "no eye" pick. Frames the
    machinery could not score (``unscored_*``) are never shown as "no eye": they say nothing about the animal.
    """
    out = []
    for _, g in df.groupby("roi", sort=False):
        scored = g[np.isfinite(g["score"].to_numpy(dtype=np.float64)) & (g["eye_visible"] == 1)]
        scored = scored.sort_values(["score", "frame"], kind="stable")
        if len(scored):
            for label, pos in (("lowest", 0), ("median", (len(scored) - 1) // 2), ("highest", len(scored) - 1)):
                out.append(scored.iloc[[pos]].assign(pick=label))
        hidden = g[g["eye_visible"] != 1]
        if "status" in hidden.columns:
            hidden = hidden[~hidden["status"].astype(str).str.startswith("unscored")]
        if len(hidden):
            hidden = hidden.sort_values("frame", kind="stable")
            out.append(hidden.iloc[[(len(hidden) - 1) // 2]].assign(pick="no eye"))
    if not out:
        return df.iloc[0:0].assign(pick=pd.Series(dtype=object))
    return pd.concat(out, ignore_index=True)
