import json

import pytest

from mgs_core.errors import RoiError
from mgs_core.io.rois import full_frame_rois, load_rois, rois_from_dict, rois_to_dict, save_rois, validate_rois
from mgs_core.types import Roi, RoiSet


def good():
    return {"format": "mgs-live-rois", "version": 1, "frame_width": 640, "frame_height": 480,
            "rois": [{"id": "box1", "animal": "m01", "group": "saline", "x": 0, "y": 0, "w": 320, "h": 480},
                     {"id": "box2", "x": 320, "y": 0, "w": 320, "h": 480}]}


def test_round_trip(tmp_path):
    rs = rois_from_dict(good())
    assert rs.rois[0] == Roi("box1", 0, 0, 320, 480, "m01", "saline")
    assert rs.rois[1].animal == "box2"  # animal defaults to the id
    path = save_rois(rs, tmp_path / "sub" / "r.json")
    assert load_rois(path) == rs
    assert json.loads(path.read_text()) == rois_to_dict(rs)


@pytest.mark.parametrize("edit,match", [
    (lambda d: d["rois"][1].update(x=400), "'box2'.*outside the 640x480 frame"),
    (lambda d: d["rois"][0].update(w=0), "'box1'.*zero"),
    (lambda d: d["rois"][1].update(id="box1"), "'box1' appears twice"),
    (lambda d: d["rois"][1].update(id=""), "ROI #2 has no id"),
    (lambda d: d["rois"][0].pop("h"), "'box1' is missing 'h'"),
    (lambda d: d["rois"][0].update(x="ten"), "'box1' x must be a whole number"),
    (lambda d: d["rois"][0].update(y=1.5), "whole number"),
    (lambda d: d.update(version=7), "version 7 is not supported"),
    (lambda d: d.pop("frame_width"), "missing key 'frame_width'"),
    (lambda d: d.update(rois={}), "'rois' must be a list"),
])
def test_validation_errors_name_the_roi(edit, match):
    d = good()
    edit(d)
    with pytest.raises(RoiError, match=match):
        rois_from_dict(d, source="ROI file r.json")


def test_file_errors(tmp_path):
    with pytest.raises(RoiError, match="does not exist"):
        load_rois(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(RoiError, match="bad.json is not valid JSON"):
        load_rois(tmp_path / "bad.json")
    (tmp_path / "list.json").write_text("[]")
    with pytest.raises(RoiError, match="expected a JSON object"):
        load_rois(tmp_path / "list.json")


def test_validate_against_frame_size_and_full_frame():
    rs = rois_from_dict(good())
    validate_rois(rs, 640, 480)
    with pytest.raises(RoiError, match="640x480 frames but the video is 1920x1080"):
        validate_rois(rs, 1920, 1080)
    ff = full_frame_rois(320, 240)
    assert ff == RoiSet((Roi("frame", 0, 0, 320, 240, "animal1", ""),), 320, 240)


def _demo_1280(tmp_path):
    """The sample file's 1080p boxes under a header saying 1280x720 (a file made for another frame size)."""
    data = {"format": "mgs-live-rois", "version": 1, "frame_width": 1280, "frame_height": 720,
            "rois": [{"id": "box1", "x": 58, "y": 415, "w": 422, "h": 324},
                     {"id": "box3", "x": 979, "y": 415, "w": 422, "h": 324}]}
    path = tmp_path / "cage.rois.json"
    path.write_text(json.dumps(data))
    return path


def test_a_file_for_another_frame_size_is_a_size_mismatch_naming_both_sizes(tmp_path):
    path = _demo_1280(tmp_path)
    with pytest.raises(RoiError) as exc:
        load_rois(path, frame_size=(1920, 1080))
    msg = str(exc.value)
    assert "cage.rois.json is for 1280x720 frames but the video is 1920x1080" in msg
    assert "outside" not in msg
    with pytest.raises(RoiError, match="1280x720 frames but the video is 1920x1080"):
        rois_from_dict(json.loads(path.read_text()), source="ROI file cage.rois.json", frame_size=(1920, 1080))


def test_without_the_video_size_a_box_outside_the_declared_frame_asks_about_the_size(tmp_path):
    with pytest.raises(RoiError, match=r"'box1'.*outside the 1280x720 frame the file declares.*another frame size"):
        load_rois(_demo_1280(tmp_path))


def test_messages_use_the_name_given_not_the_path(tmp_path):
    path = tmp_path / "x9f3" / "uploads" / "cage.rois.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(RoiError) as exc:
        load_rois(path, name="My cage.rois.json")
    assert "My cage.rois.json" in str(exc.value) and "x9f3" not in str(exc.value)


def test_same_rois():
    from mgs_core.io.rois import same_rois

    a = rois_from_dict(good())
    d = good()
    d["rois"][0]["group"] = "drug"
    assert same_rois(a, rois_from_dict(good()))
    assert not same_rois(a, rois_from_dict(d))
    assert not same_rois(a, None) and same_rois(None, None)
