"""Batch page: the key-frame strip under the results, and the whole-frame warning naming the uploaded file."""
from conftest import errors


def test_results_show_a_key_frame_strip_per_animal(app_env):
    at = app_env("pages/3_Batch.py")
    at.number_input(key="batch_limit").set_value(6)
    at.number_input(key="batch_stride").set_value(5)
    at.button(key="batch_run").click().run()
    assert not errors(at), errors(at)
    assert any(s.value == "Key frames per animal" for s in at.subheader)
    strip = [i for i in at.image]
    assert len(strip) >= 4  # at least one animal's row of tiles
    assert not any("whole frame" in w.value for w in at.warning)  # demo.rois.json was used


def test_whole_frame_without_an_eye_warns_naming_the_upload(app_env, clean_copy):
    at = app_env("pages/3_Batch.py")
    at.multiselect(key="batch_videos_ms").set_value([])
    at.file_uploader(key="batch_videos_up").upload("my cage.mp4", (clean_copy / "demo.mp4").read_bytes(),
                                                   "video/mp4")
    at.number_input(key="batch_limit").set_value(4)
    at.number_input(key="batch_stride").set_value(10)
    at.button(key="batch_run").click().run()
    assert not errors(at), errors(at)
    warnings = [w.value for w in at.warning if "whole frame" in w.value]
    assert warnings and warnings[0].startswith("my cage.mp4 was scored with the whole frame as one ROI")
    assert "Regions of interest" in warnings[0]
    assert str(app_env.work_dir) not in " ".join(w.value for w in at.warning)
