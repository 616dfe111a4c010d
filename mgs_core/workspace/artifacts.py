"""ROI sets, analysis reports and trained models stored in the workspace as runs (kinds ``rois``, ``report``,
``model``), with provenance."""
from __future__ import annotations

import shutil
from pathlib import Path

from mgs_core.workspace.records import DONE, InputFile, RunRecord
from mgs_core.workspace.store import Workspace, new_run_folder, now_utc, save_record


def store_rois(ws: Workspace, roiset, name: str, user: str = "", video: str = "") -> RunRecord:
    """Keep an ROI set (``<name>.rois.json``) as a run of kind ``rois``; ``video`` names the video it was drawn
    on."""
    from mgs_core.io.rois import rois_to_dict, save_rois
    from mgs_core.models.checkpoint import file_sha256

    stem = Path(name).name.removesuffix(".json").removesuffix(".rois") or "rois"
    folder = new_run_folder(ws, "rois", stem[:40])
    path = save_rois(roiset, folder / f"{stem}.rois.json")
    rec = RunRecord(id=folder.name, kind="rois", created_utc=now_utc(), user=user, status=DONE,
                    inputs=(InputFile(Path(video).name),) if video else (), rois=rois_to_dict(roiset),
                    settings={"roi_file": path.name, "roi_sha256": file_sha256(path)},
                    files={"rois": path.name}, frames=0, finished_utc=now_utc())
    return save_record(folder, rec)


def store_report(ws: Workspace, report_dir: str | Path, sources: list[str], settings: dict,
                 user: str = "") -> RunRecord:
    """Copy an analysis report's files into a new run of kind ``report``; ``sources`` are the runs/files it
    analysed."""
    report_dir = Path(report_dir)
    folder = new_run_folder(ws, "report", "analysis")
    files = {}
    for p in sorted(report_dir.iterdir()):
        if p.is_file():
            shutil.copy2(p, folder / p.name)
            files[p.stem if p.suffix in (".md", ".png", ".html") else p.name] = p.name
    rec = RunRecord(id=folder.name, kind="report", created_utc=now_utc(), user=user, status=DONE,
                    inputs=tuple(InputFile(s) for s in sources), settings=dict(settings), files=files,
                    finished_utc=now_utc())
    return save_record(folder, rec)


def store_model(ws: Workspace, checkpoint: str | Path, data: str = "", user: str = "") -> RunRecord:
    """Copy a trained checkpoint (and its model card files) into a new run of kind ``model``; ``data`` names the
    dataset it was trained on. The run's ``model`` file is the copy, so it outlives the session that trained it."""
    from mgs_core.models import load_checkpoint
    from mgs_core.models.checkpoint import file_sha256

    checkpoint = Path(checkpoint)
    _, card = load_checkpoint(checkpoint)  # refuses a file that is not an MGS Live checkpoint, naming it
    folder = new_run_folder(ws, "model", checkpoint.stem[:40])
    stem = checkpoint.with_suffix("")
    files = {"model": checkpoint.name}
    shutil.copy2(checkpoint, folder / checkpoint.name)
    for role, suffix in (("card_json", ".card.json"), ("card_md", ".card.md")):
        src = Path(f"{stem}{suffix}")
        if src.is_file():
            shutil.copy2(src, folder / src.name)
            files[role] = src.name
    rec = RunRecord(id=folder.name, kind="model", created_utc=now_utc(), user=user, status=DONE,
                    inputs=(InputFile(data),) if data else (),
                    models={"kind": str(card.get("kind", "")), "name": str(card.get("name", checkpoint.name))},
                    settings={"sha256": file_sha256(checkpoint)}, files=files, finished_utc=now_utc())
    return save_record(folder, rec)
