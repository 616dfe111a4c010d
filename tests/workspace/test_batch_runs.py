"""Run versioning: scoring the same video again never overwrites; same settings reuse, other settings make a new
run, an interrupted run resumes in its own folder, and "replace" deletes the earlier runs only when asked."""
import pandas as pd

from mgs_core.batch.inputs import build_tasks, discover_inputs
from mgs_core.batch.models import ModelSpec
from mgs_core.batch.run import run_batch
from mgs_core.workspace import NEW, RESUME, REUSE, finish_batch_run, list_runs, open_workspace, plan_batch_run
from mgs_core.workspace.batch import mark_interrupted


def _score(ws, video, runner, stride, limit=None, replace=False):
    rois = video.with_name(video.stem + ".rois.json")
    plan = plan_batch_run(ws, video, rois, runner.info(), stride, limit, user="ana", replace=replace)
    if plan.action == REUSE:
        return plan, plan.record
    tasks = build_tasks(discover_inputs([video]), plan.folder, ModelSpec(), rois_file=rois, stride=stride,
                        max_frames=limit, chunk_frames=5)
    (outcome,) = run_batch(tasks, runner=runner)
    return plan, finish_batch_run(ws, plan, outcome)


def _snapshot(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_other_settings_make_a_new_run_and_never_overwrite(tmp_path, video, fake_runner):
    ws = open_workspace(tmp_path / "w")
    p1, r1 = _score(ws, video, fake_runner, stride=2)
    assert p1.action == NEW and r1.status == "done" and r1.frames == 10 and r1.user == "ana"
    before = _snapshot(p1.folder)
    p2, r2 = _score(ws, video, fake_runner, stride=4, limit=3)
    assert p2.action == NEW and p2.folder != p1.folder and r2.frames == 3
    assert _snapshot(p1.folder) == before  # the first run is untouched
    runs = list_runs(ws, ("batch",)).runs
    assert len(runs) == 2 and {r.record.settings["stride"] for r in runs} == {2, 4}
    assert {r.record.inputs[0].sha256 for r in runs} == {r1.inputs[0].sha256}  # one video, two versions
    assert len(pd.read_csv(p1.folder / r1.files["csv"])) == 20  # 10 frames x 2 mice, still there
    assert r1.rois["rois"][0]["animal"] and r1.settings["roi_file"] == "day1.rois.json"
    assert r1.models["score"] and r1.fingerprint != r2.fingerprint


def test_the_same_settings_reuse_the_finished_run(tmp_path, video, fake_runner):
    ws = open_workspace(tmp_path / "w")
    p1, r1 = _score(ws, video, fake_runner, stride=3)
    before = _snapshot(p1.folder)
    p2, r2 = _score(ws, video, fake_runner, stride=3)
    assert p2.action == REUSE and p2.folder == p1.folder and r2 == r1
    assert _snapshot(p1.folder) == before and len(list_runs(ws).runs) == 1


def test_replace_only_when_asked(tmp_path, video, fake_runner):
    ws = open_workspace(tmp_path / "w")
    p1, _ = _score(ws, video, fake_runner, stride=3)
    p2, _ = _score(ws, video, fake_runner, stride=5)
    p3, r3 = _score(ws, video, fake_runner, stride=3, replace=True)
    assert p3.action == NEW and set(p3.replaces) == {p1.folder.name, p2.folder.name}
    assert [r.id for r in list_runs(ws).runs] == [r3.id] and not p1.folder.exists() and not p2.folder.exists()


def test_an_interrupted_run_resumes_in_its_own_folder(tmp_path, video, fake_runner):
    ws = open_workspace(tmp_path / "w")
    rois = video.with_name(video.stem + ".rois.json")
    plan = plan_batch_run(ws, video, rois, fake_runner.info(), 1, None, user="ana")
    mark_interrupted(plan, "the page was closed")
    (entry,) = list_runs(ws).runs
    assert entry.status == "interrupted"
    p2, r2 = _score(ws, video, fake_runner, stride=1)
    assert p2.action == RESUME and p2.folder == plan.folder and r2.status == "done" and r2.frames == 20
    assert len(list_runs(ws).runs) == 1
