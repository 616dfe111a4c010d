"""Batch scoring of a video or image: per-frame results table, provenance, resumable chunked output.

``score_video(input, rois, runner, out_dir, ...)`` writes, for input ``<stem>.<ext>``:

- ``out_dir/<stem>.csv`` and ``out_dir/<stem>.parquet``: one row per (frame, ROI), columns ``io.results.COLUMNS``;
- ``out_dir/<stem>.json``: provenance (models, code version, ROI file and content, video hash, speed; docs/formats.md);
- ``out_dir/<stem>.annotated.mp4`` with ``annotate=True``.

Resume: results go to ``out_dir/.<stem>.partial/chunk_<first>_<count>.parquet`` (written atomically every
``chunk_frames`` scored frames, and on Ctrl-C). A ``manifest.json`` there records what the chunks belong to (video
hash, ROIs, model hashes, backend, stride, frame limit); a rerun with the same inputs skips the frames already in
complete chunks, and the final files equal those of an uninterrupted run. A partial folder from different inputs is
discarded with a message. The partial folder is removed once the final files are written.

Publication (``publish_results``): CSV, Parquet and provenance are written under temporary names and renamed only
when all are complete, the provenance last and naming the other two's SHA-256, so ``published_set`` never takes a
mix of two runs for a result. Skip (``finished_run``): a published set whose provenance matches the job (video hash,
ROIs, models, stride, frame limit) is reused without decoding. Both are described in docs/formats.md.

Frames lost to damaged packets of the video (see :mod:`mgs_core.io.video`) get rows with status
``unscored_decode``; the summary and the provenance list the lost frame ranges. A write that fails (full disk)
raises :class:`InputError` saying the scored frames are kept in the partial folder; no ``.tmp`` file stays.
"""
from __future__ import annotations

import json
import math
import os
import platform
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from mgs_core.errors import InputError, RoiError, ServerError
from mgs_core.io.durable import fsync_dir, fsync_file
from mgs_core.io.results import COLUMNS, frames_to_table, typed_table
from mgs_core.io.rois import full_frame_rois, rois_to_dict, validate_rois
from mgs_core.io.video import VideoInfo, open_video, probe_video, write_video
from mgs_core.models.checkpoint import file_sha256
from mgs_core.pipeline import DEFAULT_DETAIL, Pipeline, unscored
from mgs_core.runners.base import Runner
from mgs_core.types import UNSCORED_DECODE, FrameResult, RoiResult, RoiSet

PARTIAL_FORMAT = "mgs-live-partial"
PROVENANCE_FORMAT = "mgs-live-provenance"
DEFAULT_CHUNK = 250

Progress = Callable[[int, int], None]  # (frames done, frames expected)


@dataclass(frozen=True)
class ScoreSummary:
    input: str
    csv: Path
    parquet: Path
    provenance: Path
    annotated: Path | None
    frames_scored: int  # frames in the results (resumed + newly scored)
    frames_resumed: int  # frames taken from a previous interrupted run
    frames_failed: int  # frames that could not be scored (e.g. server unreachable); their rows are empty
    rows: int
    wall_s: float
    frames_per_s: float  # newly scored frames per second of wall time
    decode_error: str | None = None
    messages: tuple[str, ...] = field(default_factory=tuple)
    frames_lost_decode: int = 0  # selected frames lost to damaged packets: rows with status unscored_decode
    decode_lost_ranges: tuple[tuple[int, int], ...] = ()  # (first, last) frame indices the decoder could not give


def check_output_dir(out_dir: str | Path) -> Path:
    """Create ``out_dir`` and prove it is writable; InputError naming the folder otherwise (before any work)."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".mgs-write-test-{os.getpid()}"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        raise InputError(f"output folder {out} is not writable ({exc.strerror or exc})") from None
    return out


def code_version() -> dict:
    """Package version and, when run from a git checkout, the commit and whether files were modified."""
    from mgs_core import __version__

    root = Path(__file__).resolve().parent.parent
    out = {"mgs_live": __version__, "git_commit": None, "git_dirty": None}
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
        if head.returncode == 0:
            out["git_commit"] = head.stdout.strip()
            st = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "mgs_core"],
                                capture_output=True, text=True, timeout=5)
            out["git_dirty"] = bool(st.stdout.strip()) if st.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        pass
    return out


def model_key(card: dict) -> str:
    """What identifies a model in provenance and resume checks: its checkpoint's SHA-256 (else its arguments)."""
    return str(card.get("sha256") or json.dumps(card.get("model_args", card), sort_keys=True, default=str))


_model_key = model_key


def _manifest(video_sha: str, roiset: RoiSet, runner_info, stride: int, max_frames: int | None,
              crop_size: int) -> dict:
    return {"format": PARTIAL_FORMAT, "version": 1, "video_sha256": video_sha, "rois": rois_to_dict(roiset),
            "seg_model": _model_key(runner_info.seg_model), "score_model": _model_key(runner_info.score_model),
            "backend": runner_info.backend, "device": runner_info.device, "stride": stride, "max_frames": max_frames,
            "crop_size": crop_size}


def _write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        write(tmp)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # nothing half-written stays behind
        raise


def _no_space(what: Path, exc: OSError, partial: Path) -> InputError:
    return InputError(f"cannot write {what} ({exc.strerror or exc}); the frames scored so far are kept in "
                      f"{partial}: free space (or fix the folder) and rerun the same command to resume")


def _decode_placeholders(ranges, done_ranges: int, before: int | None, stride: int, fps: float, roiset: RoiSet):
    """Unscored rows (status unscored_decode) for the stride-selected frames of the lost ranges from
    ``done_ranges`` on that end before frame ``before`` (all of them when None). Returns (frames, ranges used)."""
    out, k = [], done_ranges
    while k < len(ranges) and (before is None or ranges[k][1] < before):
        first, last = ranges[k]
        for i in range(first + (-first) % stride, last + 1, stride):
            out.append(FrameResult(i, i / (fps or 30.0), unscored(roiset, UNSCORED_DECODE)))
        k += 1
    return out, k


def _chunk_files(partial: Path) -> list[tuple[int, int, Path]]:
    out = []
    for p in partial.glob("chunk_*.parquet"):
        try:
            _, first, count = p.stem.split("_")
            out.append((int(first), int(count), p))
        except ValueError:
            continue
    return sorted(out)


def _resume_state(partial: Path, manifest: dict, messages: list[str]) -> tuple[int, list[pd.DataFrame]]:
    """(frames already done, their tables) from a matching partial folder; otherwise start over."""
    if not partial.is_dir():
        return 0, []
    try:
        old = json.loads((partial / "manifest.json").read_text())
    except (OSError, json.JSONDecodeError):
        old = None
    if old != manifest:
        messages.append(f"{partial.name}: partial results are from other inputs (video, ROIs, models or stride); "
                        "starting over")
        shutil.rmtree(partial, ignore_errors=True)
        return 0, []
    done, tables = 0, []
    for first, count, path in _chunk_files(partial):
        if first != done:
            break  # a gap: keep only the contiguous prefix
        try:
            tables.append(pd.read_parquet(path))
        except Exception:  # noqa: BLE001 - a damaged chunk is simply redone
            break
        done += count
    if done:
        messages.append(f"resuming {partial.name}: {done} frames already scored")
    return done, tables


def table_to_frames(df: pd.DataFrame) -> dict[int, FrameResult]:
    """Results table rows grouped back into FrameResults (by frame index), e.g. for drawing."""
    out: dict[int, FrameResult] = {}
    for frame, g in df.groupby("frame", sort=True):
        rois = []
        for r in g.itertuples(index=False):
            vis = bool(r.eye_visible)
            rois.append(RoiResult(str(r.roi), str(r.animal), str(r.group), vis,
                                  None if not vis or pd.isna(r.eye_x) else float(r.eye_x),
                                  None if not vis or pd.isna(r.eye_y) else float(r.eye_y),
                                  None if pd.isna(r.score) else float(r.score), 0.0,
                                  str(getattr(r, "status", "") or ""),
                                  None if pd.isna(getattr(r, "eye_length", np.nan)) else float(r.eye_length),
                                  float(getattr(r, "scorability", float(vis)))))
        out[int(frame)] = FrameResult(int(frame), float(g["time_s"].iloc[0]), tuple(rois))
    return out


def expected_frames(info: VideoInfo, stride: int, max_frames: int | None) -> int:
    n = max(1, math.ceil(info.n_frames / stride)) if info.n_frames else 0
    return min(n, max_frames) if max_frames is not None and n else (max_frames or n)


def annotate_video(input_path: str | Path, roiset: RoiSet, df: pd.DataFrame, out_path: str | Path, stride: int = 1,
                   max_frames: int | None = None) -> Path:
    """Write a video of the scored frames with ROI boxes, eye markers and scores drawn (from a results table)."""
    from mgs_core.draw import draw_results

    info = probe_video(input_path)
    frames = table_to_frames(df)

    def drawn():
        with open_video(input_path, stride=stride, max_frames=max_frames) as src:
            for vf in src:
                fr = frames.get(vf.index) or FrameResult(vf.index, vf.time_s, ())
                yield draw_results(vf.image, roiset, fr)

    fps = (info.fps / stride) if info.fps else 1.0
    return write_video(out_path, drawn(), fps=max(fps, 1.0))


def score_video(input_path: str | Path, rois: RoiSet | None, runner: Runner, out_dir: str | Path, stride: int = 1,
                annotate: bool = False, progress: Progress | None = None, max_frames: int | None = None,
                chunk_frames: int = DEFAULT_CHUNK, roi_source: str | Path | None = None,
                stem: str | None = None, stop_on_error: bool = True, user: str | None = None,
                detail: int = DEFAULT_DETAIL) -> ScoreSummary:
    """Score every ``stride``-th frame of a video (or an image) and write results + provenance (module docstring).

    ``detail``: the largest detail-crop factor (:mod:`mgs_core.pipeline`; 1 = plain 256-px crops).

    When a frame cannot be scored (the remote server is gone after the runner's own retries) and ``stop_on_error``
    is set, the frames before it are saved and ServerError says to rerun to resume; otherwise the frame gets empty
    rows and is counted in ``frames_failed``. ``user`` (default: the OS user) is who ran it, for the provenance.
    """
    if stride < 1:
        raise InputError(f"--stride must be >= 1, got {stride}")
    if chunk_frames < 1:
        raise InputError(f"chunk size must be >= 1, got {chunk_frames}")
    if max_frames is not None and max_frames < 1:
        raise InputError(f"--max-frames must be >= 1 (or left out to score every frame), got {max_frames}")
    if rois is not None and len(rois) == 0:
        raise RoiError(f"{'ROI file ' + Path(roi_source).name if roi_source else 'the ROI set'} lists no ROIs: "
                       "nothing would be scored (leave --rois out to score the whole frame)")
    t_start = time.perf_counter()
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    input_path = Path(input_path)
    out = check_output_dir(out_dir)
    info = probe_video(input_path)
    source = f"ROI file {Path(roi_source).name}" if roi_source else "ROI set"
    roiset = rois if rois is not None else full_frame_rois(info.width, info.height)
    if rois is not None:
        validate_rois(roiset, info.width, info.height, source=f"{source} (for {input_path.name})")
    stem = stem or input_path.stem
    video_sha = file_sha256(input_path)
    rinfo = runner.info()
    pipe = Pipeline(runner, roi_size=rinfo.roi_size, max_detail=detail)
    manifest = _manifest(video_sha, roiset, rinfo, stride, max_frames, pipe.crop_size(roiset))
    partial = out / f".{stem}.partial"
    if partial.exists() and not partial.is_dir():
        raise InputError(f"{partial} exists but is not a folder (MGS Live keeps its resume data there): move or "
                         "remove it and rerun")
    messages: list[str] = []
    done, tables = _resume_state(partial, manifest, messages)
    try:
        partial.mkdir(parents=True, exist_ok=True)
        _write_atomic(partial / "manifest.json", lambda p: p.write_text(json.dumps(manifest, indent=1)))
    except OSError as exc:
        raise InputError(f"cannot write the resume folder {partial} ({exc.strerror or exc})") from None

    total = expected_frames(info, stride, max_frames)
    buffer: list[FrameResult] = []
    state = {"n": 0, "first": done, "failed": 0, "new": 0, "ranges": 0, "lost": 0}

    def flush() -> None:
        if not buffer:
            return
        table = frames_to_table(buffer)
        path = partial / f"chunk_{state['first']:09d}_{len(buffer):06d}.parquet"
        try:
            _write_atomic(path, lambda p: table.to_parquet(p, index=False))
        except OSError as exc:
            buffer.clear()
            raise _no_space(path, exc, partial) from None
        tables.append(table)
        state["first"] += len(buffer)
        buffer.clear()

    src = open_video(input_path, stride=stride, max_frames=max_frames)
    t_score = time.perf_counter()

    def take(fr: FrameResult | None, vf=None) -> bool:
        """One slot of the output (a scored frame or a decode placeholder); False once max_frames are in."""
        if max_frames is not None and state["n"] >= max_frames:
            return False
        n = state["n"]
        state["n"] += 1
        if n < done:
            if progress and n % 25 == 0:
                progress(n, total)
            return True
        if fr is None:
            fr = pipe.process(vf.image, roiset, vf.index, vf.time_s)
            if fr.error:
                if stop_on_error:
                    raise ServerError(f"{input_path.name}: frame {vf.index} could not be scored ({fr.error}); "
                                      f"the {n} frames before it are saved: rerun the same command to resume")
                state["failed"] += 1
        else:
            state["lost"] += 1
        buffer.append(fr)
        state["new"] += 1
        if len(buffer) >= chunk_frames:
            flush()
        if progress:
            progress(state["n"], total)
        return True

    try:
        with src:
            for vf in src:
                lost, state["ranges"] = _decode_placeholders(src.lost_ranges, state["ranges"], vf.index, stride,
                                                             info.fps, roiset)
                if not all(take(fr) for fr in lost) or not take(None, vf):
                    break
            lost, state["ranges"] = _decode_placeholders(src.lost_ranges, state["ranges"], None, stride, info.fps,
                                                         roiset)
            all(take(fr) for fr in lost)
    finally:
        flush()  # also on Ctrl-C: nothing already scored is lost
    score_s = time.perf_counter() - t_score
    if progress:
        progress(state["n"], max(total, state["n"]))

    df = pd.concat(tables, ignore_index=True) if tables else frames_to_table([])
    df = typed_table(df)[COLUMNS].reset_index(drop=True)
    csv, parquet, prov_path = published_paths(out, stem)
    annotated = None
    if annotate:
        annotated = annotate_video(input_path, roiset, df, out / f"{stem}.annotated.mp4", stride, max_frames)
    wall = time.perf_counter() - t_start
    summary = ScoreSummary(str(input_path), csv, parquet, prov_path, annotated,
                           frames_scored=int(df["frame"].nunique()) if len(df) else 0, frames_resumed=min(done, state["n"]),
                           frames_failed=state["failed"], rows=len(df), wall_s=round(wall, 3),
                           frames_per_s=round(state["new"] / score_s, 2) if score_s > 0 and state["new"] else 0.0,
                           decode_error=src.decode_error, messages=tuple(messages),
                           frames_lost_decode=int((df["status"] == UNSCORED_DECODE).groupby(df["frame"]).any().sum())
                           if len(df) else 0,
                           decode_lost_ranges=tuple(tuple(r) for r in src.lost_ranges))
    prov = provenance(summary, info, video_sha, input_path, roiset, roi_source, rinfo, stride, max_frames, started,
                      user, pipe.crop_size(roiset))
    try:
        publish_results(df, prov, out, stem)
    except OSError as exc:
        raise _no_space(out / f"{stem}.csv", exc, partial) from None
    shutil.rmtree(partial, ignore_errors=True)
    return summary


def provenance(summary: ScoreSummary, info: VideoInfo, video_sha: str, input_path: Path, roiset: RoiSet,
               roi_source, rinfo, stride: int, max_frames: int | None, started: str,
               user: str | None = None, crop_size: int | None = None) -> dict:
    """The provenance record written beside the results (docs/formats.md); ``user`` defaults to the OS user."""
    import torch

    from mgs_core.access.who import os_user

    return {
        "format": PROVENANCE_FORMAT,
        "version": 1,
        "input": {"path": str(input_path.resolve()), "name": input_path.name, "sha256": video_sha,
                  "size_bytes": input_path.stat().st_size,
                  "mtime_utc": datetime.fromtimestamp(input_path.stat().st_mtime, timezone.utc).isoformat(timespec="seconds"),
                  "width": info.width, "height": info.height,
                  "fps": info.fps, "n_frames_header": info.n_frames, "duration_s": info.duration_s,
                  "codec": info.codec, "is_image": info.is_image},
        "rois": {"file": str(Path(roi_source).resolve()) if roi_source else None,
                 "whole_frame": roi_source is None and len(roiset) == 1 and roiset.rois[0].id == "frame",
                 "content": rois_to_dict(roiset)},
        "runner": {"backend": rinfo.backend, "device": rinfo.device, "address": rinfo.address,
                   "roi_size": rinfo.roi_size, "crop_size": crop_size or rinfo.roi_size},
        "models": {"segmentation": rinfo.seg_model, "score": rinfo.score_model},
        "code": code_version(),
        "environment": {"python": platform.python_version(), "torch": torch.__version__,
                        "numpy": np.__version__, "platform": platform.platform(), "cpus": os.cpu_count()},
        "user": user or os_user(),
        "run": {"started_utc": started, "finished_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "stride": stride, "max_frames": max_frames, "frames_scored": summary.frames_scored,
                "frames_resumed": summary.frames_resumed, "frames_failed": summary.frames_failed,
                "rows": summary.rows, "wall_s": summary.wall_s, "frames_per_s": summary.frames_per_s,
                "decode_error": summary.decode_error, "frames_lost_decode": summary.frames_lost_decode,
                "decode_lost_ranges": [list(r) for r in summary.decode_lost_ranges],
                "messages": list(summary.messages)},
        "outputs": {"csv": summary.csv.name, "parquet": summary.parquet.name,
                    "annotated": summary.annotated.name if summary.annotated else None},
    }


def summary_dict(summary: ScoreSummary) -> dict:
    """A JSON-friendly view of a ScoreSummary."""
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(summary).items()}


# --- Publication: the final files of one input appear as one set -------------------------------------------------

PUBLISH_SUFFIX = ".publishing"


def published_paths(out: Path, stem: str) -> tuple[Path, Path, Path]:
    """The final CSV, Parquet and provenance paths of one input."""
    return out / f"{stem}.csv", out / f"{stem}.parquet", out / f"{stem}.json"


def write_failure(exc: OSError, out: Path, stem: str) -> InputError:
    """One clear message for a write that failed (full disk, permissions), naming the folder and the input."""
    reason = exc.strerror or str(exc)
    return InputError(f"could not write the results of {stem} to {out} ({reason}); nothing was published and the "
                      f"frames already scored are kept in {out / f'.{stem}.partial'}: fix it and rerun the same "
                      "command to finish")


def publish_results(df: pd.DataFrame, prov: dict, out: Path, stem: str) -> tuple[Path, Path, Path]:
    """Publish CSV, Parquet and provenance of one input as one set (docs/formats.md, "Publication").

    All three are written completely under temporary names first (and synced); the provenance, written last, names
    the SHA-256 of the other two. Only then are they renamed into place: the old provenance goes first, so while the
    renames happen no provenance matches the files, and a reader that checks the hashes (:func:`published_set`)
    never takes a mix from two runs for a result. A failed write (e.g. a full disk) removes the temporary files,
    leaves any earlier published set untouched and raises InputError.
    """
    final = published_paths(out, stem)
    tmp = [p.with_name(f".{p.name}{PUBLISH_SUFFIX}") for p in final]
    csv_tmp, parquet_tmp, prov_tmp = tmp
    try:
        df.to_csv(csv_tmp, index=False)
        df.to_parquet(parquet_tmp, index=False)
        for p in (csv_tmp, parquet_tmp):
            fsync_file(p)
        prov = dict(prov)
        prov["outputs"] = {**prov.get("outputs", {}), "csv": final[0].name, "parquet": final[1].name,
                           "csv_sha256": file_sha256(csv_tmp), "parquet_sha256": file_sha256(parquet_tmp)}
        prov_tmp.write_text(json.dumps(prov, indent=2, default=str) + "\n")
        fsync_file(prov_tmp)
    except OSError as exc:
        for p in tmp:
            p.unlink(missing_ok=True)
        raise write_failure(exc, out, stem) from None
    final[2].unlink(missing_ok=True)  # the old set stops being a set before any of its files is replaced
    csv_tmp.replace(final[0])
    parquet_tmp.replace(final[1])
    prov_tmp.replace(final[2])
    fsync_dir(out)
    return final


@dataclass(frozen=True)
class PublishedSet:
    """A complete, consistent set of final files of one input (what :func:`published_set` found)."""

    csv: Path
    parquet: Path
    provenance: Path
    record: dict  # the provenance JSON


def published_set(out: str | Path, stem: str) -> PublishedSet | None:
    """The published files of ``stem`` in ``out`` when all three exist and the provenance's hashes match, else None."""
    csv, parquet, prov_path = published_paths(Path(out), stem)
    try:
        record = json.loads(prov_path.read_text())
        outputs = record["outputs"]
        if record.get("format") != PROVENANCE_FORMAT:
            return None
        if file_sha256(csv) != outputs.get("csv_sha256") or file_sha256(parquet) != outputs.get("parquet_sha256"):
            return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return PublishedSet(csv, parquet, prov_path, record)


# --- Skip what is done ---------------------------------------------------------------------------------------------

def finished_run(input_path: str | Path, rois: RoiSet | None, runner_info, out_dir: str | Path, stride: int = 1,
                 max_frames: int | None = None, stem: str | None = None) -> PublishedSet | None:
    """The published results of an earlier run of the same job, when they exist and match; None means (re)score.

    They match when the video's SHA-256, the ROIs, both models and the stride/frame limit are those of this job and
    the earlier run left no frame unscored for lack of a server. Nothing is decoded: only the video's header is read
    (for the whole-frame ROI) and its bytes are hashed.
    """
    input_path = Path(input_path)
    found = published_set(out_dir, stem or input_path.stem)
    if found is None:
        return None
    rec = found.record
    try:
        run, models = rec["run"], rec["models"]
        if run.get("stride") != stride or run.get("max_frames") != max_frames or run.get("frames_failed"):
            return None
        if (_model_key(models["segmentation"]) != _model_key(runner_info.seg_model)
                or _model_key(models["score"]) != _model_key(runner_info.score_model)):
            return None
        if rois is None:
            info = probe_video(input_path)
            rois = full_frame_rois(info.width, info.height)
        if rec["rois"]["content"] != rois_to_dict(rois):
            return None
        if not input_path.is_file() or rec["input"].get("size_bytes") != input_path.stat().st_size:
            return None
        if rec["input"].get("sha256") != file_sha256(input_path):
            return None
    except (KeyError, TypeError, AttributeError):
        return None
    return found


def skipped_summary(found: PublishedSet, input_path: str | Path, wall_s: float) -> ScoreSummary:
    """A ScoreSummary describing published results that were reused instead of rescored."""
    run = found.record.get("run", {})
    annotated = found.record.get("outputs", {}).get("annotated")
    return ScoreSummary(str(input_path), found.csv, found.parquet, found.provenance,
                        found.provenance.with_name(annotated) if annotated else None,
                        frames_scored=int(run.get("frames_scored", 0)), frames_resumed=0, frames_failed=0,
                        rows=int(run.get("rows", 0)), wall_s=round(wall_s, 3), frames_per_s=0.0,
                        decode_error=run.get("decode_error"))
