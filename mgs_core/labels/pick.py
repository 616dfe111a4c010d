"""Choose frames to label from a lab's videos and write them as a label set (active learning).

:func:`create_label_set` scores every ``stride``-th frame of each video with the given runner (keeping the runner's
``scorability`` and ``confidence``), measures the sharpness around each found eye, picks ``n`` frames with
:func:`mgs_core.analysis.keyframes.select_for_labelling` (scorable, spread over time, animals and predicted scores,
weighted toward frames the model is least sure of, no two of one animal closer than ``min_gap_s``), and writes
their 256-px ROI crops in a shuffled order under neutral names ``f001.png`` ... with the manifest
(:mod:`mgs_core.labels.store`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from mgs_core.errors import InputError, VideoError
from mgs_core.labels.store import FORMAT, VERSION, LabelError, LabelItem, LabelSet, check_set_name, items_to_json, \
    now_utc, write_manifest
from mgs_core.types import RoiSet

ROI_SIZE = 256
MAX_SCORED_FRAMES = 600  # per video, when no stride is given


@dataclass(frozen=True)
class VideoInput:
    """A video to choose frames from, with its ROI set (None = the whole frame as one ROI)."""

    video: Path
    rois: RoiSet | None = None


def content_box(roi, size: int = ROI_SIZE) -> tuple[float, float, float, float]:
    """The ROI's own pixels inside its letterboxed square crop: (x0, y0, x1, y1) in crop pixels, inclusive."""
    from mgs_core.geometry import crop_transform

    t = crop_transform(roi, size)
    return (round(t.off_x, 2), round(t.off_y, 2), round(t.off_x + t.scale * roi.w - 1, 2),
            round(t.off_y + t.scale * roi.h - 1, 2))


def _roiset_for(src: VideoInput):
    from mgs_core.io.rois import full_frame_rois
    from mgs_core.io.video import probe_video

    if src.rois is not None:
        return src.rois
    info = probe_video(src.video)
    return full_frame_rois(info.width, info.height)


def score_for_labelling(src: VideoInput, runner, stride: int | None = None, source: str | None = None,
                        progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Prepared results table (``curves.prepare``) of every ``stride``-th frame with ``confidence`` and a
    ``sharpness`` column (variance of the Laplacian around the found eye; NaN without an eye)."""
    from mgs_core.analysis.curves import prepare
    from mgs_core.analysis.keyframes import _eye_in_crop, sharpness
    from mgs_core.geometry import crop_roi
    from mgs_core.io.results import frames_to_table
    from mgs_core.io.video import open_video, probe_video
    from mgs_core.pipeline import Pipeline

    video = Path(src.video)
    if not video.is_file():
        raise InputError(f"video {video} does not exist")
    info = probe_video(video)
    roiset = _roiset_for(src)
    n_frames = max(1, int(info.n_frames))
    stride = int(stride or max(1, int(np.ceil(n_frames / MAX_SCORED_FRAMES))))
    total = max(1, int(np.ceil(n_frames / stride)))
    pipe = Pipeline(runner, ROI_SIZE)
    frames, sharp = [], []
    with open_video(video, stride=stride) as vs:
        for vf in vs:
            fr = pipe.process(vf.image, roiset, vf.index, vf.time_s)
            frames.append(fr)
            for roi, r in zip(roiset, fr.rois):
                if r.eye_visible and r.eye_x is not None:
                    crop = crop_roi(vf.image, roi, ROI_SIZE)
                    sharp.append(sharpness(crop, _eye_in_crop(roi, r.eye_x, r.eye_y)))
                else:
                    sharp.append(np.nan)
            if progress:
                progress(len(frames), total)
    if not frames:
        raise VideoError(f"{video.name}: no frame could be decoded")
    df = frames_to_table(frames, with_confidence=True)
    df["sharpness"] = sharp
    return prepare(df, source=source or video.stem)


def _unique_sources(inputs: Sequence[VideoInput]) -> list[str]:
    names, seen = [], {}
    for src in inputs:
        stem = Path(src.video).stem
        seen[stem] = seen.get(stem, 0) + 1
        names.append(stem if seen[stem] == 1 else f"{stem}~{seen[stem]}")
    return names


def create_label_set(root: str | Path, inputs: Sequence[VideoInput], runner, n: int, min_gap_s: float = 2.0,
                     uncertainty_weight: float = 0.5, stride: int | None = None, seed: int = 0,
                     progress: Callable[[str, int, int], None] | None = None, user: str | None = None) -> LabelSet:
    """Pick ``n`` frames from ``inputs`` and write the label set folder ``root`` (which must not exist yet);
    ``user`` (default: the OS user) is recorded as ``created_by``."""
    import cv2

    from mgs_core.analysis.keyframes import iter_video_frames, select_for_labelling
    from mgs_core.geometry import crop_roi, crop_transform
    from mgs_core.io.rois import rois_to_dict

    root = Path(root)
    check_set_name(root.name)
    if root.exists():
        raise LabelError(f"a label set named {root.name!r} already exists: pick another name")
    if not inputs:
        raise InputError("choose at least one video to pick frames from")
    if n < 1:
        raise LabelError(f"the number of frames to label must be at least 1, got {n}")
    sources = _unique_sources(inputs)
    tables = []
    for k, (src, name) in enumerate(zip(inputs, sources)):
        cb = (lambda d, t, k=k: progress(f"scoring video {k + 1} of {len(inputs)}", d, t)) if progress else None
        tables.append(score_for_labelling(src, runner, stride, name, cb))
    df = pd.concat(tables, ignore_index=True)
    picks = select_for_labelling(df, n, min_gap_s, uncertainty_weight, seed=seed)
    if picks.empty:
        raise LabelError("the model found no scorable frame (visible, sharp eye) in these videos: check the ROIs, "
                         "or label frames chosen another way")
    rng = np.random.default_rng(seed)
    picks = picks.iloc[rng.permutation(len(picks))].reset_index(drop=True)
    width = max(3, len(str(len(picks))))
    names = [f"f{i + 1:0{width}d}" for i in range(len(picks))]
    tmp = root.with_name(root.name + ".creating")
    (tmp / "crops").mkdir(parents=True, exist_ok=True)
    items: list[LabelItem | None] = [None] * len(picks)
    done = 0
    for src, source in zip(inputs, sources):
        roiset = _roiset_for(src)
        roi_of = {r.id: r for r in roiset}
        mine = picks.index[picks["source"] == source]
        by_frame: dict[int, list[int]] = {}
        for i in mine:
            by_frame.setdefault(int(picks.at[i, "frame"]), []).append(int(i))
        for fi, img in iter_video_frames(src.video, by_frame.keys()):
            for i in by_frame[fi]:
                row = picks.iloc[i]
                roi = roi_of[str(row["roi"])]
                crop = crop_roi(img, roi, ROI_SIZE)
                rel = f"crops/{names[i]}.png"
                if not cv2.imwrite(str(tmp / rel), cv2.cvtColor(crop, cv2.COLOR_RGB2BGR)):
                    raise LabelError(f"cannot write {tmp / rel}")
                u, v = crop_transform(roi, ROI_SIZE).to_crop(float(row["eye_x"]), float(row["eye_y"]))
                items[i] = LabelItem(names[i], rel, Path(src.video).name, int(row["frame"]), float(row["time_s"]),
                                     str(row["roi"]), str(row["animal"]), str(row["group"]),
                                     round(float(row["score_0_9"]), 4), round(u, 2), round(v, 2),
                                     round(float(row["uncertainty"]), 4), content_box(roi))
                done += 1
                if progress:
                    progress("cutting the crops", done, len(picks))
    if any(it is None for it in items):
        raise VideoError("a video ended before a chosen frame: the video and its scores do not match")
    info = runner.info()
    from mgs_core.access.who import os_user

    meta = {"format": FORMAT, "version": VERSION, "name": root.name, "created_utc": now_utc(),
            "created_by": user or os_user(),
            "model": {"segmentation": info.seg_model.get("name", ""), "score": info.score_model.get("name", ""),
                      "seg_sha256": info.seg_model.get("sha256", ""), "score_sha256": info.score_model.get("sha256", ""),
                      "backend": info.backend},
            "sources": [{"video": Path(s.video).name, "source": name,
                         "rois": rois_to_dict(s.rois) if s.rois is not None else None}
                        for s, name in zip(inputs, sources)],
            "settings": {"n_requested": int(n), "min_gap_s": float(min_gap_s),
                         "uncertainty_weight": float(uncertainty_weight), "stride": stride, "seed": int(seed)},
            "candidates": int(((df["eye_visible"] == 1) & df["score_0_9"].notna()).sum()),
            "items": items_to_json(items)}
    write_manifest(tmp, meta)
    tmp.rename(root)
    return LabelSet(root)
