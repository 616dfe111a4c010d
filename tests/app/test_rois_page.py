"""ROI page: Propose asks before replacing a named table, unsaved edits are shown, a size mismatch says so."""
import json

from conftest import errors


def _table(at):
    return at.session_state[f"roi_table::{at.demo}"]


def test_propose_on_a_named_table_asks_and_cancel_keeps_it(app_env):
    at = app_env("pages/1_ROIs.py")
    at.demo = (app_env.data_dir / "demo.mp4").resolve()
    before = _table(at).copy()
    assert list(before["animal"]) == ["m1", "m2", "m3", "m4"]
    at.button(key="roi_propose").click().run()
    assert not errors(at), errors(at)
    assert any("ROIs of yours" in w.value for w in at.warning)
    assert {"roi_propose_merge", "roi_propose_replace", "roi_propose_cancel"} <= {b.key for b in at.button}
    assert _table(at).equals(before)  # nothing replaced while asking
    at.button(key="roi_propose_cancel").click().run()
    assert _table(at).equals(before)
    assert not any("ROIs of yours" in w.value for w in at.warning)


def test_merge_keeps_names_and_groups_and_replace_then_proposes_freely(app_env):
    at = app_env("pages/1_ROIs.py")
    at.demo = (app_env.data_dir / "demo.mp4").resolve()
    at.button(key="roi_propose").click().run()
    at.button(key="roi_propose_merge").click().run()
    assert not errors(at), errors(at)
    merged = _table(at)
    assert list(merged["animal"]) == ["m1", "m2", "m3", "m4"]
    assert list(merged["group"]) == ["vehicle", "analgesic", "vehicle", "analgesic"]
    at.button(key="roi_propose").click().run()  # the merged table is the user's: ask again
    at.button(key="roi_propose_replace").click().run()
    assert list(_table(at)["id"]) == [f"box{i}" for i in range(1, 5)]
    assert list(_table(at)["animal"]) == [f"box{i}" for i in range(1, 5)]
    at.button(key="roi_propose").click().run()  # an untouched proposal is replaced without asking
    assert not any("ROIs of yours" in w.value for w in at.warning)


def test_unsaved_edits_are_shown_as_unsaved_until_saved(app_env):
    at = app_env("pages/1_ROIs.py")
    at.demo = (app_env.data_dir / "demo.mp4").resolve()
    assert any("Scoring uses: `demo.rois.json`" in c.value for c in at.caption)
    data = json.loads((app_env.data_dir / "demo.rois.json").read_text())
    data["rois"][0]["group"] = "drug"
    at.file_uploader(key="roi_load").upload("edited.rois.json", json.dumps(data).encode(), "application/json").run()
    at.button(key="roi_load_btn").click().run()
    assert not errors(at), errors(at)
    assert any("Unsaved changes" in w.value and "demo.rois.json" in w.value for w in at.warning)
    assert not any("Scoring uses" in c.value for c in at.caption)
    at.button(key="roi_use").click().run()
    assert not any("Unsaved changes" in w.value for w in at.warning)
    assert any("Scoring uses: `demo.rois.json`" in c.value for c in at.caption)


def test_an_roi_file_for_another_frame_size_names_both_sizes(app_env):
    at = app_env("pages/1_ROIs.py")
    at.demo = (app_env.data_dir / "demo.mp4").resolve()
    data = json.loads((app_env.data_dir / "demo.rois.json").read_text())
    w, h = data["frame_width"], data["frame_height"]
    data["frame_width"], data["frame_height"] = w * 2 // 3, h * 2 // 3  # e.g. 1280x720 for a 1920x1080 video
    at.file_uploader(key="roi_load").upload("cage 720p.rois.json", json.dumps(data).encode(), "application/json").run()
    at.button(key="roi_load_btn").click().run()
    msgs = [e.value for e in at.error]
    assert any(f"cage 720p.rois.json is for {w * 2 // 3}x{h * 2 // 3} frames but the video is {w}x{h}" in m
               for m in msgs), msgs
    assert not any("outside" in m for m in msgs)


def test_a_kept_roi_set_can_be_loaded_back_from_the_workspace(app_env):
    at = app_env("pages/1_ROIs.py")
    at.demo = (app_env.data_dir / "demo.mp4").resolve()
    data = json.loads((app_env.data_dir / "demo.rois.json").read_text())
    data["rois"][0]["group"] = "drug"
    at.file_uploader(key="roi_load").upload("edited.rois.json", json.dumps(data).encode(), "application/json").run()
    at.button(key="roi_load_btn").click().run()
    at.button(key="roi_use").click().run()  # saved for scoring, and a copy kept in the workspace
    assert not errors(at), errors(at)
    fresh = app_env("pages/1_ROIs.py")  # another session (a reload): the table starts from demo.rois.json again
    fresh.demo = at.demo
    assert "roi_ws_pick" in {s.key for s in fresh.selectbox}
    fresh.button(key="roi_ws_load").click().run()
    assert not errors(fresh), errors(fresh)
    assert _table(fresh).iloc[0]["group"] == "drug"
