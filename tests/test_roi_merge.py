"""Propose ROIs merged into a named table: names/groups kept where boxes overlap, hand-drawn boxes kept."""
from mgs_core.roi_detect import box_iou, merge_proposal
from mgs_core.types import Roi, RoiSet


def test_iou():
    a = Roi("a", 0, 0, 10, 10)
    assert box_iou(a, a) == 1.0
    assert box_iou(a, Roi("b", 5, 0, 10, 10)) == 50 / 150
    assert box_iou(a, Roi("c", 20, 20, 5, 5)) == 0.0


def test_merge_keeps_names_and_groups_where_boxes_overlap():
    current = RoiSet((Roi("left", 10, 10, 100, 100, "m07", "saline"),
                      Roi("right", 300, 10, 100, 100, "m08", "drug"),
                      Roi("drawn", 10, 300, 50, 50, "m09", "drug")), 640, 480)
    proposed = RoiSet((Roi("box1", 14, 8, 104, 98, "box1"), Roi("box2", 296, 12, 100, 100, "box2"),
                       Roi("box3", 500, 300, 80, 80, "box3")), 640, 480)
    merged = merge_proposal(current, proposed)
    assert merged.rois[0] == Roi("left", 14, 8, 104, 98, "m07", "saline")  # the detector's rectangle, the user's names
    assert merged.rois[1] == Roi("right", 296, 12, 100, 100, "m08", "drug")
    assert merged.rois[2] == current.rois[2]  # a hand-drawn box the detector missed stays
    assert merged.rois[3] == Roi("box1", 500, 300, 80, 80, "box1", "")  # a new box gets a free id
    assert len(merged) == 4 and len({r.id for r in merged}) == 4


def test_one_proposed_box_matches_one_roi_only():
    current = RoiSet((Roi("a", 0, 0, 100, 100, "m1", "g"), Roi("b", 5, 5, 100, 100, "m2", "g")), 200, 200)
    proposed = RoiSet((Roi("box1", 4, 4, 100, 100, "box1"),), 200, 200)
    merged = merge_proposal(current, proposed)
    assert [(r.id, r.x) for r in merged] == [("a", 0), ("b", 4)]  # the best pair wins; "a" keeps its own box
