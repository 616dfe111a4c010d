"""The Live page under AppTest: a file run from Start to the end of the video, saved and listed on Score curves;
bad input (a text file named .mp4, ROIs for another frame size) gives one message and no traceback; a scoring
process that dies mid-run is reported on the page, its rows kept."""
import json
import os
import signal
import time

from conftest import errors

from app_support import live
from mgs_core.io.series import load_series, open_series


def _wait_worker(at, timeout=180.0):
    worker = at.session_state["live_worker"]
    assert worker.join(timeout), "the live worker did not finish"
    return worker


def test_a_file_run_plays_to_the_end_is_saved_and_listed_on_curves(app_env):
    at = app_env("pages/2_Live.py")
    at.radio(key="live_speed").set_value("As fast as possible")
    at.radio(key="live_end").set_value("Stop")
    at.number_input(key="live_seek_t").set_value(9.0)  # the last second of the sample: a short run
    at.button(key="live_seek").click().run()  # "Go" while stopped starts playing from there
    assert not errors(at), errors(at)
    worker = _wait_worker(at)
    at.run()
    assert not errors(at), errors(at)
    snap = worker.snapshot()
    assert snap.state == "ended" and snap.stats.scored > 0
    assert any("Stopped." in s.value for s in at.success)
    assert any("has ended" in i.value for i in at.info)
    assert any(m.label == "Scored frames / s" for m in at.metric)
    assert {b.key for b in at.get("download_button")} >= {"live_dl"}
    df = load_series(snap.series)
    assert df["frame"].min() >= 270 and len(df) == snap.stats.scored * 4  # the video's own frame numbers, 4 ROIs
    assert snap.series.parent == live.series_root()
    at.switch_page("pages/4_Curves.py").run()
    assert not errors(at), errors(at)
    picker = next(m for m in at.multiselect if m.label.startswith("Runs in workspace"))
    (live_run,) = [o for o in picker.options if "demo.mp4 · live" in o]
    assert picker.value == [live_run]  # listed, and preselected as the newest run
    assert len(at.dataframe) >= 1  # the per-animal table of the live series


def test_a_text_file_uploaded_as_a_video_gives_one_message(app_env):
    at = app_env("pages/2_Live.py")
    at.radio(key="live_video_src").set_value("Upload").run()
    at.file_uploader(key="live_video_up").upload("notes.mp4", b"just some text\n", "video/mp4").run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1 and "notes.mp4" in at.error[0].value and "not a video" in at.error[0].value
    assert "live_worker" not in at.session_state


def test_rois_for_another_frame_size_give_one_message(app_env, tmp_path):
    bad = tmp_path / "small.rois.json"
    bad.write_text(json.dumps({"frame_width": 640, "frame_height": 480,
                               "rois": [{"id": "b1", "x": 0, "y": 0, "w": 100, "h": 100}]}))
    at = app_env("pages/2_Live.py")
    at.session_state["roi_files"] = {str(app_env.data_dir / "demo.mp4"): str(bad)}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1 and "640x480" in at.error[0].value and "small.rois.json" in at.error[0].value


def test_a_scoring_process_that_dies_is_reported_on_the_page(app_env):
    at = app_env("pages/2_Live.py")
    at.radio(key="live_speed").set_value("As fast as possible")
    at.button(key="live_start").click().run()
    assert not errors(at), errors(at)
    worker = at.session_state["live_worker"]
    end = time.monotonic() + 120
    while worker.snapshot().stats.rows_written == 0 and time.monotonic() < end:
        time.sleep(0.1)
    os.kill(worker.process.pid, signal.SIGKILL)  # the scoring process crashes mid-run
    _wait_worker(at)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    snap = worker.snapshot()
    assert snap.state == "failed" and len(at.error) == 1 and "killed by signal 9" in at.error[0].value
    assert snap.series.name in at.error[0].value and open_series(snap.series).rows > 0  # what was written is kept
    assert not any("Stopped." in s.value for s in at.success)


def test_a_live_series_stopped_before_its_first_frame_is_warned_about_and_not_preselected_over_one_with_frames(
        app_env):
    from mgs_core.io.series import SeriesWriter

    app_env("pages/2_Live.py")  # opens the workspace
    folder = live.series_root() / "live_20261202-000000_demo"
    SeriesWriter(folder, {"source": {"name": "demo.mp4"}}).close()  # Start, then Stop before a frame was scored
    c = app_env("pages/4_Curves.py")
    assert not errors(c), errors(c)
    picker = next(m for m in c.multiselect if m.label.startswith("Runs in workspace"))
    assert len(picker.value) == 1 and "live · default settings · 0 frames" in picker.value[0]  # preselected
    assert any("no scored frames" in w.value for w in c.warning)
    assert any("hold no scored frames" in i.value for i in c.info)
    c = app_env("pages/3_Batch.py")
    c.button(key="batch_run").click().run()  # the demo scored, then another empty series, newer still:
    time.sleep(1.1)  # (run times are in whole seconds)
    SeriesWriter(live.series_root() / "live_20261202-000001_demo", {"source": {"name": "demo.mp4"}}).close()
    c.switch_page("pages/4_Curves.py").run()  # the newest run with frames is preselected
    assert not errors(c), errors(c)
    picker = next(m for m in c.multiselect if m.label.startswith("Runs in workspace"))
    assert len(picker.value) == 1 and "batch" in picker.value[0] and not c.warning
