"""Live soak (issue 12): a looping file scored "as fast as possible" for a bounded time; memory, rows, saves.

    .venv/bin/python bench/live_soak.py [--minutes 30] [--rois 4] [--json OUT.json]

Runs the Live page's own scorer (app_support.live_process.FileProcess: its own process, shipped weights, in-process
ONNX Runtime there, drawing and JPEG-encoding the view at most 10 times a second) on the sample video (1920x1080,
10 s, looped; ``--rois 8`` lays out 8 rack boxes) at speed "as fast as possible", while a stand-in for the page
thread does, 10 times a second, what the live view does per refresh: snapshot, the view's HTML (base64 of the two
JPEGs), and once a second the chart table.

Reported: frames scored, rows written (read back from disk after the run) vs rows scored, resident memory (RSS) of
the scoring process and of this (the page's) process after the first minute and at the end (growth), the longest
call on the page thread (which never saves: the scoring process writes the chunks) and the longest chunk write
there. Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def rss_mb(pid: int | str = "self") -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--rois", type=int, default=4)
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args(argv)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

    from app_support.live import chart_table, view_html
    from app_support.live_process import FileProcess, RunnerSpec
    from mgs_core.benchmark import bench_rois
    from mgs_core.io.rois import load_rois
    from mgs_core.io.series import load_series, open_series

    video = REPO / "sample_data" / "demo.mp4"
    roiset = load_rois(REPO / "sample_data" / "demo.rois.json") if a.rois == 4 else bench_rois(a.rois, 1920, 1080)
    tmp = Path(tempfile.mkdtemp(prefix="mgs-live-soak-"))
    load_before = os.getloadavg()
    worker = FileProcess(RunnerSpec(), video, roiset, tmp / "soak", {}, speed=None, loop=True).start()
    child = worker.process.pid
    while worker.running and worker.snapshot().stats.scored == 0:
        time.sleep(0.1)
    t0 = time.monotonic()
    page_ms, mem = [], []
    stop = threading.Event()

    def page_thread():
        last_chart = 0.0
        while not stop.is_set():
            t = time.perf_counter()
            view_html(worker.snapshot())
            if time.monotonic() - last_chart >= 1.0:
                chart_table(worker)
                last_chart = time.monotonic()
            page_ms.append((time.perf_counter() - t) * 1e3)
            stop.wait(0.1)

    pt = threading.Thread(target=page_thread, daemon=True)
    pt.start()
    end = t0 + a.minutes * 60
    next_mem = t0
    while time.monotonic() < end and worker.running:
        if time.monotonic() >= next_mem:
            mem.append((round(time.monotonic() - t0, 1), round(rss_mb(child), 1), round(rss_mb(), 1)))
            next_mem += 10
        time.sleep(0.5)
    stop.set()
    pt.join()
    mem.append((round(time.monotonic() - t0, 1), round(rss_mb(child), 1), round(rss_mb(), 1)))
    worker.stop()
    worker.join(600)
    wall = time.monotonic() - t0
    snap = worker.snapshot()
    info = open_series(tmp / "soak")
    rows_on_disk = len(load_series(tmp / "soak"))
    after_1min = next((m for m in mem if m[0] >= 60), mem[0])
    run = info.provenance["run"]
    res = {"minutes": round(wall / 60, 2), "rois": a.rois, "frames_scored": snap.stats.scored,
           "frames_per_s": round(snap.stats.scored / wall, 1), "passes": snap.stats.passes,
           "rows_scored": snap.stats.scored * len(roiset), "rows_on_disk": rows_on_disk,
           "scorer_rss_mb_start": mem[0][1], "scorer_rss_mb_after_1_min": after_1min[1],
           "scorer_rss_mb_end": mem[-1][1], "scorer_rss_growth_mb_after_1_min": round(mem[-1][1] - after_1min[1], 1),
           "page_rss_mb_after_1_min": after_1min[2], "page_rss_mb_end": mem[-1][2],
           "page_rss_growth_mb_after_1_min": round(mem[-1][2] - after_1min[2], 1),
           "page_thread_ms_max": round(max(page_ms), 1), "page_thread_ms_median": round(statistics.median(page_ms), 1),
           "chunk_write_ms_max": run["chunk_write_ms_max"], "chunk_write_ms_median": run["chunk_write_ms_p50"],
           "state": snap.state, "loadavg_before": [round(x, 2) for x in load_before],
           "loadavg_after": [round(x, 2) for x in os.getloadavg()], "memory_samples": mem}
    for k, v in res.items():
        if k != "memory_samples":
            print(f"{k:28s} {v}")
    if a.json:
        a.json.write_text(json.dumps(res, indent=1) + "\n")
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
