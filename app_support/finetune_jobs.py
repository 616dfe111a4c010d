"""Fine-tuning jobs that run in the background: they survive navigation, reloads and closed tabs, can be cancelled,
and report progress and an ETA.

A job is a folder ``<labels root>/finetune/<job id>/`` holding the exported dataset, the model being made, a log and
``status.json`` (state, stage, epochs done of total, ETA, result). The work runs in its own process
(``python -m mgs_core.cli label finetune ... --status status.json --cancel-file cancel``), not in a thread of the
app server: the page's script runs, the UI and other users stay responsive, torch gets its own threads, and
nothing the page does (leaving it, closing the tab) stops the job. *Cancel* creates the ``cancel`` file; the job
stops at the next epoch. A job whose process is gone without a final state is shown as interrupted.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from mgs_core.errors import MGSError

RUNNING, DONE, FAILED, CANCELLED, INTERRUPTED = "running", "done", "failed", "cancelled", "interrupted"
REPO = Path(__file__).resolve().parent.parent


def jobs_root(labels_root: Path) -> Path:
    path = Path(labels_root) / "finetune"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except (OSError, TypeError, ValueError):
        return False
    try:  # a finished child we started is a zombie until reaped: reap it, and it is not running
        done, _ = os.waitpid(int(pid), os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True  # not our child (another server process started it): it exists


def read_status(folder: Path) -> dict:
    folder = Path(folder)
    meta = {}
    try:
        meta = json.loads((folder / "job.json").read_text())
        status = json.loads((folder / "status.json").read_text()) if (folder / "status.json").is_file() else {}
    except (OSError, ValueError):
        return {**meta, "id": folder.name, "state": FAILED, "message": "the job's files cannot be read"}
    out = {**meta, "state": RUNNING, "stage": "starting", "done": 0, "total": 1, **status, "id": folder.name}
    if out["state"] == RUNNING and not _alive(out.get("pid") or meta.get("pid")):
        out["state"] = INTERRUPTED
        log = folder / "log.txt"
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.is_file() else []
        out["message"] = "the job stopped without finishing" + (f": {tail[0]}" if tail else "")
    return out


def list_jobs(labels_root: Path) -> list[dict]:
    root = jobs_root(labels_root)
    return [read_status(p) for p in sorted(root.iterdir(), reverse=True) if (p / "job.json").is_file()]


def cancel(labels_root: Path, job_id: str) -> None:
    (jobs_root(labels_root) / job_id / "cancel").write_text("cancel\n")


def start(labels_root: Path, ls, rater: str, parent: tuple[str, str], parent_label: str, epochs_seg: int,
          epochs_score: int, folds: int) -> str:
    """Export ``rater``'s labels of ``ls`` and start fine-tuning from ``parent`` in a background process; returns
    the job id. The dataset is checked first, so a set too small for k-fold CV is refused here with one message.
    Needs the admin role; the job waits for the server's one training slot (its status says so while it waits)."""
    from app_support import audit_trail, auth, limits
    from mgs_core.io.dataset import load_dataset
    from mgs_core.labels.exchange import export_dataset
    from mgs_core.train.finetune import check_dataset

    user = auth.require(auth.ADMIN, "fine-tune the networks")
    job_id = time.strftime("%Y%m%d-%H%M%S") + f"-{time.time_ns() % 1000000:06d}"
    folder = jobs_root(labels_root) / job_id
    folder.mkdir(parents=True)
    data = folder / f"{ls.name}_{rater.replace(' ', '_')}"
    try:
        export_dataset(ls, rater, data)
        check_dataset(load_dataset(data).items, folds)
    except MGSError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    cmd = [sys.executable, "-m", "mgs_core.cli", "label", "finetune", str(data), "--out", str(folder / "model"),
           "--init", f"{parent[0]},{parent[1]}", "--epochs-seg", str(epochs_seg), "--epochs-score",
           str(epochs_score), "--folds", str(folds), "--status", str(folder / "status.json"), "--cancel-file",
           str(folder / "cancel"), "--user", user, "--slots", str(limits.slots_root())]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p))
    with open(folder / "log.txt", "w") as log:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    meta = {"id": job_id, "pid": proc.pid, "user": user, "set": ls.name, "rater": rater, "parent": parent_label,
            "epochs_seg": epochs_seg, "epochs_score": epochs_score, "folds": folds, "started": time.time(),
            "command": cmd}
    (folder / "job.json").write_text(json.dumps(meta, indent=1))
    audit_trail.record("train.finetune", job_id, set=ls.name, rater=rater, parent=parent_label)
    return job_id
