"""The workspace on disk: records round-trip, listing survives hand-edited folders, delete removes one run."""
import json
import os

import pytest

from mgs_core.errors import InputError
from mgs_core.workspace import (RunRecord, delete_run, list_runs, list_workspaces, load_record, new_run_folder,
                                open_workspace, save_record)
from mgs_core.workspace.artifacts import store_report, store_rois
from mgs_core.workspace.records import DONE, RUNNING, InputFile
from mgs_core.types import Roi, RoiSet


def _done(ws, stem="demo", files=("demo.csv",)):
    folder = new_run_folder(ws, "batch", stem)
    for f in files:
        (folder / f).write_text("frame\n0\n")
    rec = RunRecord(id=folder.name, kind="batch", created_utc="2025-01-02T03:04:05+00:00", user="ana",
                    status=DONE, inputs=(InputFile(f"{stem}.mp4", "/x", "abc", 3),), settings={"stride": 5},
                    frames=12, files={"csv": files[0]})
    return save_record(folder, rec), folder


def test_workspace_is_created_and_listed(tmp_path):
    ws = open_workspace(tmp_path / "exp1", user="ana")
    assert ws.writable and (ws.folder / "workspace.json").is_file() and ws.runs_dir.is_dir()
    open_workspace(tmp_path / "exp2")
    (tmp_path / "not-a-workspace").mkdir()
    assert list_workspaces(tmp_path) == ["exp1", "exp2"]


def test_record_round_trip_and_run_list_row(tmp_path):
    ws = open_workspace(tmp_path / "w")
    rec, folder = _done(ws)
    assert load_record(folder) == rec
    (entry,) = list_runs(ws).runs
    assert entry.status == DONE and entry.usable and entry.path("csv") == folder / "demo.csv"
    row = rec.row()
    assert row["date (UTC)"] == "2025-01-02 03:04:05" and row["inputs"] == "demo.mp4" and row["frames"] == 12
    assert row["settings"] == "stride 5" and row["by"] == "ana"


def test_new_run_folders_never_reuse_a_folder(tmp_path):
    ws = open_workspace(tmp_path / "w")
    a, b = new_run_folder(ws, "batch", "demo"), new_run_folder(ws, "batch", "demo")
    assert a != b and a.is_dir() and b.is_dir()


def test_hand_edited_folders_give_one_message_each_and_the_others_stay_listed(tmp_path):
    ws = open_workspace(tmp_path / "w")
    good, _ = _done(ws, "good")
    _, broken = _done(ws, "broken")
    (broken / "run.json").write_text('{"format": "mgs-live-run", "id": ')  # torn by a text editor
    _, emptied = _done(ws, "emptied")
    (emptied / "demo.csv").unlink()  # a result file deleted by hand
    (ws.runs_dir / "stray").mkdir()  # a folder someone made
    listing = list_runs(ws)
    assert sorted(r.record.inputs[0].name for r in listing.runs) == ["emptied.mp4", "good.mp4"]
    assert {r.record.inputs[0].name: r.status for r in listing.runs} == {"good.mp4": "done",
                                                                          "emptied.mp4": "damaged"}
    assert len(listing.problems) == 3, listing.problems
    text = "\n".join(listing.problems)
    assert f"{broken.name}: run.json is not valid JSON (line 1" in text
    assert "demo.csv is missing" in text and "stray: run.json is missing" in text


def test_a_run_left_running_by_a_dead_process_is_interrupted(tmp_path):
    ws = open_workspace(tmp_path / "w")
    rec, folder = _done(ws)
    import socket

    save_record(folder, RunRecord(**{**rec.__dict__, "status": RUNNING, "pid": 2 ** 22 + 12345,
                                     "host": socket.gethostname()}))
    assert list_runs(ws).runs[0].status == "interrupted"
    save_record(folder, RunRecord(**{**rec.__dict__, "status": RUNNING, "pid": os.getpid(),
                                     "host": socket.gethostname()}))
    assert list_runs(ws).runs[0].status == RUNNING
    with pytest.raises(InputError, match="still being written"):
        delete_run(ws, folder.name)


def test_delete_removes_one_run_and_nothing_else(tmp_path):
    ws = open_workspace(tmp_path / "w")
    _, keep = _done(ws, "keep")
    _, gone = _done(ws, "gone")
    delete_run(ws, gone.name)
    assert not gone.exists() and keep.is_dir() and [r.folder for r in list_runs(ws).runs] == [keep]
    assert not any(p.name.startswith(".deleting") for p in ws.runs_dir.iterdir())
    with pytest.raises(InputError, match="is not in workspace"):
        delete_run(ws, gone.name)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to a read-only folder")
def test_a_read_only_workspace_lists_but_refuses_to_store(tmp_path):
    ws = open_workspace(tmp_path / "w")
    _done(ws)
    os.chmod(ws.folder, 0o555)
    os.chmod(ws.runs_dir, 0o555)
    try:
        ro = open_workspace(ws.folder)
        assert not ro.writable and "is not writable" in ro.message and str(ws.folder) in ro.message
        assert len(list_runs(ro).runs) == 1
        with pytest.raises(InputError, match="is not writable"):
            new_run_folder(ro, "batch", "demo")
    finally:
        os.chmod(ws.runs_dir, 0o755)
        os.chmod(ws.folder, 0o755)


def test_a_workspace_that_cannot_be_created_is_one_message(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="cannot be created"):
        open_workspace(tmp_path / "file" / "ws")


def test_rois_and_reports_are_stored_with_provenance(tmp_path):
    ws = open_workspace(tmp_path / "w")
    rs = RoiSet((Roi("box1", 0, 0, 10, 10, "m1", "g"),), 100, 100)
    rec = store_rois(ws, rs, "day1.rois.json", user="ana", video="day1.mp4")
    assert rec.kind == "rois" and rec.files["rois"] == "day1.rois.json" and rec.rois["rois"][0]["animal"] == "m1"
    rep_src = tmp_path / "rep"
    rep_src.mkdir()
    (rep_src / "report.md").write_text("# r")
    (rep_src / "animals.csv").write_text("a\n")
    rep = store_report(ws, rep_src, ["demo.mp4 · batch 2025"], {"bin_s": 5.0}, user="ana")
    assert rep.files == {"report": "report.md", "animals.csv": "animals.csv"}
    kinds = sorted(r.record.kind for r in list_runs(ws).runs)
    assert kinds == ["report", "rois"]
    assert json.loads((ws.runs_dir / rep.id / "run.json").read_text())["user"] == "ana"


def test_an_existing_folder_nobody_may_write_is_read_only(tmp_path):
    ro = open_workspace("/proc/self")  # exists, and not even root can create files in it
    assert not ro.writable and "/proc/self is not writable" in ro.message
    assert list_runs(ro).runs == []
    with pytest.raises(InputError, match="is not writable"):
        ro.require_writable()


def test_a_trained_model_is_kept_as_a_run_and_outlives_its_session_folder(tmp_path):
    from mgs_core.models import OrbitalNet, load_checkpoint, save_checkpoint
    from mgs_core.workspace.artifacts import store_model

    session = tmp_path / "session" / "models"
    ck = save_checkpoint(OrbitalNet(), session / "score_x.pt", {"name": "score net retrained on mine"})
    ws = open_workspace(tmp_path / "w")
    rec = store_model(ws, ck, "mine", user="ana")
    import shutil

    shutil.rmtree(tmp_path / "session")  # the session's work folder is gone after a restart
    (entry,) = list_runs(ws, ("model",)).runs
    assert entry.usable and entry.record.kind == "model" and entry.record.user == "ana"
    assert entry.record.models == {"kind": "orbital", "name": "score net retrained on mine"}
    model, card = load_checkpoint(entry.path("model"), kind="orbital")
    assert card["name"] == "score net retrained on mine" and (entry.folder / "score_x.card.json").is_file()
    assert rec.input_names == "mine"


def test_a_file_that_is_not_a_checkpoint_is_not_kept(tmp_path):
    from mgs_core.errors import CheckpointError
    from mgs_core.workspace.artifacts import store_model

    bad = tmp_path / "x.pt"
    bad.write_text("not a model")
    ws = open_workspace(tmp_path / "w")
    with pytest.raises(CheckpointError, match="x.pt"):
        store_model(ws, bad)
    assert list_runs(ws, ("model",)).runs == []
