"""Animals are identities: one animal's rows from several files are one animal in every statistic."""
import numpy as np
import pandas as pd
import pytest

from mgs_core.analysis import analyze, load_results, prepare
from mgs_core.analysis.columns import human_columns, human_name
from mgs_core.analysis.curves import NO_GROUP, check_groups
from mgs_core.analysis.identity import ScoredVideo, check_animal_boxes
from mgs_core.errors import InputError

ANIMALS = {"m1": "treated", "m2": "treated", "m3": "control", "m4": "control"}


def _session(path, base, seed):
    """30 s at 2 fps of the same four animals (treated high, control low)."""
    rng = np.random.default_rng(seed)
    rows = []
    for a, (animal, group) in enumerate(ANIMALS.items()):
        level = (6.0 if group == "treated" else 2.0) + 0.2 * a + base
        for i in range(60):
            rows.append((i, i * 0.5, f"box{a + 1}", animal, group, 1, 5.0, 5.0, level + rng.normal(0, 0.1),
                         "scored"))
    pd.DataFrame(rows, columns=["frame", "time_s", "roi", "animal", "group", "eye_visible", "eye_x", "eye_y",
                                "score", "status"]).to_csv(path, index=False)
    return path


def test_two_files_of_the_same_four_animals_count_four_animals(tmp_path):
    one = load_results([_session(tmp_path / "day1.csv", 0.0, 1)])
    both = load_results([_session(tmp_path / "day1.csv", 0.0, 1), _session(tmp_path / "day2.csv", 0.5, 2)])
    out1, out2 = analyze(one, bin_s=10.0), analyze(both, bin_s=10.0)
    assert len(out2.animals) == 4 and set(out2.animals["n_files"]) == {2}
    assert set(out2.animals["source"]) == {"day1, day2"}
    g = out2.groups.set_index("group")
    assert list(g["n_animals"]) == [2, 2] and list(g["n_files"]) == [2, 2]
    # the group comparison sees 2 + 2 animals with one file or with two: adding a session adds no animal
    for out in (out1, out2):
        overall = out.tests[out.tests["bin"] == -1].iloc[0]
        assert (overall["n_a"], overall["n_b"]) == (2, 2)
        assert all(t.n_a == 2 and t.n_b == 2 for t in out.repeated.group_tests)
        assert all(m.n_units == 4 for m in out.repeated.mixed)
    assert out1.tests.loc[out1.tests["bin"] == -1, "p"].iloc[0] == out2.tests.loc[out2.tests["bin"] == -1, "p"].iloc[0]
    # the pooled animal mean is the mean over both files' frames
    m1 = both[both["animal"] == "m1"]["score_0_9"].mean()
    assert out2.animals.set_index("animal").loc["m1", "mean_score_0_9"] == pytest.approx(m1)
    # per bin each animal is one row holding both files' frames
    b = out2.bins
    assert len(b) == 4 * 3 and set(b["n_files"]) == {2} and set(b["n_frames"]) == {40}


def test_unnamed_rois_are_not_pooled_across_files():
    def table(source):
        return pd.DataFrame({"frame": [0, 1], "time_s": [0.0, 0.5], "roi": "frame", "animal": "animal1", "group": "",
                             "eye_visible": 1, "eye_x": 1.0, "eye_y": 1.0, "score": [2.0, 3.0], "source": source})
    p = pd.concat([prepare(table("webcam 10:00")), prepare(table("webcam 11:00"))], ignore_index=True)
    assert set(p["animal"]) == {"frame (webcam 10:00)", "frame (webcam 11:00)"}
    assert set(p["group"]) == {NO_GROUP}
    assert len(analyze(p, bin_s=1.0).animals) == 2


def test_one_animal_in_two_groups_is_one_clear_message(tmp_path):
    a = _session(tmp_path / "a.csv", 0.0, 1)
    df = pd.read_csv(a)
    df.loc[df["animal"] == "m1", "group"] = "control"
    df.to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(InputError, match=r"animal 'm1' is in group 'control' in b and in group 'treated' in a"):
        load_results([a, tmp_path / "b.csv"])
    check_groups(prepare(pd.read_csv(a), source="a"))  # consistent: no error


def _boxes(*items):
    return {"rois": [{"id": i, "animal": a, "x": x, "y": 0, "w": 100, "h": 100} for i, a, x in items]}


def test_one_animal_id_on_two_boxes_of_the_same_video_is_refused():
    one = ScoredVideo.from_rois_dict("run 1", "sha-A", "day1.mp4", _boxes(("box1", "m1", 0), ("box2", "m2", 200)))
    swapped = ScoredVideo.from_rois_dict("run 2", "sha-A", "day1.mp4", _boxes(("box1", "m2", 0), ("box2", "m1", 200)))
    with pytest.raises(InputError, match=r"animal id 'm\d' names two different boxes in day1.mp4 \(run 1 and run 2"):
        check_animal_boxes([one, swapped])
    twice = ScoredVideo.from_rois_dict("run 3", "sha-B", "day2.mp4", _boxes(("box1", "m1", 0), ("box2", "m1", 200)))
    with pytest.raises(InputError, match="the same ROI set"):
        check_animal_boxes([twice])
    other_day = ScoredVideo.from_rois_dict("run 4", "sha-C", "day3.mp4", _boxes(("box1", "m2", 0), ("box2", "m1", 200)))
    check_animal_boxes([one, other_day])  # another video may place the animals elsewhere
    again = ScoredVideo.from_rois_dict("run 5", "sha-A", "day1.mp4", _boxes(("box1", "m1", 0), ("box2", "m2", 200)))
    with pytest.raises(InputError, match="same video .*twice"):
        check_animal_boxes([one, again])
    camera = ScoredVideo.from_rois_dict("webcam", "", "camera", None)
    check_animal_boxes([camera, camera])  # no video identity: nothing to compare


def test_human_column_names():
    assert human_name("mean_score_0_9") == "mean score (0-9)"
    assert human_name("mean_score_0_9_sd") == "mean score (0-9), SD over animals"
    assert human_name("n_animals") == "n animals" and human_name("unknown_col") == "unknown_col"
    assert list(human_columns(pd.DataFrame(columns=["animal", "frac_visible"])).columns) == [
        "animal", "fraction eye visible"]
