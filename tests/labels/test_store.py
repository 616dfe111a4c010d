"""Label sets on disk: raters, labels saved as given, undo, resume, and the bad-input messages."""
import json

import pytest

from mgs_core.labels.store import LabelError, LabelSet


def test_set_is_shuffled_and_neutrally_named(label_set):
    names = [it.name for it in label_set.items]
    assert names == [f"f{i:03d}" for i in range(1, len(names) + 1)]
    times = [(it.animal, it.time_s) for it in label_set.items]
    assert times != sorted(times)  # presented shuffled, not in recording order
    for it in label_set.items:
        assert (label_set.root / it.image).is_file()
        assert "rec" not in it.image and it.animal not in it.image


def test_labels_survive_a_new_process_and_undo_is_appended(label_set):
    label_set.add_rater("Alice")
    first, second = label_set.items[0], label_set.items[1]
    label_set.label("Alice", first.name, 4.5, (120.0, 110.0))
    label_set.label("Alice", second.name, None, None)  # no eye visible
    again = LabelSet(label_set.root)  # as after a reload or a server restart
    rf = again.rater("Alice")
    assert rf.labels[first.name].score == 4.5 and rf.labels[first.name].eye_x == 120.0
    assert not rf.labels[second.name].eye_visible and rf.labels[second.name].score is None
    assert again.next_unlabelled("Alice") == 2
    assert again.undo("Alice") == second.name
    assert second.name not in again.rater("Alice").labels
    lines = rf.path.read_text().splitlines()
    assert [json.loads(x)["kind"] for x in lines] == ["rater", "label", "label", "undo"]  # nothing rewritten
    assert again.next_unlabelled("Alice") == 1


def test_relabel_then_undo_restores_the_earlier_label(label_set):
    label_set.add_rater("bob")
    it = label_set.items[0].name
    label_set.label("bob", it, 2, (100, 100))
    label_set.label("bob", it, 7, (101, 101))
    assert label_set.rater("bob").labels[it].score == 7
    label_set.undo("bob")
    assert label_set.rater("bob").labels[it].score == 2


def test_a_line_torn_by_a_crash_is_ignored_and_labelling_continues(label_set):
    label_set.add_rater("carol")
    a, b = label_set.items[0].name, label_set.items[1].name
    label_set.label("carol", a, 3, (100, 100))
    path = label_set.rater("carol").path
    with path.open("a") as fh:
        fh.write('{"kind":"label","item":"f00')  # power cut mid-write
    label_set.label("carol", b, 5, (100, 100))
    rf = label_set.rater("carol")
    assert set(rf.labels) == {a, b} and rf.torn == 1


def test_mgs_scale_uses_the_documented_conversion(label_set):
    label_set.add_rater("dave", scale="mgs012")
    it = label_set.items[0].name
    lab = label_set.label("dave", it, 1, (100, 100))
    assert lab.score == 4.5 and lab.raw == 1 and lab.scale == "mgs012"
    with pytest.raises(LabelError, match="off the MGS scale"):
        label_set.label("dave", it, 5, (100, 100))


@pytest.mark.parametrize("raw", [9.5, -1, "abc"])
def test_score_off_the_scale_is_refused_and_nothing_is_lost(label_set, raw):
    label_set.add_rater("erin")
    it = label_set.items[0].name
    label_set.label("erin", it, 3, (100, 100))
    with pytest.raises(LabelError):
        label_set.label("erin", it, raw, (100, 100))
    assert label_set.rater("erin").labels[it].score == 3


def test_click_outside_the_crop_is_refused(label_set):
    label_set.add_rater("fay")
    box2 = next(it for it in label_set.items if it.roi == "box2")  # 64x48 ROI: letterboxed, picture y 32-223
    with pytest.raises(LabelError, match="outside the crop of"):
        label_set.label("fay", box2.name, 3, (100, 5))
    with pytest.raises(LabelError, match="outside the crop"):
        label_set.label("fay", box2.name, 3, (300, 100))
    with pytest.raises(LabelError, match="click the eye centre"):
        label_set.label("fay", box2.name, 3, None)
    assert label_set.rater("fay").labels == {}


def test_two_raters_with_the_same_name_are_refused(label_set):
    label_set.add_rater("Alice Smith")
    label_set.label("Alice Smith", label_set.items[0].name, 3, (100, 100))
    with pytest.raises(LabelError, match="already labels set"):
        label_set.add_rater("alice smith")
    with pytest.raises(LabelError, match="not allowed"):
        label_set.add_rater("../evil")
    assert len(label_set.rater("Alice Smith").labels) == 1
