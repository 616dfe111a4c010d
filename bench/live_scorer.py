"""Live file scorer without the browser (issue 12): the thread worker vs the scoring process, at 1x and flat out.

    .venv/bin/python bench/live_scorer.py [--rois 4] [--seconds 20] [--modes thread,process,process+page]
                                          [--speeds 1,max] [--json OUT.json]

On the sample video (1920x1080, 30 frames/s, 10 s, looped; ``--rois 8``: the renderer's rack layout as in
bench/throughput.py), shipped weights, in-process ONNX Runtime:

- ``thread``: ``app_support.live_worker.FileWorker`` in this process (the runner loaded here), nothing else;
- ``process``: ``app_support.live_process.FileProcess`` (the Live page's scorer: its own process, drawing and
  JPEG-encoding the view at most 10 times a second), nothing reading it but the snapshots below;
- ``process+page``: the same with a stand-in for the page in this process, 10 times a second: snapshot, base64 of
  the two JPEGs into the view's HTML, and once a second the chart table.

For each mode and speed, after 3 s of warm-up (the child's start-up is not counted): scored frames/s (from the
worker's own count), dropped frames, CPU of this process and of the child per scored frame, and the worker-side
latency (frame taken from the decoder -> result ready, p50/p95). Prints a table; asserts nothing. The machine is
shared: the load average is printed with every row.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def cpu_s(pid: int | None = None) -> float:
    path = f"/proc/{pid}/stat" if pid else "/proc/self/stat"
    try:
        f = Path(path).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def measure(mode: str, speed: float | None, roiset, seconds: float, tmp: Path) -> dict:
    from app_support.live import chart_table, view_html
    from app_support.live_process import FileProcess, RunnerSpec
    from app_support.live_worker import FileWorker
    from mgs_core.runners import load_runner

    video = REPO / "sample_data" / "demo.mp4"
    folder = tmp / f"{mode}_{speed}".replace("+", "_")
    if mode == "thread":
        runner = load_runner()
        runner.warmup()
        w = FileWorker(runner, video, roiset, folder, {}, speed=speed, loop=True).start()
        child = None
    else:
        w = FileProcess(RunnerSpec(), video, roiset, folder, {}, speed=speed, loop=True).start()
        child = w.process.pid
    while w.snapshot().stats.scored < 5 and w.running:
        time.sleep(0.1)
    time.sleep(3.0)
    stop = threading.Event()
    page_ms: list[float] = []

    def page():
        last_chart = 0.0
        while not stop.is_set():
            t = time.perf_counter()
            view_html(w.snapshot())
            if time.monotonic() - last_chart >= 1.0:
                chart_table(w)
                last_chart = time.monotonic()
            page_ms.append((time.perf_counter() - t) * 1e3)
            stop.wait(0.1)

    th = threading.Thread(target=page, daemon=True)
    load = os.getloadavg()[0]
    s0, t0, c0, k0 = w.snapshot().stats, time.monotonic(), cpu_s(), cpu_s(child)
    if mode == "process+page":
        th.start()
    time.sleep(seconds)
    s1, t1, c1, k1 = w.snapshot().stats, time.monotonic(), cpu_s(), cpu_s(child)
    stop.set()
    if th.is_alive():
        th.join()
    w.stop()
    w.join(120)
    n = max(1, s1.scored - s0.scored)
    return {"mode": mode, "speed": "max" if speed is None else speed, "rois": len(roiset),
            "scored_fps": round((s1.scored - s0.scored) / (t1 - t0), 1), "dropped": s1.dropped - s0.dropped,
            "cpu_ms_per_frame_this_process": round(1e3 * (c1 - c0) / n, 1),
            "cpu_ms_per_frame_child": round(1e3 * (k1 - k0) / n, 1) if child else 0.0,
            "latency_ms_p50": round(s1.score_ms_p50, 1), "latency_ms_p95": round(s1.score_ms_p95, 1),
            "page_ms_median": round(sorted(page_ms)[len(page_ms) // 2], 2) if page_ms else None,
            "loadavg": round(load, 2)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rois", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--modes", default="thread,process,process+page")
    ap.add_argument("--speeds", default="1,max")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args(argv)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from mgs_core.benchmark import bench_rois
    from mgs_core.io.rois import load_rois

    roiset = load_rois(REPO / "sample_data" / "demo.rois.json") if a.rois == 4 else bench_rois(a.rois, 1920, 1080)
    tmp = Path(tempfile.mkdtemp(prefix="mgs-live-scorer-"))
    rows = []
    for mode in a.modes.split(","):
        for sp in a.speeds.split(","):
            res = measure(mode, None if sp == "max" else float(sp), roiset, a.seconds, tmp)
            rows.append(res)
            print("  ".join(f"{k}={v}" for k, v in res.items()), flush=True)
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1) + "\n")
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
