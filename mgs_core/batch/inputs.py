"""Inputs of a batch: files, folders (recursively, video extensions) and globs -> one ScoreTask per input.

Our own outputs (``*.annotated.mp4``) are never inputs, from a folder or a glob. Output names: an input named directly (or by a glob) writes ``OUT/<stem>.*``; a video found inside a folder
argument writes ``OUT/<sub-folders>/<stem>.*``, mirroring the folder, so ``box1/day1.mp4`` and ``box2/day1.mp4``
do not collide. Files inside the output folder and in hidden folders (``.<stem>.partial``) are never inputs.
"""
from __future__ import annotations

import glob
import hashlib
from dataclasses import dataclass
from pathlib import Path

from mgs_core.errors import InputError, MGSError, RoiError
from mgs_core.batch.models import ModelSpec
from mgs_core.batch.task import ScoreTask
from mgs_core.io.video import VIDEO_SUFFIXES

GLOB_CHARS = set("*?[")


@dataclass(frozen=True)
class FoundInput:
    path: Path
    rel_dir: Path  # sub-folder of the output folder its results go to ("." for direct inputs)


def _inside(path: Path, folder: Path | None) -> bool:
    if folder is None:
        return False
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def _videos_in(folder: Path, exclude: Path | None) -> list[Path]:
    out = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or not p.is_file():
            continue
        if p.suffix.lower() in VIDEO_SUFFIXES and not p.name.endswith(".annotated.mp4") and not _inside(p, exclude):
            out.append(p)
    return out


def discover_inputs(args: list[str | Path], exclude: str | Path | None = None) -> list[FoundInput]:
    """Expand files, folders and globs (module docstring), in order, each input once.

    A folder with no videos and a glob matching nothing raise InputError naming them. A named file is taken as it
    is (an unreadable one fails as its own task).
    """
    exclude = Path(exclude) if exclude is not None else None
    found: list[FoundInput] = []
    seen: set[Path] = set()

    def add(p: Path, rel: Path) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            found.append(FoundInput(p, rel))

    def add_folder(folder: Path, what: str) -> None:
        videos = _videos_in(folder, exclude)
        if not videos:
            raise InputError(f"{what} {folder} holds no videos (looked recursively for "
                             f"{', '.join(sorted(VIDEO_SUFFIXES))})")
        for v in videos:
            add(v, v.parent.relative_to(folder))

    for arg in args:
        p = Path(arg)
        if p.is_dir():
            add_folder(p, "folder")
        elif p.exists() or not (GLOB_CHARS & set(str(arg))):
            add(p, Path("."))
        else:
            matches = [Path(m) for m in sorted(glob.glob(str(arg), recursive=True))]
            matches = [m for m in matches if not _inside(m, exclude) and not m.name.endswith(".annotated.mp4")]
            if not matches:
                raise InputError(f"{arg} matches no files")
            for m in matches:
                if m.is_dir():
                    add_folder(m, "folder")
                else:
                    add(m, Path("."))
    if not found:
        raise InputError("no inputs given")
    return found


def _key(path: Path, index: int) -> str:
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
    return f"mgs-score-{index:04d}-{path.stem[:40]}-{digest}"


def build_tasks(found: list[FoundInput], out: Path, models: ModelSpec, rois_file: str | Path | None = None,
                stride: int = 1, max_frames: int | None = None, chunk_frames: int = 250,
                annotate: bool = False, user: str | None = None) -> list[ScoreTask]:
    """One task per input, after the checks that must hold before anything starts.

    Raises InputError when two inputs would write the same files, or when one ROI file is given for videos whose
    frame size it does not fit (naming each such video and its size). Inputs whose header cannot be read are kept:
    their own task fails with the reader's message.
    """
    from mgs_core.io.rois import load_rois, validate_rois
    from mgs_core.io.video import probe_video
    from mgs_core.scoring import expected_frames

    targets: dict[Path, Path] = {}
    infos = []
    for f in found:
        out_dir = out / f.rel_dir
        target = (out_dir / f.path.stem).resolve()
        if target in targets:
            raise InputError(f"{f.path} and {targets[target]} would both write {out_dir / f.path.stem}.csv; "
                             "score them into different --out folders")
        targets[target] = f.path
        try:
            infos.append(probe_video(f.path))
        except MGSError as exc:
            infos.append(exc)  # reported by the input's own task
    sizes = {(i.width, i.height) for i in infos if not isinstance(i, MGSError)}
    # one frame size among the videos: a file made for another size is a size mismatch, named as such
    rois = load_rois(rois_file, frame_size=next(iter(sizes)) if len(sizes) == 1 else None) if rois_file else None
    tasks, misfits = [], []
    for i, (f, info) in enumerate(zip(found, infos)):
        out_dir = out / f.rel_dir
        total = 0
        try:
            if isinstance(info, MGSError):
                raise info
            total = expected_frames(info, stride, max_frames)
            if rois is not None and (info.width, info.height) != (rois.frame_width, rois.frame_height):
                misfits.append(f"{f.path.name} ({info.width}x{info.height})")
            elif rois is not None:
                validate_rois(rois, info.width, info.height, source=f"ROI file {Path(rois_file).name}")
        except RoiError:
            raise
        except MGSError:
            pass  # reported by the input's own task
        tasks.append(ScoreTask(key=_key(f.path, i), input=f.path, out_dir=out_dir, stem=f.path.stem, models=models,
                               rois_file=Path(rois_file) if rois_file else None, stride=stride, max_frames=max_frames,
                               chunk_frames=chunk_frames, annotate=annotate, expected_frames=total, user=user))
    if misfits:
        shown = ", ".join(misfits[:5]) + (f" and {len(misfits) - 5} more" if len(misfits) > 5 else "")
        raise RoiError(f"ROI file {Path(rois_file).name} is for {rois.frame_width}x{rois.frame_height} frames, but "
                       f"{shown} {'is' if len(misfits) == 1 else 'are'} not: nothing was started; score videos of "
                       "another size with their own ROI file")
    return tasks
