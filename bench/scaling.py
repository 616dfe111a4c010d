"""Scale-out benchmark (issue 13): `mgs score` on a Dask LocalCluster with 1 and 2 workers, 4 rendered videos.

    .venv/bin/python bench/scaling.py [--videos 4] [--seconds 4] [--workers 1,2] [--repeats 3] [--json out.json]

Renders the videos once (2 mice, 640x360, 30 fps), then per worker count starts a LocalCluster (models preloaded on
each worker by the plugin), scores all videos into a fresh folder and times the scoring (submit to last result; the
cluster's start is reported apart). Repeats and reports medians, the 2-vs-1 ratio, the per-worker rate in frames/s
the time a rerun needs to skip every finished input, and a paper estimate of hours of video per hour on N machines
like this one (N x this machine's best frames/s / fps: linear, assuming one task per video, at least as many videos
as workers, and a shared folder that keeps up).
"""
import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--videos", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json")
    args = ap.parse_args()

    from mgs_core.batch.cluster import dask_client, worker_threads
    from mgs_core.batch.inputs import build_tasks, discover_inputs
    from mgs_core.batch.models import ModelSpec
    from mgs_core.batch.run import run_batch
    from mgs_core.synth.video import make_video

    tmp = Path(tempfile.mkdtemp(prefix="mgs-scaling-"))
    try:
        vids = [make_video(tmp / "rec" / f"rec{i}.mp4", seconds=args.seconds, mice=2, seed=i, width=640, height=360,
                           fps=args.fps).video for i in range(args.videos)]
        rois = vids[0].with_name("rec0.rois.json")
        found = discover_inputs(vids)
        results = {}
        for n in [int(x) for x in args.workers.split(",")]:
            spec = ModelSpec(threads=worker_threads(n))
            t0 = time.perf_counter()
            with dask_client(workers=n, models=spec) as client:
                client.wait_for_workers(n, timeout=120)
                startup = time.perf_counter() - t0
                walls, skips, frames = [], [], 0
                for r in range(args.repeats):
                    out = tmp / f"out{n}_{r}"
                    tasks = build_tasks(found, out, spec, rois_file=rois)
                    t = time.perf_counter()
                    outcomes = run_batch(tasks, client=client)
                    walls.append(time.perf_counter() - t)
                    assert all(o.state == "done" for o in outcomes), [o.message for o in outcomes]
                    frames = sum(o.frames for o in outcomes)
                    t = time.perf_counter()
                    again = run_batch(build_tasks(found, out, spec, rois_file=rois), client=client)
                    skips.append((time.perf_counter() - t) / len(again))
                    assert all(o.state == "skipped" for o in again)
            wall = statistics.median(walls)
            results[n] = {"workers": n, "threads_per_worker": worker_threads(n), "startup_s": round(startup, 2),
                          "wall_s": [round(w, 2) for w in walls], "median_wall_s": round(wall, 2),
                          "frames": frames, "frames_per_s": round(frames / wall, 1),
                          "skip_s_per_input": round(statistics.median(skips), 3)}
            print(json.dumps(results[n]))
        ns = sorted(results)
        base = results[ns[0]]
        best = max(r["frames_per_s"] for r in results.values())  # this machine's best throughput
        machine_rate = best / args.fps  # hours of video per hour on one machine like this one
        summary = {"videos": args.videos, "seconds_each": args.seconds, "fps": args.fps, "size": "640x360, 2 ROIs",
                   "cpus": os.cpu_count(), "runs": list(results.values()),
                   "ratio": {f"{n}_vs_{ns[0]}": round(base["median_wall_s"] / results[n]["median_wall_s"], 2)
                             for n in ns[1:]},
                   "per_worker_frames_per_s": {n: round(r["frames_per_s"] / n, 1) for n, r in results.items()},
                   "machine_video_hours_per_hour": round(machine_rate, 3),
                   "estimate_video_hours_per_hour": {f"{m} machines": round(m * machine_rate, 2)
                                                     for m in (1, 4, 8, 16)}}
        print(json.dumps(summary, indent=1))
        if args.json:
            Path(args.json).write_text(json.dumps(summary, indent=1) + "\n")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
