import json

import numpy as np
import pytest

from mgs_core.benchmark import bench_rois, run_one
from mgs_core.cli import main
from mgs_core.io.video import write_video
from mgs_core.models import OrbitalNet, UNet, save_checkpoint
from mgs_core.runners.local import LocalRunner


def clip(tmp_path, n=10):
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (540, 960, 3), dtype=np.uint8)
    return write_video(tmp_path / "c.mp4", (np.roll(base, i, axis=1) for i in range(n)), fps=30)


def test_bench_rois_layout_inside_frame():
    for n in (1, 2, 4, 8):
        rs = bench_rois(n, 1920, 1080)
        assert len(rs) == n and all(r.x + r.w <= 1920 and r.y + r.h <= 1080 for r in rs)


def test_run_one_reports_timings(tmp_path):
    runner = LocalRunner(UNet(widths=(4, 8), input_size=64), OrbitalNet(), backend="torch")
    row = run_one(clip(tmp_path), runner, 2, warmup=2)
    assert row.rois == 2 and row.frames == 8 and row.fps > 0 and row.roi_fps == pytest.approx(2 * row.fps, rel=0.02)
    assert 0 < row.p50_ms <= row.p95_ms and row.peak_rss_mb > 10


def test_cli_bench_json(tmp_path, capsys):
    out = tmp_path / "r.json"
    seg = save_checkpoint(UNet(widths=(4, 8), input_size=64), tmp_path / "seg.pt")
    score = save_checkpoint(OrbitalNet(), tmp_path / "score.pt")
    code = main(["bench", "--video", str(clip(tmp_path, 8)), "--rois", "1,2", "--backend", "torch", "--seg", str(seg),
                 "--score-model", str(score), "--max-frames", "2", "--no-tcmalloc", "--json", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "| ROIs | frames | frames/s |" in text and "960x540" in text
    rep = json.loads(out.read_text())
    assert [r["rois"] for r in rep["rows"]] == [1, 2] and rep["backend"] == "torch"
    assert main(["bench", "--rois", "1,x"]) == 2
