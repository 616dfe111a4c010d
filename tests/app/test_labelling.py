"""The labelling component's events applied to a label set (app_support.labelling.handle_event), and where sets live."""
import pytest

from fake_models import EyeAtCentreRunner
from mgs_core.labels.pick import VideoInput, create_label_set


@pytest.fixture()
def ls(tmp_path, data_dir):
    from mgs_core.io.rois import load_rois

    video = data_dir / "demo.mp4"
    rois = video.with_name("demo.rois.json")
    s = create_label_set(tmp_path / "set", [VideoInput(video, load_rois(rois) if rois.is_file() else None)], EyeAtCentreRunner(),
                         4, min_gap_s=0.5, stride=15)
    s.add_rater("ann")
    return s


def test_events_save_advance_undo_and_refuse_bad_input(ls):
    from app_support.labelling import handle_event

    first, second = ls.items[0].name, ls.items[1].name
    out = handle_event(ls, "ann", 0, {"kind": "score", "item": first, "x": 128, "y": 128, "score": "5"})
    assert out.index == 1 and not out.error and ls.rater("ann").labels[first].score == 5
    out = handle_event(ls, "ann", 1, {"kind": "score", "item": second, "x": 128, "y": 128, "score": "12"})
    assert out.index == 1 and "off the 0-9 scale" in out.error
    out = handle_event(ls, "ann", 1, {"kind": "score", "item": first, "x": 128, "y": 128, "score": "3"})
    assert "another frame" in out.error  # a stale key press never labels the wrong crop
    out = handle_event(ls, "ann", 1, {"kind": "noeye", "item": second})
    assert out.index == 2 and not ls.rater("ann").labels[second].eye_visible
    out = handle_event(ls, "ann", 2, {"kind": "undo"})
    assert out.index == 1 and second not in ls.rater("ann").labels
    assert handle_event(ls, "ann", 1, {"kind": "prev"}).index == 0
    assert handle_event(ls, "ann", 0, {"kind": "next"}).index == 1
    assert handle_event(ls, "ann", 1, {"kind": "score", "item": second, "x": None, "y": None, "score": 2}).error


def test_label_sets_live_beside_the_session_folders(monkeypatch, tmp_path):
    from app_support.labelling import labels_root

    monkeypatch.delenv("MGS_LABELS_DIR", raising=False)
    monkeypatch.setenv("MGS_WORK_DIR", str(tmp_path / "work"))
    assert labels_root() == tmp_path / "labels"
    monkeypatch.setenv("MGS_LABELS_DIR", str(tmp_path / "elsewhere"))
    assert labels_root() == tmp_path / "elsewhere" and labels_root().is_dir()
