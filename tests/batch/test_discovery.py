import shutil

import pytest

from mgs_core.batch.inputs import build_tasks, discover_inputs
from mgs_core.batch.models import ModelSpec
from mgs_core.errors import InputError, RoiError
from mgs_core.io.rois import save_rois
from mgs_core.types import Roi, RoiSet

from conftest import render


def test_files_folders_and_globs(videos, tmp_path):
    tree = tmp_path / "rec"
    (tree / "box1").mkdir(parents=True)
    (tree / "box2" / ".hidden").mkdir(parents=True)
    shutil.copy(videos[0], tree / "box1" / "day1.mp4")
    shutil.copy(videos[1], tree / "box2" / "day1.MP4")
    shutil.copy(videos[2], tree / "box2" / ".hidden" / "skip.mp4")
    (tree / "box1" / "notes.txt").write_text("not a video")
    (tree / "box1" / "day1.annotated.mp4").write_bytes(b"ours")
    found = discover_inputs([tree])
    assert [(f.path.relative_to(tree).as_posix(), f.rel_dir.as_posix()) for f in found] == [
        ("box1/day1.mp4", "box1"), ("box2/day1.MP4", "box2")]
    # a glob, a named file (any extension, taken as it is) and duplicates once
    found = discover_inputs([str(tree / "**" / "*.mp4"), tree / "box1" / "notes.txt", tree / "box1" / "day1.mp4"])
    assert [f.path.name for f in found] == ["day1.mp4", "notes.txt"]
    assert all(f.rel_dir.as_posix() == "." for f in found)
    # results of a folder scored into itself are never inputs
    out = tree / "box1" / "scores"
    out.mkdir()
    shutil.copy(videos[2], out / "x.mp4")
    assert [f.path.name for f in discover_inputs([tree], exclude=out)] == ["day1.mp4", "day1.MP4"]


def test_empty_folder_and_unmatched_glob_name_themselves(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("no videos here")
    with pytest.raises(InputError, match=r"folder .*empty holds no videos"):
        discover_inputs([tmp_path / "empty"])
    with pytest.raises(InputError, match=r"nope\*\.mp4 matches no files"):
        discover_inputs([str(tmp_path / "nope*.mp4")])


def test_tasks_mirror_subfolders_and_refuse_collisions(videos, tmp_path):
    spec = ModelSpec()
    tree = tmp_path / "rec"
    for box in ("box1", "box2"):
        (tree / box).mkdir(parents=True)
        shutil.copy(videos[0], tree / box / "day1.mp4")
    tasks = build_tasks(discover_inputs([tree]), tmp_path / "out", spec)
    assert [t.out_dir for t in tasks] == [tmp_path / "out" / "box1", tmp_path / "out" / "box2"]
    assert len({t.key for t in tasks}) == 2 and all(t.expected_frames == 20 for t in tasks)
    with pytest.raises(InputError, match="would both write"):
        build_tasks(discover_inputs([tree / "box1" / "day1.mp4", tree / "box2" / "day1.mp4"]), tmp_path / "o", spec)


def test_one_roi_file_for_mixed_frame_sizes_fails_before_anything(videos, tmp_path):
    big = render(tmp_path, 1, seconds=0.2, width=480, height=360, first_seed=7)[0]
    rois = videos[0].with_name("rec0.rois.json")
    with pytest.raises(RoiError) as err:
        build_tasks(discover_inputs([videos[0], big, videos[1]]), tmp_path / "out", ModelSpec(), rois_file=rois)
    msg = str(err.value)
    assert "rec0.rois.json is for 320x240 frames" in msg and "rec7.mp4 (480x360)" in msg and "nothing was started" in msg
    assert not (tmp_path / "out").exists()
    # an ROI outside the (right-sized) frame is also caught up front, naming the ROI
    bad = save_rois(RoiSet((Roi("edge", 300, 0, 100, 50),), 320, 240), tmp_path / "bad.json")
    with pytest.raises(RoiError, match="'edge'"):
        build_tasks(discover_inputs([videos[0]]), tmp_path / "out", ModelSpec(), rois_file=bad)
    # an unreadable input is kept: its own task reports it
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video")
    tasks = build_tasks(discover_inputs([videos[0], junk]), tmp_path / "out", ModelSpec(), rois_file=rois)
    assert [t.input.name for t in tasks] == ["rec0.mp4", "junk.mp4"] and tasks[1].expected_frames == 0


def test_an_roi_file_for_another_size_is_a_size_mismatch_even_when_its_boxes_exceed_its_own_frame(videos, tmp_path):
    """A 320x240 video and a file saying 160x120 whose boxes were drawn for 320x240: the size, not 'outside'."""
    import json

    path = tmp_path / "small.rois.json"
    path.write_text(json.dumps({"format": "mgs-live-rois", "version": 1, "frame_width": 160, "frame_height": 120,
                                "rois": [{"id": "box1", "x": 150, "y": 0, "w": 160, "h": 240}]}))
    with pytest.raises(RoiError) as exc:
        build_tasks(discover_inputs([videos[0]]), tmp_path / "out", ModelSpec(), rois_file=path)
    assert "small.rois.json is for 160x120 frames but the video is 320x240" in str(exc.value)
    assert "outside" not in str(exc.value)
