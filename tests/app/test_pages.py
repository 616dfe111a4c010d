"""Every page loads under AppTest and its main action on the sample data produces the expected table/chart."""
import json

import pandas as pd

from conftest import errors


def n_charts(at) -> int:
    return sum(1 for _ in _walk(at.main) if _.type == "vega_lite_chart")


def _walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def test_home_demo_scores_the_sample_video(app_env):
    at = app_env()
    assert "MGS Live" in at.title[0].value
    assert any("synthetic" in m.value for m in at.markdown)  # honest notes on the weights
    at.button(key="home_demo").click()
    at.select_slider(key="home_seconds").set_value(1)
    at.run()
    assert not errors(at), errors(at)
    df = at.session_state["home_demo_result"]
    assert len(df) and {"animal", "score", "time_s"} <= set(df.columns)
    assert n_charts(at) >= 1


def test_rois_page_shows_frame_table_and_crops(app_env):
    at = app_env("pages/1_ROIs.py")
    assert not errors(at), errors(at)
    assert n_charts(at) == 1  # the drawable frame
    rois = json.loads((app_env.data_dir / "demo.rois.json").read_text())["rois"]
    assert len(at.image) == len(rois)  # one crop preview per ROI from demo.rois.json
    assert any(b.key == "roi_download" for b in at.get("download_button"))
    at.slider(key="roi_frame").set_value(3).run()
    assert not errors(at)


def test_rois_page_reports_a_malformed_roi_file(app_env):
    at = app_env("pages/1_ROIs.py")
    at.file_uploader(key="roi_load").upload("bad.rois.json", b"{not json", "application/json").run()
    at.button(key="roi_load_btn").click().run()
    assert any("not valid JSON" in e.value for e in at.error)
    assert not at.exception


def test_live_page_renders_file_controls_and_the_camera_widget(app_env):
    at = app_env("pages/2_Live.py")
    assert not errors(at), errors(at)
    assert {b.key for b in at.button} >= {"live_start", "live_pause", "live_stop", "live_seek"}
    assert not any(e.type == "component_instance" for e in _walk(at.main))  # a file plays without WebRTC
    at.radio(key="live_source").set_value("Webcam").run()
    assert not errors(at), errors(at)
    assert any(e.type == "component_instance" for e in _walk(at.main))


def test_batch_scores_and_shows_results(app_env):
    at = app_env("pages/3_Batch.py")
    at.number_input(key="batch_limit").set_value(3)
    at.number_input(key="batch_stride").set_value(2)
    at.button(key="batch_run").click().run()
    assert not errors(at), errors(at)
    summary = at.table[0].value  # the workspace's run list
    assert list(summary["inputs"]) == ["demo.mp4"] and int(summary["frames"].iloc[0]) == 3
    assert list(summary["status"]) == ["done"] and summary["settings"].iloc[0] == "stride 2, first 3 frames, ROIs demo.rois.json"
    assert n_charts(at) >= 1
    assert {b.key for b in at.get("download_button")} >= {"batch_dl_csv", "batch_dl_parquet"}
    files = list((app_env.work_dir.parent / "workspaces" / "default" / "runs").rglob("demo.csv"))
    assert len(files) == 1 and len(pd.read_csv(files[0])) > 0


def test_batch_reports_a_non_video_upload(app_env):
    at = app_env("pages/3_Batch.py")
    at.multiselect(key="batch_videos_ms").set_value([])
    at.file_uploader(key="batch_videos_up").upload("notes.mp4", b"this is not a video", "video/mp4")
    at.run()
    at.button(key="batch_run").click().run()
    assert any("notes.mp4" in e.value for e in at.error), errors(at)
    assert not at.exception


def test_curves_scores_the_sample_and_summarises(app_env):
    at = app_env("pages/4_Curves.py")
    assert not errors(at), errors(at)
    at.button(key="curves_sample").click().run()
    assert not errors(at), errors(at)
    assert n_charts(at) == 1
    (animals,) = [d.value for d in at.dataframe if "mean score (0-9)" in d.value.columns and "files" in d.value.columns]
    assert len(animals) >= 1 and "fraction eye visible" in animals.columns
    (groups,) = [d.value for d in at.dataframe if "n animals" in d.value.columns]
    assert int(groups["n animals"].sum()) == len(animals) and set(groups["n files"]) == {1}
    assert any("animals from 1 file" in m.value for m in at.markdown)
    at.radio(key="curves_view").set_value("Group averages (time bins)").run()
    assert not errors(at), errors(at)


def test_evaluate_runs_pipeline_evaluation(app_env):
    at = app_env("pages/5_Evaluate.py")
    assert not errors(at), errors(at)
    at.number_input(key="ev_limit").set_value(8)
    at.button(key="ev_run").click().run()
    assert not errors(at), errors(at)
    assert [m.label for m in at.metric][:4] == ["MAE", "RMSE", "Pearson r", "ICC(2,1)"]
    assert n_charts(at) >= 2  # predicted-vs-true and Bland-Altman


def test_a_second_session_sees_the_workspace_runs_of_the_first(app_env):
    """Results belong to the workspace, not to the browser session: a reload or another browser lists them."""
    a = app_env("pages/3_Batch.py")
    a.number_input(key="batch_limit").set_value(2)
    a.button(key="batch_run").click().run()
    assert not errors(a)
    b = app_env("pages/4_Curves.py")
    assert a.session_state["mgs_session_id"] != b.session_state["mgs_session_id"]
    assert not any(x.key == "curves_sample" for x in b.button)  # B opens A's run instead of offering the sample
    (runs,) = [m for m in b.multiselect if m.label.startswith("Runs in workspace default")]
    assert len(runs.value) == 1 and "demo.mp4" in runs.value[0] and "2 frames" in runs.value[0]
    assert n_charts(b) == 1 and not errors(b)
