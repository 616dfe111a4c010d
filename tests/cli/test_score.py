import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
import torch

from mgs_core.cli import main
from mgs_core.io.rois import save_rois
from mgs_core.io.video import write_video
from mgs_core.models import OrbitalNet, UNet, save_checkpoint
from mgs_core.runners.local import LocalRunner
from mgs_core.scoring import score_video
from mgs_core.types import Roi, RoiSet

ROOT = Path(__file__).resolve().parents[2]
ROIS = RoiSet((Roi("box1", 0, 0, 160, 240, "m1"), Roi("box2", 160, 0, 160, 240, "m2")), 320, 240)


def scene(n):
    for i in range(n):
        img = np.full((240, 320, 3), (180, 30, 30), np.uint8)
        cv2.circle(img, (60 + i % 80, 120), 30, (10, 10, 10), -1)
        cv2.circle(img, (240, 60 + i % 100), 25, (20, 20, 20), -1)
        yield img


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    torch.manual_seed(0)
    save_checkpoint(UNet(widths=(4, 8), input_size=64), d / "seg.pt")
    save_checkpoint(OrbitalNet(), d / "score.pt")
    write_video(d / "clip.mp4", scene(60), fps=30)
    save_rois(ROIS, d / "rois.json")
    return d


def args(d, out, *extra):
    return ["score", str(d / "clip.mp4"), "--rois", str(d / "rois.json"), "--out", str(out), "--seg", str(d / "seg.pt"),
            "--score-model", str(d / "score.pt"), "--backend", "torch", "--chunk", "5", *extra]


def run_cli(argv, **kw):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "mgs_core.cli", *argv], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


@pytest.mark.slow
def test_resume_after_sigkill_equals_uninterrupted(setup, tmp_path):
    out = tmp_path / "killed"
    proc = run_cli(args(setup, out))
    partial = out / ".clip.partial"
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        if list(partial.glob("chunk_*.parquet")):
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the run finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "clip.csv").exists()
    done = sorted(partial.glob("chunk_*.parquet"))
    assert done
    again = run_cli(args(setup, out))
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert "resuming" in err
    # the uninterrupted reference, in this process (same models, backend and thread count)
    runner = LocalRunner.from_checkpoints(setup / "seg.pt", setup / "score.pt", device="cpu", backend="torch")
    ref = score_video(setup / "clip.mp4", ROIS, runner, tmp_path / "ref", chunk_frames=5)
    assert (out / "clip.csv").read_bytes() == ref.csv.read_bytes()
    pd.testing.assert_frame_equal(pd.read_parquet(out / "clip.parquet"), pd.read_parquet(ref.parquet))
    prov = json.loads((out / "clip.json").read_text())
    assert prov["run"]["frames_resumed"] >= 5 and prov["run"]["frames_scored"] == 60
    assert not partial.exists()


def test_cli_bad_input_is_one_line_error(setup, tmp_path, capsys):
    other = RoiSet((Roi("cage", 0, 0, 600, 400),), 1920, 1080)
    save_rois(other, tmp_path / "big.json")
    argv = args(setup, tmp_path / "o")
    argv[argv.index("--rois") + 1] = str(tmp_path / "big.json")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "1920x1080" in err and "Traceback" not in err
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": 1, "frame_width": 320, "frame_height": 240,
                               "rois": [{"id": "edge", "x": 300, "y": 0, "w": 100, "h": 50}]}))
    argv[argv.index("--rois") + 1] = str(bad)
    assert main(argv) == 2
    assert "'edge'" in capsys.readouterr().err
    (tmp_path / "x.txt").write_text("hello")
    # an unreadable input fails as its own task: one message, a failed row in the table, exit code 1
    assert main(["score", str(tmp_path / "x.txt"), "--out", str(tmp_path / "o")]) == 1
    cap = capsys.readouterr()
    assert "error: x.txt: " in cap.err and "not a video or image" in cap.err and "Traceback" not in cap.err
    assert "x.txt  failed" in cap.out and not list((tmp_path / "o").glob("x.*"))
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    assert main(args(setup, blocker / "sub")) == 2
    assert "not writable" in capsys.readouterr().err


def test_cli_scores_image_without_rois(setup, tmp_path, capsys):
    img = next(scene(1))
    cv2.imwrite(str(tmp_path / "a.png"), img[..., ::-1])
    code = main(["score", str(tmp_path / "a.png"), "--out", str(tmp_path / "o"), "--seg", str(setup / "seg.pt"),
                 "--score-model", str(setup / "score.pt"), "--backend", "torch", "--quiet"])
    assert code == 0
    lines = (tmp_path / "o" / "a.csv").read_text().splitlines()
    assert lines[0] == "frame,time_s,roi,animal,group,eye_visible,eye_x,eye_y,score,status,eye_length,scorability" and len(lines) == 2
    assert lines[1].startswith("0,0.0,frame,animal1,")
    assert "1 frames, 1 rows" in capsys.readouterr().out


def test_whole_frame_without_an_eye_warns_in_the_summary(setup, tmp_path, capsys):
    """No --rois: the whole frame is one ROI; the untrained U-Net finds no eye in it, and the run says so."""
    argv = ["score", str(setup / "clip.mp4"), "--out", str(tmp_path / "o"), "--seg", str(setup / "seg.pt"),
            "--score-model", str(setup / "score.pt"), "--backend", "torch", "--max-frames", "6", "--quiet"]
    assert main(argv) == 0
    table = pd.read_csv(tmp_path / "o" / "clip.csv")
    assert (table["roi"] == "frame").all() and table["eye_visible"].mean() < 0.5
    err = capsys.readouterr().err
    assert "warning: clip.mp4 was scored with the whole frame as one ROI" in err
    assert "Regions of interest" in err
    assert main(args(setup, tmp_path / "r", "--max-frames", "6", "--quiet")) == 0  # with an ROI file: no warning
    assert "whole frame" not in capsys.readouterr().err
