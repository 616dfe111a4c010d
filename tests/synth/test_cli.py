"""`mgs synth ...` in-process: outputs on good input, one error line and exit 2 on bad input."""
import csv
import json

import pytest

from mgs_core.cli import main


@pytest.mark.parametrize("argv,needle", [
    (["synth", "dataset", "--out", "{tmp}/d", "--n", "-3", "--seed", "1"], "--n"),
    (["synth", "dataset", "--out", "{tmp}/d", "--n", "2", "--seed", "1", "--size", "0"], "--size"),
    (["synth", "dataset", "--out", "{tmp}/d", "--n", "2", "--seed", "1", "--workers", "0"], "--workers"),
    (["synth", "video", "--out", "{tmp}/v.mp4", "--seconds", "1", "--mice", "9", "--seed", "1"], "at most"),
    (["synth", "video", "--out", "{tmp}/v.mp4", "--seconds", "1", "--mice", "4", "--seed", "1",
      "--width", "320", "--height", "240"], "at most"),
    (["synth", "video", "--out", "{tmp}/v.mp4", "--seconds", "-1", "--mice", "2", "--seed", "1"], "--seconds"),
    (["synth", "video", "--out", "{tmp}/v.mp4", "--seconds", "1", "--mice", "2", "--seed", "1",
      "--width", "-640"], "--width"),
    (["synth", "video", "--out", "/proc/nope/v.mp4", "--seconds", "1", "--mice", "2", "--seed", "1"], "cannot write"),
    (["synth", "dataset", "--out", "/proc/nope/d", "--n", "2", "--seed", "1"], "cannot create"),
])
def test_bad_input_one_error_line(tmp_path, capsys, argv, needle):
    code = main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("error:") and needle in err[0]
    assert "Traceback" not in err[0]


def test_dataset_command(tmp_path, capsys):
    assert main(["synth", "dataset", "--out", str(tmp_path / "d"), "--n", "3", "--seed", "4", "--workers", "1"]) == 0
    assert "3/3" in capsys.readouterr().err
    with open(tmp_path / "d" / "labels.csv", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 3


def test_video_command_small(tmp_path, capsys):
    out = tmp_path / "clip.mp4"
    assert main(["synth", "video", "--out", str(out), "--seconds", "0.4", "--mice", "2", "--seed", "7",
                 "--width", "640", "--height", "360", "--fps", "10"]) == 0
    rois = json.loads((tmp_path / "clip.rois.json").read_text())
    assert [r["id"] for r in rois["rois"]] == ["box1", "box2"]
    assert {r["group"] for r in rois["rois"]} == {"vehicle", "analgesic"}
    with open(tmp_path / "clip.truth.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 4 * 2 and list(rows[0]) == ["frame", "time_s", "roi", "animal", "group", "eye_visible",
                                                    "eye_x", "eye_y", "score"]
    assert out.stat().st_size > 0


def test_dataset_kinds_option(tmp_path, capsys):
    assert main(["synth", "dataset", "--out", str(tmp_path / "d"), "--n", "4", "--seed", "4", "--workers", "1",
                 "--kinds", "closeup,headfixed"]) == 0
    with open(tmp_path / "d" / "labels.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["kind"] for r in rows} <= {"closeup", "headfixed"}
    assert {"eye_length", "eye_angle", "kind", "hidden", "greyscale", "exposure", "background", "seed", "index"} <= set(rows[0])
    capsys.readouterr()
    assert main(["synth", "dataset", "--out", str(tmp_path / "e"), "--n", "2", "--seed", "4", "--kinds", "aquarium"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "--kinds" in err[0]
