"""How long a seek takes in a long 1080p file (issue 12): decoder alone, and the file scorer from the seek to the
first new result in the page process.

    .venv/bin/python bench/live_seek.py [--minutes 10] [--targets 30,300,590] [--json OUT.json]

The long file is the sample video (1920x1080, 30 frames/s, 10 s, key frames at 0 and 8.3 s) remuxed ``--minutes`` x 6
times end to end without re-encoding (timestamps shifted), so it has the sample's pictures and key-frame spacing.

- *decoder*: ``open_video(path, start=frame)`` until the first frame comes out (also checks it is that frame).
- *scorer*: a :class:`~app_support.live_process.FileProcess` with the shipped networks and the sample's 4 ROIs plays
  the file at 1x; for each target time ``seek(t)`` is called as the Go button does, and the time until the page
  process holds a result for a frame at or after the target is taken, with the frame it landed on (a click in the
  browser adds the page's rerun and the display latency measured by bench/live_page.py).
Prints a table; ``--json`` also writes the figures. Never asserts anything.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def make_long(src: Path, out: Path, copies: int) -> Path:
    """``src`` ``copies`` times end to end in one file, packets copied (no re-encoding), timestamps shifted."""
    import av

    inp = av.open(str(src))
    ist = inp.streams.video[0]
    packets = [p for p in inp.demux(ist) if p.size]
    step = ist.duration or (max(p.pts for p in packets) + packets[1].pts - packets[0].pts)
    outc = av.open(str(out), "w")
    ost = outc.add_stream_from_template(ist)
    for i in range(copies):
        for p in packets:
            q = av.Packet(bytes(p))
            q.pts, q.dts = p.pts + i * step, p.dts + i * step
            q.is_keyframe, q.time_base, q.stream = p.is_keyframe, p.time_base, ost
            outc.mux(q)
    outc.close()
    inp.close()
    return out


def decoder_seek(path: Path, frame: int) -> tuple[float, int]:
    from mgs_core.io.video import open_video

    t0 = time.perf_counter()
    with open_video(path, start=frame, max_frames=1, threaded=False) as src:
        got = next(iter(src)).index
    return time.perf_counter() - t0, got


def scorer_seeks(path: Path, rois: Path, targets: list[float], fps: float) -> list[dict]:
    from app_support.live_process import FileProcess, RunnerSpec
    from mgs_core.io.rois import load_rois

    tmp = Path(tempfile.mkdtemp(prefix="mgs-seek-"))
    p = FileProcess(RunnerSpec(), path, load_rois(rois), tmp / "series", {}, speed=1.0, loop=True).start()
    out = []
    try:
        end = time.monotonic() + 120
        while p.snapshot().result is None and time.monotonic() < end:
            time.sleep(0.01)
        time.sleep(2.0)
        for t in targets:
            frame = int(round(t * fps))
            t0 = time.perf_counter()
            p.seek(t)
            landed, end = None, time.monotonic() + 300
            while time.monotonic() < end:
                r = p.snapshot().result
                if r is not None and frame <= r.frame < frame + 10 * fps:
                    landed = r.frame
                    break
                time.sleep(0.002)
            out.append({"target_s": t, "target_frame": frame, "seconds": round(time.perf_counter() - t0, 3),
                        "landed_frame": landed})
            time.sleep(2.0)
    finally:
        p.stop()
        p.join(60)
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--targets", default="30,300,590", help="seconds into the long file")
    ap.add_argument("--no-scorer", action="store_true", help="decoder figures only")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args(argv)
    from mgs_core.io.video import probe_video

    tmp = Path(tempfile.mkdtemp(prefix="mgs-long-"))
    try:
        long = make_long(REPO / "sample_data" / "demo.mp4", tmp / "long.mp4", max(1, round(a.minutes * 6)))
        info = probe_video(long)
        targets = [float(x) for x in a.targets.split(",")]
        load0 = os.getloadavg()
        dec = []
        for t in targets:
            s, got = decoder_seek(long, int(round(t * info.fps)))
            dec.append({"target_s": t, "target_frame": int(round(t * info.fps)), "seconds": round(s, 3),
                        "landed_frame": got})
        sc = [] if a.no_scorer else scorer_seeks(long, REPO / "sample_data" / "demo.rois.json", targets, info.fps)
        res = {"file": {"width": info.width, "height": info.height, "fps": info.fps, "frames": info.n_frames,
                        "duration_s": round(info.duration_s, 1)}, "decoder": dec, "scorer": sc,
               "loadavg_before": [round(x, 2) for x in load0], "loadavg_after": [round(x, 2) for x in os.getloadavg()]}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    f = res["file"]
    print(f"{f['width']}x{f['height']}, {f['fps']:.0f} frames/s, {f['duration_s']} s ({f['frames']} frames); load "
          f"average {res['loadavg_before'][0]} before, {res['loadavg_after'][0]} after")
    for name in ("decoder", "scorer"):
        for r in res[name]:
            print(f"  {name:8s} seek to {r['target_s']:6.1f} s (frame {r['target_frame']:6d}): {r['seconds']:7.3f} s, "
                  f"landed on frame {r['landed_frame']}")
    if a.json:
        a.json.write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
