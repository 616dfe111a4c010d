"""Fine-tuning jobs that run in the background of the app server: they survive navigation and reloads, can be
cancelled, and report progress and an ETA.

A job is a folder ``<labels root>/finetune/<job id>/`` holding the exported dataset, the model being made and
``status.json`` (state, stage, epochs done of total, ETA, result), rewritten atomically at every epoch. The thread
that runs :func:`mgs_core.train.finetune.finetune` is owned by a process-wide registry (``st.cache_resource``), not
by the page's script run, so leaving the page or closing the tab does not stop it. A job whose server died is shown
as interrupted (its status file says running but no thread owns it).
"""
from __future__ import annotations

import json
import os
import threading
import time
import traceback
from dataclasses import asdict
from pathlib import Path

import streamlit as st

from mgs_core.errors import MGSError

RUNNING, DONE, FAILED, CANCELLED, INTERRUPTED = "running", "done", "failed", "cancelled", "interrupted"


class Registry:
    """Threads and cancel flags of the jobs started by this server process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._jobs: dict[str, tuple[threading.Thread, threading.Event]] = {}

    def start(self, job_id: str, target) -> None:
        cancel = threading.Event()
        thread = threading.Thread(target=target, args=(cancel,), name=f"finetune-{job_id}", daemon=True)
        with self._lock:
            self._jobs[job_id] = (thread, cancel)
        thread.start()

    def alive(self, job_id: str) -> bool:
        with self._lock:
            entry = self._jobs.get(job_id)
        return bool(entry and entry[0].is_alive())

    def cancel(self, job_id: str) -> bool:
        with self._lock:
            entry = self._jobs.get(job_id)
        if entry is None:
            return False
        entry[1].set()
        return True


@st.cache_resource
def registry() -> Registry:
    return Registry()


def jobs_root(labels_root: Path) -> Path:
    path = Path(labels_root) / "finetune"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_status(folder: Path, status: dict) -> None:
    tmp = folder / "status.json.tmp"
    tmp.write_text(json.dumps(status, indent=1, default=str))
    os.replace(tmp, folder / "status.json")


def read_status(folder: Path, reg: Registry | None = None) -> dict:
    try:
        status = json.loads((Path(folder) / "status.json").read_text())
    except (OSError, ValueError):
        return {"state": FAILED, "message": "no readable status file", "id": Path(folder).name}
    if status.get("state") == RUNNING and reg is not None and not reg.alive(status["id"]):
        status["state"] = INTERRUPTED
        status["message"] = "the server stopped while this job ran; start it again"
    return status


def list_jobs(labels_root: Path, reg: Registry | None = None) -> list[dict]:
    root = jobs_root(labels_root)
    return [read_status(p, reg) for p in sorted(root.iterdir(), reverse=True) if (p / "status.json").is_file()]


def start(labels_root: Path, ls, rater: str, parent: tuple[str | None, str | None], parent_label: str,
          epochs_seg: int, epochs_score: int, folds: int, reg: Registry | None = None) -> str:
    """Export ``rater``'s labels of ``ls`` and fine-tune from ``parent`` in a background thread; returns the job id.
    The dataset is checked first, so a set too small for k-fold CV is refused here with one message."""
    from mgs_core.io.dataset import load_dataset
    from mgs_core.labels.exchange import export_dataset
    from mgs_core.train.finetune import check_dataset

    reg = reg or registry()
    job_id = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid() % 1000:03d}{int(time.time() * 1000) % 1000:03d}"
    folder = jobs_root(labels_root) / job_id
    folder.mkdir(parents=True)
    data = folder / f"{ls.name}_{rater.replace(' ', '_')}"
    try:
        export_dataset(ls, rater, data)
        check_dataset(load_dataset(data).items, folds)
    except MGSError:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        raise
    status = {"id": job_id, "state": RUNNING, "stage": "starting", "done": 0, "total": 1, "eta_s": None,
              "started": time.time(), "set": ls.name, "rater": rater, "parent": parent_label,
              "epochs_seg": epochs_seg, "epochs_score": epochs_score, "folds": folds, "message": ""}
    write_status(folder, status)

    def run(cancel: threading.Event) -> None:
        from mgs_core.train.finetune import FinetuneCancelled, finetune

        def progress(stage, done, total, eta):
            status.update(stage=stage, done=done, total=total, eta_s=None if eta != eta else round(eta, 1))
            write_status(folder, status)

        try:
            res = finetune(data, folder / "model", init=parent, epochs_seg=epochs_seg, epochs_score=epochs_score,
                           folds=folds, progress=progress, cancel=cancel)
            status.update(state=DONE, seg=str(res.seg_path), score=str(res.score_path), seconds=round(res.seconds, 1),
                          cv_before=asdict(res.cv_before), cv_after=asdict(res.cv_after), card=res.card)
        except FinetuneCancelled:
            status.update(state=CANCELLED, message="cancelled")
        except MGSError as exc:
            status.update(state=FAILED, message=str(exc))
        except Exception as exc:  # noqa: BLE001 - a background thread must record what went wrong
            status.update(state=FAILED, message=f"{type(exc).__name__}: {exc}", trace=traceback.format_exc(limit=5))
        write_status(folder, status)

    reg.start(job_id, run)
    return job_id
