"""Renderer throughput: dataset crops/s (1 process and the parallel dataset writer) and 1080p video frames/s.

Usage: .venv/bin/python bench/synth_speed.py [--items 200] [--workers 2] [--seconds 3] [--json OUT]
Prints one line per measurement. Crops are 256x256 items of `mgs synth dataset` (render + crop + label crop; the
writer figure includes PNG encoding and labels.csv). Video: 1920x1080, 4 mice, 30 fps, H.264 (libx264 veryfast,
crf 26) including encoding; the render-only figure leaves out encoding.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--json")
    args = ap.parse_args()

    from mgs_core.synth.dataset import make_dataset, render_item
    from mgs_core.synth.mouse import TextureCache
    from mgs_core.synth.render import render_rack
    from mgs_core.synth.video import make_video

    out = {}
    cache = TextureCache()
    render_item(0, 0, cache=cache)
    t = time.perf_counter()
    for i in range(args.items):
        render_item(0, i, cache=cache)
    out["render_item_per_s_1proc"] = args.items / (time.perf_counter() - t)
    with tempfile.TemporaryDirectory() as d:
        for w in sorted({1, args.workers}):
            t = time.perf_counter()
            make_dataset(Path(d) / f"w{w}", args.items, seed=0, workers=w)
            out[f"dataset_items_per_s_workers{w}"] = args.items / (time.perf_counter() - t)
        n_frames = 20
        t = time.perf_counter()
        for i in range(n_frames):
            render_rack(1920, 1080, 4, seed=i)
        out["rack_frame_render_per_s"] = n_frames / (time.perf_counter() - t)
        t = time.perf_counter()
        v = make_video(Path(d) / "v.mp4", seconds=args.seconds, mice=4, seed=0)
        out["video_frames_per_s_with_encoding"] = v.frames / (time.perf_counter() - t)
    for k, val in out.items():
        print(f"{k}: {val:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
