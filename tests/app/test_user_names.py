"""Messages name the user's files: server paths (work folder, data folder) become the uploaded / relative names."""
from pathlib import Path

from app_support.user_names import clean_text, shown_name


def test_an_upload_path_in_a_message_becomes_the_uploaded_name(tmp_path):
    work = tmp_path / "work"
    stored = work / "3f9a0c1d2e4b" / "uploads" / "my_cage_2.mp4"
    known = {str(stored.resolve()): "my cage 2.mp4"}
    msg = f"cannot read {stored}: not a video (moov atom not found)."
    out = clean_text(msg, known, [work])
    assert out == "cannot read my cage 2.mp4: not a video (moov atom not found)."
    assert str(work) not in out and "3f9a0c1d2e4b" not in out


def test_a_file_inside_an_unpacked_upload_and_unknown_work_files(tmp_path):
    work = tmp_path / "work"
    unpacked = work / "s1" / "datasets" / "labels_v2"
    known = {str(unpacked.resolve()): "labels v2.zip"}
    out = clean_text(f"{unpacked / 'labels.csv'} row 3: score 12 is off the scale", known, [work])
    assert out == "labels v2.zip/labels.csv row 3: score 12 is off the scale"
    assert clean_text(f"ROI file {work / 's1' / 'rois' / 'demo.rois.json'} does not exist", {}, [work]) == \
        "ROI file demo.rois.json does not exist"


def test_data_folder_files_are_named_by_their_path_inside_it(tmp_path):
    data = tmp_path / "data"
    msg = f"'{data / 'day1' / 'cage.mp4'}' ended early"
    assert clean_text(msg, {}, [data], data_dir=data) == "'day1/cage.mp4' ended early"
    assert shown_name(data / "demo.mp4", {}, data) == "demo.mp4"
    assert shown_name(Path("/elsewhere/x.mp4"), {}, data) == "x.mp4"


def test_text_without_server_paths_is_unchanged(tmp_path):
    assert clean_text("ROI 'box1' has no id", {}, [tmp_path / "work"]) == "ROI 'box1' has no id"
