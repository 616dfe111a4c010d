"""The app's workspace (Streamlit-aware glue over :mod:`mgs_core.workspace`): which one is active, the sidebar
picker, and the actions the pages call (score, delete, store a report). Each action is a function here, not inline
in a page, so a permission check can sit at its top.

Workspaces live under ``MGS_WORKSPACE`` (default ``~/mgs-workspace``; when only ``MGS_WORK_DIR`` is set, e.g. by
the tests, ``<MGS_WORK_DIR>/../workspaces``), one sub-folder per project or experiment; ``default`` until another
is chosen. The choice is kept in the session and in the page URL (``?ws=NAME``).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import streamlit as st

from app_support import audit_trail, limits, paths
from app_support.identity import current_user
from mgs_core.errors import InputError, MGSError
from mgs_core.workspace import (Workspace, delete_run, finish_batch_run, list_runs, list_workspaces, open_workspace,
                                plan_batch_run)
from mgs_core.workspace.batch import REUSE, mark_interrupted
from mgs_core.workspace.store import Listing, RunEntry

DEFAULT_NAME = "default"
_KEY = "mgs_workspace"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def parent() -> Path:
    """The folder holding the workspaces."""
    if os.environ.get("MGS_WORKSPACE"):
        return Path(os.environ["MGS_WORKSPACE"]).expanduser()
    if os.environ.get("MGS_WORK_DIR"):
        return paths.work_root().parent / "workspaces"
    return Path.home() / "mgs-workspace"


def current_name() -> str:
    name = st.session_state.get(_KEY)
    if not name:
        asked = st.query_params.get("ws", "")
        name = asked if NAME_RE.match(asked or "") else DEFAULT_NAME
        st.session_state[_KEY] = name
    return name


def current() -> Workspace:
    """The active workspace (created on first use). A folder that cannot be created comes back read-only, with
    the reason in ``message``."""
    folder = parent() / current_name()
    try:
        return open_workspace(folder, user=current_user())
    except InputError as exc:
        return Workspace(folder, folder.name, False, str(exc))


def choose(name: str) -> None:
    """Make ``name`` the active workspace (created when new); InputError for a name that is not a plain name."""
    name = (name or "").strip()
    if not NAME_RE.match(name):
        raise InputError(f"{name!r} is not a workspace name: use letters, digits, '.', '_' or '-' (at most 64)")
    st.session_state[_KEY] = name
    st.query_params["ws"] = name


def render_picker() -> None:
    """The sidebar's workspace block: the active one, switch, create."""
    ws = current()
    st.markdown("### Workspace")
    names = sorted(set(list_workspaces(parent())) | {ws.name})
    pick = st.selectbox("Project / experiment", names, index=names.index(ws.name), key="sb_workspace",
                        help=f"Every run, live series, ROI set and report is kept in {parent()}/<name>.")
    if pick != ws.name:
        choose(pick)
        st.rerun()
    with st.expander("New workspace"):
        new = st.text_input("Name", key="sb_workspace_new", placeholder="e.g. surgery-2025-03")
        if st.button("Create and switch", key="sb_workspace_create", disabled=not new.strip()):
            try:
                create(new)
                st.rerun()
            except InputError as exc:
                st.error(str(exc))
    st.caption(f"Folder: `{ws.folder}`")
    if not ws.writable:
        st.error(ws.message)


def create(name: str) -> Workspace:
    """Create (or open) workspace ``name`` and make it the active one."""
    folder = parent() / name.strip()
    choose(name)
    return open_workspace(folder, user=current_user())


def runs(kinds: tuple[str, ...] | None = None) -> Listing:
    return list_runs(current(), kinds)


def delete(run_id: str) -> None:
    """Delete one run of the active workspace (its folder, nothing else)."""
    delete_run(current(), run_id)


def score_videos(videos, rois_for, stride: int, limit: int | None, annotate: bool, replace: bool, runner,
                 on_status=None) -> list[dict]:
    """Score each video into its own run of the active workspace (reuse / resume / new; ``replace`` deletes the
    earlier runs of the same video once the new one is done). One dict per video: name, run id, action, state,
    message, error (the message naming the user's file when it failed before scoring)."""
    from mgs_core.batch.inputs import build_tasks, discover_inputs
    from mgs_core.batch.models import ModelSpec
    from mgs_core.batch.run import run_batch
    from mgs_core.batch.task import FAILED

    ws = current()
    out, plans, tasks = [], [], []
    for video, shown in videos:
        try:
            roi_file = rois_for(video)
            plan = plan_batch_run(ws, video, roi_file, runner.info(), int(stride), limit, annotate, current_user(),
                                  replace, shown_name=shown)
            if plan.action == REUSE:
                out.append({"video": shown, "run": plan.record.id, "action": plan.action, "state": "reused",
                            "message": "", "error": ""})
                continue
            tasks.append(build_tasks(discover_inputs([video]), plan.folder, ModelSpec(), rois_file=roi_file,
                                     stride=int(stride), max_frames=limit, chunk_frames=50, annotate=annotate,
                                     user=current_user())[0])
            plans.append((plan, shown))
        except MGSError as exc:
            out.append({"video": shown, "run": "", "action": "", "state": FAILED, "message": "",
                        "error": f"{shown}: {str(exc).replace(str(video), shown)}"})
    finished = False
    try:
        with limits.slot(limits.scoring_slots(), f"batch scoring of {len(tasks)} inputs"):  # waits in the queue
            outcomes = run_batch(tasks, runner=runner, on_status=on_status) if tasks else []
        finished = True
    finally:
        if not finished:
            for plan, _ in plans:
                mark_interrupted(plan, "scoring stopped before the end; press Score with the same settings to resume")
    for (plan, shown), o in zip(plans, outcomes):
        rec = finish_batch_run(ws, plan, o)
        audit_trail.record("score", shown, state=o.state, frames=o.frames, run=rec.id, workspace=ws.name)
        out.append({"video": shown, "run": rec.id, "action": plan.action, "state": o.state,
                    "message": o.message.replace(str(plan.video), shown), "error": "", "problems": o.problems})
    return out


OPEN_KEY = "curves_open"


def open_on_curves(run_ids: list[str]) -> None:
    """Ask Score curves to open these runs (it takes them as its selection the next time it is drawn)."""
    st.session_state[OPEN_KEY] = list(run_ids)
    st.session_state[f"{OPEN_KEY}_ver"] = st.session_state.get(f"{OPEN_KEY}_ver", 0) + 1


def take_opened() -> tuple[list[str] | None, int]:
    """(run ids asked for by :func:`open_on_curves` or None, a counter that changes with every such request)."""
    return st.session_state.pop(OPEN_KEY, None), st.session_state.get(f"{OPEN_KEY}_ver", 0)


def store_report(report_dir: Path, sources: list[str], settings: dict):
    """Keep an analysis report in the active workspace (a run of kind ``report``)."""
    from mgs_core.workspace.artifacts import store_report as _store

    ws = current()
    ws.require_writable()
    return _store(ws, report_dir, sources, settings, user=current_user())


def store_rois(roiset, name: str, video: str = ""):
    """Keep an ROI set in the active workspace (a run of kind ``rois``)."""
    from mgs_core.workspace.artifacts import store_rois as _store

    ws = current()
    ws.require_writable()
    return _store(ws, roiset, name, user=current_user(), video=video)


def store_model(checkpoint: Path, data: str = ""):
    """Keep a trained checkpoint in the active workspace (a run of kind ``model``); returns the stored copy's path
    and the run record (or the original path and None when the workspace cannot be written)."""
    from mgs_core.workspace.artifacts import store_model as _store

    ws = current()
    if not ws.writable:
        return Path(checkpoint), None
    rec = _store(ws, checkpoint, data, user=current_user())
    return ws.runs_dir / rec.id / rec.files["model"], rec


def roi_sets() -> list[RunEntry]:
    """The usable ROI sets kept in the active workspace, newest first."""
    return [e for e in runs(("rois",)).runs if e.usable]


def trained_models() -> list[RunEntry]:
    """The usable score-network checkpoints kept in the active workspace, newest first."""
    return [e for e in runs(("model",)).runs if e.usable and e.record.models.get("kind") == "orbital"]


def load_entry(entry: RunEntry) -> tuple[pd.DataFrame, list[str]]:
    """The results table of a batch run or live series (raw columns) and any notes about it."""
    from mgs_core.io.results import load_scores
    from mgs_core.io.series import load_series

    if entry.record.kind == "live":
        return load_series(entry.folder), [entry.problem] if entry.problem else []
    csv = entry.path("csv")
    if csv is None or not entry.usable:
        raise InputError(entry.problem or f"run {entry.id} has no results to open ({entry.status})")
    try:
        return load_scores(csv), []
    except MGSError as exc:
        raise InputError(f"run {entry.id}: {exc}") from None


def scored_video(entry: RunEntry):
    from mgs_core.analysis.identity import ScoredVideo

    inp = entry.record.inputs[0] if entry.record.inputs else None
    return ScoredVideo.from_rois_dict(entry.record.source_name, inp.sha256 if inp else "",
                                      inp.name if inp else "camera", entry.record.rois)
