"""The append-only live series: chunks, stitching, a torn last chunk, a kill mid-run, consolidation, listing."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from mgs_core.errors import InputError
from mgs_core.io.results import COLUMNS, frames_to_table, load_scores
from mgs_core.io.series import SERIES_FORMAT, SeriesWriter, list_series, load_series, open_series, read_provenance
from mgs_core.types import NO_ANIMAL, FrameResult, RoiResult

REPO = Path(__file__).resolve().parents[2]


def frame(i: int) -> FrameResult:
    return FrameResult(100 + i, round((100 + i) / 30, 6),
                       (RoiResult("box1", "m1", "saline", True, 10.0 + i, 20.0, (i % 90) / 10, 0.9, "scored", 5.0, 0.8),
                        RoiResult("box2", "m2", "", False, None, None, None, 0.0, NO_ANIMAL)))


def test_rows_are_appended_in_chunks_and_read_back_in_order(tmp_path):
    w = SeriesWriter(tmp_path / "live_a", {"source": {"kind": "file"}}, chunk_frames=10)
    for i in range(35):
        w.append(frame(i))
    assert w.frames_written == 30 and w.rows_written == 60  # 3 chunks on disk, 5 frames still buffered
    info = open_series(tmp_path / "live_a")
    assert not info.finished and info.chunks == 3 and info.rows == 60
    df = load_series(tmp_path / "live_a")
    assert list(df.columns) == COLUMNS and len(df) == 60
    assert df["frame"].tolist()[::2] == list(range(100, 130))  # the source's own frame numbers, in order
    w.close({"frames_scored": 35})
    df = load_series(tmp_path / "live_a")
    assert len(df) == 70
    pd.testing.assert_frame_equal(df, frames_to_table([frame(i) for i in range(35)]))
    # the consolidated files are ordinary results tables
    pd.testing.assert_frame_equal(load_scores(tmp_path / "live_a" / "live_a.csv"), df)
    pd.testing.assert_frame_equal(load_scores(tmp_path / "live_a" / "live_a.parquet"), df)
    prov = read_provenance(tmp_path / "live_a")
    assert prov["format"] == SERIES_FORMAT and prov["finished"] and prov["run"]["rows"] == 70
    assert prov["run"]["frames_scored"] == 35 and prov["source"] == {"kind": "file"}


def test_segments_record_where_each_pass_or_seek_began(tmp_path):
    w = SeriesWriter(tmp_path / "s", {}, chunk_frames=1000)
    w.segment("start", start_frame=0)
    for i in range(3):
        w.append(frame(i))
    w.segment("seek", start_frame=200)
    w.append(frame(100))
    w.close()
    seg = read_provenance(tmp_path / "s")["segments"]
    assert [(s["kind"], s["first_row"], s["start_frame"]) for s in seg] == [("start", 0, 0), ("seek", 6, 200)]


def test_a_torn_last_chunk_is_skipped_and_named(tmp_path):
    w = SeriesWriter(tmp_path / "s", {}, chunk_frames=5)
    for i in range(10):
        w.append(frame(i))
    chunks = sorted((tmp_path / "s" / "chunks").glob("chunk_*.parquet"))
    assert len(chunks) == 2
    torn = chunks[-1].with_name("chunk_000002_000010.parquet")
    torn.write_bytes(chunks[-1].read_bytes()[:100])  # a crash in the middle of a write that was not atomic
    (tmp_path / "s" / "chunks" / "chunk_000003_000010.parquet.tmp").write_bytes(b"half")  # an unfinished temp file
    info = open_series(tmp_path / "s")
    assert info.rows == 20 and info.chunks == 2 and "chunk_000002_000010.parquet" in info.messages[0]
    assert len(load_series(tmp_path / "s")) == 20


def test_a_session_killed_mid_run_leaves_every_chunk_written_before_the_kill(tmp_path):
    """A writer in another process is SIGKILLed while scoring: every chunk it reported is readable afterwards."""
    folder = tmp_path / "live_killed"
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(REPO)!r})
        from mgs_core.io.series import SeriesWriter
        from mgs_core.types import FrameResult, RoiResult
        w = SeriesWriter({str(folder)!r}, {{"source": {{"kind": "file"}}}}, chunk_frames=4, chunk_seconds=60)
        i = 0
        while True:
            w.append(FrameResult(i, i / 30, (RoiResult("box1", "m1", "", True, 1.0, 2.0, 3.0, 0.9),)))
            i += 1
            if i % 4 == 0:
                print(w.rows_written, flush=True)
            time.sleep(0.002)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    reported = 0
    try:
        while reported < 40:
            reported = int(proc.stdout.readline())
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    info = open_series(folder)
    assert not info.finished and info.rows >= reported
    df = load_series(folder)
    assert len(df) == info.rows and df["frame"].tolist() == list(range(len(df)))  # no gap, no duplicate
    assert read_provenance(folder)["finished"] is False


def test_list_series_finds_closed_and_unclosed_series_and_ignores_other_folders(tmp_path):
    a = SeriesWriter(tmp_path / "live_1", {}, chunk_frames=2)
    for i in range(4):
        a.append(frame(i))
    a.close()
    time.sleep(1.1)  # started_utc has one-second resolution
    b = SeriesWriter(tmp_path / "live_2", {}, chunk_frames=2)
    for i in range(2):
        b.append(frame(i))
    (tmp_path / "not_a_series").mkdir()
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "bad.json").write_text(json.dumps({"format": "something else"}))
    found = list_series(tmp_path)
    assert [(s.name, s.finished, s.rows) for s in found] == [("live_1", True, 8), ("live_2", False, 4)]
    assert "recording or interrupted" in found[1].label


def test_bad_folders_give_one_clear_message(tmp_path):
    with pytest.raises(InputError, match="not a live series"):
        load_series(tmp_path)
    SeriesWriter(tmp_path / "x", {})
    with pytest.raises(InputError, match="already exists"):
        SeriesWriter(tmp_path / "x", {})
