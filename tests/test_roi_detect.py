import glob
from pathlib import Path

import numpy as np
import pytest

from mgs_core.cli import main
from mgs_core.io.rois import load_rois
from mgs_core.io.video import read_frame, write_video
from mgs_core.roi_detect import propose_rois
from mgs_core.synth.render import render_rack

REAL = Path(__file__).resolve().parents[2] / "shared" / "real"


def iou(a, b):
    x0, y0 = max(a.x, b.x), max(a.y, b.y)
    x1, y1 = min(a.x + a.w, b.x + b.w), min(a.y + a.h, b.y + b.h)
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    return inter / (a.w * a.h + b.w * b.h - inter)


@pytest.mark.parametrize("k,seed", [(1, 5), (3, 7), (4, 14), (8, 3)])
def test_one_box_roi_per_mouse_on_rendered_racks(k, seed):
    fr = render_rack(1280, 720, k, seed)
    got = propose_rois(fr.image)
    assert (got.frame_width, got.frame_height) == (1280, 720)
    assert [r.id for r in got] == [f"box{i + 1}" for i in range(k)]
    truth = [m.roi for m in fr.mice]  # the renderer lists boxes in reading order
    assert len(got) == len(truth)
    for t, g in zip(truth, got):
        assert iou(t, g) > 0.8, (t, g)


def test_blank_frames_give_empty_sets():
    assert len(propose_rois(np.full((200, 300, 3), (200, 30, 30), np.uint8))) == 0
    assert len(propose_rois(np.zeros((200, 300, 3), np.uint8))) == 0
    assert len(propose_rois(np.zeros((200, 300), np.uint8))) == 0


def test_mouse_without_box_gets_square_inside_frame():
    img = np.full((240, 320, 3), 235, np.uint8)
    img[150:230, 250:318] = 10  # a dark animal near the bottom-right corner, no box
    got = propose_rois(img)
    assert len(got) == 1
    r = got.rois[0]
    assert r.w == r.h and r.x + r.w <= 320 and r.y + r.h <= 240 and r.x <= 250 and r.y <= 150


def test_cli_propose(tmp_path, capsys):
    fr = render_rack(960, 540, 2, 11)
    vid = write_video(tmp_path / "rack.mp4", [fr.image] * 3, fps=10)
    assert main(["rois", "propose", str(vid), "--out", str(tmp_path / "r.json"), "--frame", "1"]) == 0
    rs = load_rois(tmp_path / "r.json")
    assert len(rs) == 2 and (rs.frame_width, rs.frame_height) == (960, 540)
    blank = write_video(tmp_path / "blank.mp4", [np.full((64, 64, 3), 200, np.uint8)] * 2, fps=10)
    assert main(["rois", "propose", str(blank), "--out", str(tmp_path / "b.json")]) == 2
    assert "no dark animal" in capsys.readouterr().err
    assert main(["rois", "propose", str(vid), "--out", str(tmp_path / "c.json"), "--frame", "50"]) == 2
    assert "no frame 50" in capsys.readouterr().err


@pytest.mark.real
@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/real is absent")
def test_does_not_crash_on_real_footage():
    files = sorted(glob.glob(str(REAL / "*" / "*.png")))[:6] + sorted(glob.glob(str(REAL / "*" / "*.mp4")))
    assert files
    for f in files:
        img = read_frame(f, 0)
        rs = propose_rois(img)
        for r in rs:
            assert 0 <= r.x and 0 <= r.y and r.x + r.w <= img.shape[1] and r.y + r.h <= img.shape[0]
