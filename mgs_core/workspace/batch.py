"""Batch runs in a workspace: one run folder per scoring of one video, versioned, never overwritten.

:func:`plan_batch_run` decides, before anything is scored, where a video's scoring goes:

- ``reuse``: a finished run with the same fingerprint (same video bytes, ROIs, models, stride, frame limit,
  annotation) exists: it is the result, nothing is scored again;
- ``resume``: an interrupted run with the same fingerprint exists: scoring continues in its folder from its saved
  chunks (:func:`mgs_core.scoring.score_video`'s resume);
- ``new``: anything else, including the same video with other settings: a new run folder.

With ``replace=True`` (only when the user asks) a new run is always made and, once it has finished, the earlier
runs of the same video are deleted. :func:`finish_batch_run` writes the outcome into the run's record.
"""
from __future__ import annotations

from dataclasses import dataclass, replace as dc_replace
from pathlib import Path

from mgs_core.errors import InputError
from mgs_core.workspace.records import DONE, FAILED, INTERRUPTED, RUNNING, InputFile, RunRecord, fingerprint
from mgs_core.workspace.store import (Workspace, delete_run, list_runs, new_run_folder, now_utc,
                                      save_record, this_process)

NEW, RESUME, REUSE = "new", "resume", "reuse"


@dataclass(frozen=True)
class BatchPlan:
    video: Path
    action: str  # NEW, RESUME or REUSE
    folder: Path
    record: RunRecord
    replaces: tuple[str, ...] = ()  # run ids deleted once this run has finished (replace=True)


def _model_name(card: dict) -> str:
    return str(card.get("name") or card.get("file") or str(card.get("sha256", ""))[:12] or "model")


def plan_batch_run(ws: Workspace, video: str | Path, rois_file: str | Path | None, runner_info, stride: int,
                   max_frames: int | None, annotate: bool = False, user: str = "",
                   replace: bool = False, shown_name: str | None = None) -> BatchPlan:
    """Where ``video``'s scoring goes (module docstring). A new or resumed run's record is written with status
    ``running`` before this returns. InputError for an unreadable video or ROI file (naming it) or an unwritable
    workspace.
    ``shown_name``: the input's name as the user knows it (an upload's original name), for the run list.
    """
    from mgs_core.io.rois import full_frame_rois, load_rois, rois_to_dict
    from mgs_core.io.video import probe_video
    from mgs_core.models.checkpoint import file_sha256
    from mgs_core.scoring import model_key

    video = Path(video)
    rois = load_rois(rois_file) if rois_file else None
    if rois is None:
        info = probe_video(video)
        rois = full_frame_rois(info.width, info.height)
    try:
        video_sha, size = file_sha256(video), video.stat().st_size
    except OSError as exc:
        raise InputError(f"{video.name} cannot be read ({exc.strerror or exc})") from None
    rois_dict = rois_to_dict(rois)
    seg_key, score_key = model_key(runner_info.seg_model), model_key(runner_info.score_model)
    fp = fingerprint(video_sha, rois_dict, seg_key, score_key, stride, max_frames, annotate)
    runs = list_runs(ws, ("batch",)).runs
    same = [r for r in runs if r.record.fingerprint == fp and r.usable]
    if not replace:
        done = [r for r in same if r.status == DONE]
        if done:
            return BatchPlan(video, REUSE, done[0].folder, done[0].record)
    ws.require_writable()
    earlier = tuple(r.id for r in runs if any(i.sha256 == video_sha for i in r.record.inputs)
                    and r.status not in (RUNNING,)) if replace else ()
    resumable = [r for r in same if r.status == INTERRUPTED] if not replace else []
    roi_sha = file_sha256(rois_file) if rois_file else ""
    if resumable:
        entry = resumable[0]
        rec = dc_replace(entry.record, status=RUNNING, user=user or entry.record.user, **this_process())
        return BatchPlan(video, RESUME, entry.folder, save_record(entry.folder, rec), earlier)
    folder = new_run_folder(ws, "batch", video.stem[:40])
    rec = RunRecord(
        id=folder.name, kind="batch", created_utc=now_utc(), user=user, status=RUNNING,
        inputs=(InputFile(shown_name or video.name, str(video.resolve()), video_sha, size),),
        models={"segmentation": _model_name(runner_info.seg_model), "score": _model_name(runner_info.score_model),
                "seg_key": seg_key, "score_key": score_key, "backend": runner_info.backend,
                "device": runner_info.device},
        settings={"stride": stride, "max_frames": max_frames, "annotate": bool(annotate),
                  "roi_file": Path(rois_file).name if rois_file else "", "roi_sha256": roi_sha,
                  "whole_frame": rois_file is None},
        rois=rois_dict, fingerprint=fp, **this_process())
    return BatchPlan(video, NEW, folder, save_record(folder, rec), earlier)


def finish_batch_run(ws: Workspace, plan: BatchPlan, outcome) -> RunRecord:
    """Write a TaskOutcome (mgs_core.batch.task) into the run's record; with ``replaces``, delete those earlier
    runs once this one is done. Returns the final record."""
    if plan.action == REUSE:
        return plan.record
    files = {}
    for role in ("csv", "parquet", "provenance", "annotated"):
        path = getattr(outcome, role, "")
        if path:
            p = Path(path)
            files[role] = p.relative_to(plan.folder).as_posix() if p.is_relative_to(plan.folder) else p.name
    ok = outcome.ok
    rec = dc_replace(plan.record, status=DONE if ok else FAILED, frames=int(outcome.frames), rows=int(outcome.rows),
                     files=files if ok else {}, message=outcome.message, finished_utc=now_utc(), pid=0)
    save_record(plan.folder, rec)
    if ok:
        for old in plan.replaces:
            if old != rec.id:
                try:
                    delete_run(ws, old)
                except InputError:
                    pass  # already gone (another tab); the new run stands
    return rec


def mark_interrupted(plan: BatchPlan, message: str) -> None:
    """Record that scoring stopped before the end (e.g. the page's script was stopped); the chunks are kept."""
    if plan.action != REUSE:
        save_record(plan.folder, dc_replace(plan.record, status=INTERRUPTED, message=message, pid=0))
