"""The workspace on disk: one folder per project or experiment (docs/formats.md#workspace).

```
<workspace>/
  workspace.json            {"format": "mgs-live-workspace", "name", "created_utc", "user"}
  runs/<run id>/run.json    a RunRecord (batch runs, reports, ROI sets), beside the run's own files
  live/<series>/            live series (mgs_core.io.series), listed as runs of kind "live"
```

Every record is written crash-safe (temporary file, fsync, rename, fsync of the folder). A run is never
overwritten: a new run gets a new folder (:func:`new_run_folder`); :func:`delete_run` removes one folder and
nothing else. :func:`list_runs` reads every run it can and reports each folder it cannot (broken JSON, missing
files) as one message, without hiding the others.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from mgs_core.errors import InputError
from mgs_core.io.durable import fsync_dir
from mgs_core.workspace.records import (DAMAGED, DONE, INTERRUPTED, RECORDING, RUNNING, InputFile, RunRecord)

WORKSPACE_FORMAT = "mgs-live-workspace"
WORKSPACE_FILE = "workspace.json"
RUN_FILE = "run.json"
RUNS, LIVE = "runs", "live"


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Workspace:
    folder: Path
    name: str
    writable: bool
    message: str = ""  # why it is not writable

    @property
    def runs_dir(self) -> Path:
        return self.folder / RUNS

    @property
    def live_dir(self) -> Path:
        return self.folder / LIVE

    def require_writable(self) -> None:
        if not self.writable:
            raise InputError(self.message or f"workspace folder {self.folder} is not writable")


@dataclass(frozen=True)
class RunEntry:
    """A run as listed: its record, its folder, the status to show, and what is wrong with it (if anything)."""

    record: RunRecord
    folder: Path
    status: str
    problem: str = ""

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def usable(self) -> bool:
        return not self.problem and self.status not in (DAMAGED,)

    def path(self, role: str) -> Path | None:
        name = self.record.files.get(role)
        return self.folder / name if name else None


@dataclass(frozen=True)
class Listing:
    runs: list[RunEntry] = field(default_factory=list)  # newest first
    problems: list[str] = field(default_factory=list)  # one message per folder that could not be read


def write_json(path: Path, obj: dict) -> None:
    """Crash-safe JSON: a temporary file, fsync, rename over ``path``, fsync of the folder."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(json.dumps(obj, indent=1, default=str) + "\n")
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def _probe_writable(folder: Path) -> str:
    probe = folder / f".mgs-write-test-{os.getpid()}"
    try:
        probe.write_bytes(b"ok")
        probe.unlink()
        return ""
    except OSError as exc:
        return f"workspace folder {folder} is not writable ({exc.strerror or exc}): runs can be read but nothing " \
               "new can be stored; choose another workspace or fix the folder's permissions"


def open_workspace(folder: str | Path, user: str = "") -> Workspace:
    """The workspace in ``folder``, created when it does not exist. A folder that cannot be created raises
    InputError naming it; one that exists but cannot be written is returned with ``writable=False`` (its runs can
    still be listed and opened)."""
    folder = Path(folder).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"workspace folder {folder} cannot be created ({exc.strerror or exc})") from None
    if not folder.is_dir():
        raise InputError(f"workspace {folder} is not a folder")
    problem = _probe_writable(folder)
    meta = folder / WORKSPACE_FILE
    if not problem:
        try:
            for sub in (RUNS, LIVE):
                (folder / sub).mkdir(exist_ok=True)
            if not meta.is_file():
                write_json(meta, {"format": WORKSPACE_FORMAT, "version": 1, "name": folder.name,
                                  "created_utc": now_utc(), "user": user})
        except OSError as exc:
            problem = f"workspace folder {folder} is not writable ({exc.strerror or exc})"
    return Workspace(folder, folder.name, not problem, problem)


def list_workspaces(parent: str | Path) -> list[str]:
    """Names of the workspaces (sub-folders with a workspace.json) under ``parent``, sorted."""
    parent = Path(parent).expanduser()
    if not parent.is_dir():
        return []
    return sorted(d.name for d in parent.iterdir() if d.is_dir() and (d / WORKSPACE_FILE).is_file())


def new_run_folder(ws: Workspace, kind: str, stem: str) -> Path:
    """A new, empty run folder ``runs/<kind>_<date>-<time>_<stem>[_n]`` (never an existing one)."""
    ws.require_writable()
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    base = f"{kind}_{stamp}_{stem}"
    for i in range(1, 1000):
        folder = ws.runs_dir / (base if i == 1 else f"{base}_{i}")
        try:
            folder.mkdir(parents=True, exist_ok=False)
            return folder
        except FileExistsError:
            continue
        except OSError as exc:
            raise InputError(f"cannot create a run folder in {ws.runs_dir} ({exc.strerror or exc})") from None
    raise InputError(f"too many runs named {base} in {ws.runs_dir}")


def this_process() -> dict:
    return {"pid": os.getpid(), "host": socket.gethostname()}


def save_record(folder: Path, record: RunRecord) -> RunRecord:
    """Write ``run.json`` of a run folder (crash-safe); InputError naming the folder when it cannot."""
    try:
        write_json(Path(folder) / RUN_FILE, record.to_dict())
    except OSError as exc:
        raise InputError(f"cannot write the run record in {folder} ({exc.strerror or exc})") from None
    return record


def load_record(folder: str | Path) -> RunRecord:
    """The record of a run folder; InputError naming the folder and what is wrong."""
    folder = Path(folder)
    path = folder / RUN_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"run folder {folder.name}: {RUN_FILE} is missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"run folder {folder.name}: {RUN_FILE} cannot be read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"run folder {folder.name}: {RUN_FILE} is not valid JSON (line {exc.lineno}: {exc.msg})") \
            from None
    try:
        rec = RunRecord.from_dict(data)
    except ValueError as exc:
        raise InputError(f"run folder {folder.name}: {RUN_FILE} is not a run record ({exc})") from None
    if rec.id != folder.name:
        rec = replace(rec, id=folder.name)  # a folder renamed by hand: the folder name is the id
    return rec


def _alive(pid: int, host: str) -> bool:
    if not pid or host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _effective(folder: Path, rec: RunRecord) -> tuple[str, str]:
    """(status to show, problem) of a run read from disk."""
    if rec.status == RUNNING:
        return (RUNNING if _alive(rec.pid, rec.host) else INTERRUPTED), ""
    if rec.status == DONE:
        missing = [name for name in rec.files.values() if not (folder / name).is_file()]
        if missing:
            return DAMAGED, (f"run {rec.id}: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing "
                             "from its folder; it cannot be opened (delete it, or score the video again)")
    return rec.status, ""


def _live_entry(info) -> RunEntry:
    """A live series (mgs_core.io.series.SeriesInfo) as a run of kind ``live``."""
    prov = info.provenance
    inp = prov.get("input") or {}
    src = prov.get("source") or {}
    inputs = (InputFile(str(inp.get("name", "")), str(inp.get("path", "")), str(inp.get("sha256", "")),
                        int(inp.get("size_bytes") or 0)),) if inp.get("name") else ()
    run = prov.get("run") or {}
    models = prov.get("models") or {}
    rois = prov.get("rois") or {}
    if info.finished:
        status = "done"
    else:
        status = RECORDING if _alive(int(prov.get("pid") or 0), str(prov.get("host", ""))) else INTERRUPTED
    settings = {"roi_file": Path(rois["file"]).name if rois.get("file") else "",
                "whole_frame": bool(rois.get("whole_frame")), "source": src.get("kind", "")}
    rec = RunRecord(id=info.name, kind="live", created_utc=info.started_utc, user=str(prov.get("user", "")),
                    status=status, inputs=inputs,
                    models={"segmentation": _model_name(models.get("segmentation")),
                            "score": _model_name(models.get("score"))},
                    settings=settings, rois=rois.get("content"),
                    frames=int(run.get("frames_scored") or run.get("frames") or 0), rows=info.rows,
                    message=str(run.get("message", "")), finished_utc=str(run.get("finished_utc", "")))
    return RunEntry(rec, info.folder, status, "; ".join(info.messages))


def _model_name(card) -> str:
    if isinstance(card, dict):
        return str(card.get("name") or card.get("file") or card.get("sha256", "")[:12])
    return str(card or "")


def list_runs(ws: Workspace, kinds: tuple[str, ...] | None = None) -> Listing:
    """Every run of the workspace (newest first), optionally only those of ``kinds``; unreadable folders are
    reported in ``problems`` (one message each) and the others are still listed."""
    from mgs_core.io.series import list_series

    runs, problems = [], []
    if ws.runs_dir.is_dir():
        for d in sorted(ws.runs_dir.iterdir()):
            if not d.is_dir() or d.name.startswith("."):
                continue
            try:
                rec = load_record(d)
            except InputError as exc:
                problems.append(str(exc))
                continue
            status, problem = _effective(d, rec)
            if problem:
                problems.append(problem)
            runs.append(RunEntry(rec, d, status, problem))
    if ws.live_dir.is_dir():
        for d in sorted(ws.live_dir.iterdir()):
            if d.is_dir() and not d.name.startswith(".") and not (d / f"{d.name}.json").is_file():
                problems.append(f"live series folder {d.name}: {d.name}.json is missing; it cannot be opened")
        for info in list_series(ws.live_dir):
            runs.append(_live_entry(info))
        from mgs_core.io.series import read_provenance

        for d in sorted(ws.live_dir.iterdir()):  # a series record edited into broken JSON: say so, once
            if d.is_dir() and (d / f"{d.name}.json").is_file() and not any(r.folder == d for r in runs):
                try:
                    read_provenance(d)
                except InputError as exc:
                    problems.append(f"live series {d.name}: {exc}")
    if kinds is not None:
        runs = [r for r in runs if r.record.kind in kinds]
    runs.sort(key=lambda r: (r.record.created_utc, r.id), reverse=True)
    return Listing(runs, problems)


def find_run(ws: Workspace, run_id: str) -> RunEntry:
    for r in list_runs(ws).runs:
        if r.id == run_id:
            return r
    raise InputError(f"run {run_id} is not in workspace {ws.name} (deleted in another tab?)")


def delete_run(ws: Workspace, run_id: str) -> None:
    """Remove one run's folder (and nothing else). A run still being written (running, recording) is refused."""
    ws.require_writable()
    entry = find_run(ws, run_id)
    if entry.status in (RUNNING, RECORDING):
        raise InputError(f"run {run_id} is still being written ({entry.status}); stop it before deleting it")
    base = ws.live_dir if entry.record.kind == "live" else ws.runs_dir
    if entry.folder.parent.resolve() != base.resolve():
        raise InputError(f"run {run_id} is not a folder of workspace {ws.name}")
    trash = entry.folder.with_name(f".deleting-{entry.folder.name}")  # hidden at once, then removed
    try:
        entry.folder.rename(trash)
        fsync_dir(entry.folder.parent)
    except OSError as exc:
        raise InputError(f"run {run_id} could not be deleted ({exc.strerror or exc})") from None
    shutil.rmtree(trash, ignore_errors=True)


def matching_runs(ws: Workspace, fingerprint: str, kind: str = "batch") -> list[RunEntry]:
    """Runs of ``kind`` with this fingerprint (the same inputs, models and settings), newest first."""
    return [r for r in list_runs(ws, (kind,)).runs if fingerprint and r.record.fingerprint == fingerprint]
