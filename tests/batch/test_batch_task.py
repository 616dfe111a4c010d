"""One input's task in-process: skip what is done, resume what is partial, redo what changed, contain failures."""
import errno
import json
import shutil

import pandas as pd
import pytest

import mgs_core.scoring as scoring
from mgs_core.batch.inputs import build_tasks, discover_inputs
from mgs_core.batch.models import ModelSpec
from mgs_core.batch.run import run_batch
from mgs_core.batch.table import exit_code, format_job_table
from mgs_core.batch.task import DONE, FAILED, RESUMED, SKIPPED, run_task


def tasks_for(inputs, out, **kw):
    return build_tasks(discover_inputs(inputs), out, ModelSpec(), **kw)


def test_rerun_skips_finished_inputs_without_decoding(videos, fake_runner, tmp_path, monkeypatch):
    tasks = tasks_for(videos, tmp_path / "out", chunk_frames=6)
    first = run_batch(tasks, runner=fake_runner)
    assert [o.state for o in first] == [DONE] * 3 and exit_code(first) == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}

    def no_decoding(*a, **k):
        raise AssertionError("a finished input was decoded")

    monkeypatch.setattr(scoring, "open_video", no_decoding)
    again = run_batch(tasks, runner=fake_runner)
    assert [o.state for o in again] == [SKIPPED] * 3 and exit_code(again) == 0
    assert [o.frames for o in again] == [o.frames for o in first] and again[0].csv == first[0].csv
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == before  # nothing rewritten
    assert "3 skipped (3 inputs)" in format_job_table(again)


@pytest.mark.parametrize("change", ["video", "stride", "rois", "results"])
def test_a_changed_input_is_redone(videos, fake_runner, tmp_path, change):
    video = tmp_path / "v.mp4"
    shutil.copy(videos[0], video)
    rois = videos[0].with_name("rec0.rois.json")
    kw = {"rois_file": rois}
    assert run_task(tasks_for([video], tmp_path / "out", **kw)[0], runner=fake_runner).state == DONE
    if change == "video":
        shutil.copy(videos[1], video)
    elif change == "stride":
        kw["stride"] = 2
    elif change == "rois":
        kw["rois_file"] = None
    else:  # a results file edited after publication no longer matches its provenance
        csv = tmp_path / "out" / "v.csv"
        csv.write_text(csv.read_text().replace("scored", "eye_hidden", 1))
    o = run_task(tasks_for([video], tmp_path / "out", **kw)[0], runner=fake_runner)
    assert o.state == DONE, o
    prov = json.loads((tmp_path / "out" / "v.json").read_text())
    assert prov["outputs"]["csv_sha256"] == scoring.file_sha256(tmp_path / "out" / "v.csv")


def test_partial_input_resumes_from_its_chunks(videos, fake_runner, tmp_path):
    task = tasks_for([videos[0]], tmp_path / "out", chunk_frames=5)[0]
    ref = run_task(tasks_for([videos[0]], tmp_path / "ref", chunk_frames=5)[0], runner=fake_runner)
    def stop_after_two_chunks(done, total):
        if done == 12:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # Ctrl-C is not contained: it stops the batch, chunks are kept
        scoring.score_video(task.input, None, fake_runner, task.out_dir, chunk_frames=5, progress=stop_after_two_chunks)
    # two full chunks, and on Ctrl-C the frames since the last one: 12 frames kept
    chunks = sorted(p.name for p in (tmp_path / "out" / ".rec0.partial").glob("chunk_*.parquet"))
    assert chunks == ["chunk_000000000_000005.parquet", "chunk_000000005_000005.parquet",
                      "chunk_000000010_000002.parquet"]
    o = run_task(task, runner=fake_runner)
    assert o.state == RESUMED and o.frames == 20 and o.frames_new == 8 and "resuming" in o.message
    assert (tmp_path / "out" / "rec0.csv").read_bytes() == (tmp_path / "ref" / "rec0.csv").read_bytes()
    assert ref.state == DONE


def test_bad_input_fails_alone_with_its_message(videos, fake_runner, tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00" * 100)
    outcomes = run_batch(tasks_for([videos[0], junk, videos[1]], tmp_path / "out"), runner=fake_runner)
    assert [o.state for o in outcomes] == [DONE, FAILED, DONE]
    assert "junk.mp4 is not a video or image" in outcomes[1].message and exit_code(outcomes) == 1
    table = format_job_table(outcomes)
    assert "junk.mp4  failed" in table and "reason: " in table and "2 done, 1 failed (3 inputs)" in table
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "rec0.csv", "rec0.json", "rec0.parquet", "rec1.csv", "rec1.json", "rec1.parquet"]


def test_full_disk_publishes_nothing_half_written(videos, fake_runner, tmp_path, monkeypatch):
    out = tmp_path / "out"
    task = tasks_for([videos[0]], out, chunk_frames=5)[0]
    assert run_task(task, runner=fake_runner).state == DONE
    old = {p.name: p.read_bytes() for p in out.iterdir()}
    (out / "rec0.json").write_text((out / "rec0.json").read_text())  # still the same set
    real = pd.DataFrame.to_parquet

    def full(self, path, *a, **k):
        if str(path).endswith(scoring.PUBLISH_SUFFIX):
            real(self, path, *a, **k)
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, path, *a, **k)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    task2 = tasks_for([videos[0]], out, chunk_frames=5, stride=2)[0]  # a changed job: must rescore and publish
    o = run_task(task2, runner=fake_runner)
    assert o.state == FAILED
    assert "No space left on device" in o.message and "nothing was published" in o.message and str(out) in o.message
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == old  # the old set, untouched
    assert not [p for p in out.iterdir() if p.name.endswith(scoring.PUBLISH_SUFFIX)]
    assert list((out / ".rec0.partial").glob("chunk_*.parquet"))  # the scored frames are kept
    monkeypatch.setattr(pd.DataFrame, "to_parquet", real)
    o = run_task(task2, runner=fake_runner)  # space again: finishes from the chunks
    assert o.state == RESUMED and o.frames == 10


def test_full_disk_while_saving_chunks_is_one_message(videos, fake_runner, tmp_path, monkeypatch):
    real = pd.DataFrame.to_parquet

    def full(self, path, *a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    o = run_task(tasks_for([videos[0]], tmp_path / "out", chunk_frames=5)[0], runner=fake_runner)
    assert o.state == FAILED and "No space left on device" in o.message and "rerun" in o.message
    assert not list((tmp_path / "out").rglob("*.tmp")) and not (tmp_path / "out" / "rec0.csv").exists()
    monkeypatch.setattr(pd.DataFrame, "to_parquet", real)
