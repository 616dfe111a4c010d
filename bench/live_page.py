"""Live page in real headless Chromium (issue 12): scored frames/s, display frames/s, dropped frames, latency.

    .venv/bin/python bench/live_page.py [--source file|camera] [--rois 4] [--seconds 60] [--json OUT.json]

Starts the app (`streamlit run app.py`, the repository's .streamlit/config.toml) on a temporary data folder and
drives the Live page with Debian's Chromium through Playwright, on the same machine:

- ``--source file``: the sample video (1920x1080, 30 frames/s, 10 s, looped) at 1x with its 4 ROIs
  (``--rois 8``: 8 boxes laid out like the renderer's rack, as in bench/throughput.py);
- ``--source camera``: Chromium's fake camera playing a 640x480 30 frames/s Y4M made from the sample video, 1 ROI.

After ``--warmup`` seconds it samples for ``--seconds``: every second the page's own "Scored frames / s" metric,
and at the start and end the rows on disk in the live series (the truth: rows / ROIs = frames scored; chunks are
written every 2 s, so only the mean over the window is reported from disk). In the browser a MutationObserver
notes when each new result's decode stamp (a hidden element the page writes with every new result) reaches the
DOM, so the display rate and the latency (frame decoded -> result in the browser's DOM, same clock) are measured
where the user sees them. The CPU time of the server process (the page), of the file scorer's own process (a child of
the server) and of Chromium over the window is reported too (the machine is shared: a figure far below the target with
little CPU used means the run was starved); CPU per scored frame counts server + scorer, CPU per refresh the server
process alone per new result shown. Prints a table; ``--json`` also writes the raw figures. Never asserts anything.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        "--autoplay-policy=no-user-gesture-required"]

OBSERVER = """() => {
  window.__mgs = [];
  let last = null;
  const check = () => {
    const el = document.querySelector('.mgs-live-stamp');
    if (!el) return;
    const v = el.textContent.trim();
    if (v && v !== last) {
      last = v;
      const d = el.dataset;
      window.__mgs.push([Date.now(), Number(v), Number(d.scored || 0), Number(d.sent || 0), Number(d.received || 0),
                         Number(d.rendered || 0)]);
    }
  };
  new MutationObserver(check).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""
METRIC = """(label) => {
  for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
    const l = m.querySelector('[data-testid="stMetricLabel"]');
    const v = m.querySelector('[data-testid="stMetricValue"]');
    if (l && v && l.textContent.trim() === label) return v.textContent.trim();
  }
  return null;
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_y4m(video: Path, out: Path, width: int = 640, height: int = 480, frames: int = 150) -> Path:
    import av
    import cv2

    from mgs_core.io.video import open_video

    container = av.open(str(out), "w", format="yuv4mpegpipe")
    stream = container.add_stream("rawvideo", rate=30)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    with open_video(video, max_frames=frames) as src:
        for vf in src:
            img = cv2.resize(vf.image, (width, height), interpolation=cv2.INTER_AREA)
            for p in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                container.mux(p)
    for p in stream.encode():
        container.mux(p)
    container.close()
    return out


def prepare_data(tmp: Path, n_rois: int) -> Path:
    from mgs_core.benchmark import bench_rois
    from mgs_core.io.rois import save_rois

    data = tmp / "data"
    data.mkdir()
    shutil.copy(REPO / "sample_data" / "demo.mp4", data / "demo.mp4")
    if n_rois == 4:
        shutil.copy(REPO / "sample_data" / "demo.rois.json", data / "demo.rois.json")
    else:
        save_rois(bench_rois(n_rois, 1920, 1080), data / "demo.rois.json")
    return data


def start_server(data: Path, work: Path, log: Path):
    port = free_port()
    env = dict(os.environ, MGS_DATA_DIR=str(data), MGS_WORK_DIR=str(work), MGS_WORKSPACE=str(workspaces(work)),
               OMP_WAIT_POLICY="PASSIVE")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.headless",
                             "true", "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=open(log, "w"))
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=1).read() == b"ok":
                return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("streamlit did not become healthy")


def workspaces(work: Path) -> Path:
    """Where the app's workspaces go in this run (the live series are in ``default/live``)."""
    return work.parent / "workspaces"


def series_rows(work: Path) -> int:
    from mgs_core.io.series import list_series

    return sum(s.rows for s in list_series(workspaces(work) / "default" / "live"))


def cpu_seconds(pids) -> float:
    """utime + stime of the given processes (seconds); processes that are gone count 0."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            continue
    return total


def child_pids(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (the server's file-scoring process, from /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return out


def chromium_pids(before: set[int]) -> list[int]:
    """Chromium processes that did not exist before the browser was launched (from /proc, no extra package)."""
    out = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            pid = int(comm.parent.name)
            if pid not in before and comm.read_text().startswith("chrom"):
                out.append(pid)
        except (OSError, ValueError):
            continue
    return out


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


STEPS = (("decoded -> scored", 1, 2), ("scored -> sent (drawn, encoded)", 2, 3), ("sent -> received (pipe)", 3, 4),
         ("received -> rendered (page refresh)", 4, 5), ("scored -> rendered (all server steps)", 2, 5),
         ("rendered -> DOM (browser)", 5, 0),
         ("decoded -> DOM (total)", 1, 0))


def breakdown(marks) -> dict:
    """p50/p95 (ms) of each step of a result's way from the decoder to the browser's DOM, from the stamps the page
    writes with every result (a step whose stamps are missing, e.g. the pipe for the camera thread, is left out)."""
    out = {}
    for name, a, b in STEPS:
        d = [m[b] - m[a] for m in marks if m[a] > 0 and m[b] > 0]
        if d:
            out[name] = {"p50": round(pct(d, 0.5), 1), "p95": round(pct(d, 0.95), 1), "mean": round(sum(d) / len(d), 1)}
    return out


def run(source: str, n_rois: int, seconds: float, warmup: float, shots: Path | None) -> dict:
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="mgs-live-bench-"))
    data = prepare_data(tmp, 1 if source == "camera" else n_rois)
    work = tmp / "work"
    args = list(ARGS)
    if source == "camera":
        n_rois = 1
        args.append(f"--use-file-for-fake-video-capture={make_y4m(data / 'demo.mp4', tmp / 'cam.y4m')}")
    before = {int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()}
    proc, url = start_server(data, work, tmp / "streamlit.log")
    load_before = os.getloadavg()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=args)
            ctx = browser.new_context(viewport={"width": 1400, "height": 1600})
            ctx.grant_permissions(["camera"], origin=url)
            page = ctx.new_page()
            page.goto(url + "/")
            page.locator("[data-testid='stSidebarNav'] a", has_text="Live scoring").first.click(timeout=120_000)
            page.get_by_text("Source").first.wait_for(timeout=120_000)
            page.wait_for_timeout(1500)
            page.evaluate(OBSERVER)
            if source == "camera":
                page.get_by_text("Webcam", exact=True).click()
                frame = page.frame_locator("iframe[title*='streamlit_webrtc']")
                frame.get_by_role("button", name="START").click(timeout=120_000)
            else:
                page.get_by_role("button", name="Start").click(timeout=60_000)
            page.get_by_text("frames scored").first.wait_for(timeout=120_000)
            page.wait_for_timeout(int(warmup * 1000))
            t0, rows0 = time.time(), series_rows(work)
            browsers = chromium_pids(before)
            scorers = child_pids(proc.pid)  # the file scorer's own process (none for the camera: a thread)
            cpu0 = (cpu_seconds([proc.pid]), cpu_seconds(browsers), cpu_seconds(scorers))
            n0 = page.evaluate("() => window.__mgs.length")
            samples, disk = [], []
            prev_t, prev_rows = t0, rows0
            while time.time() - t0 < seconds:
                page.wait_for_timeout(1000)
                v = page.evaluate(METRIC, "Scored frames / s")
                now, rows = time.time(), series_rows(work)
                if v is not None:
                    samples.append(float(v))
                disk.append((rows - prev_rows) / n_rois / max(1e-6, now - prev_t))
                prev_t, prev_rows = now, rows
            t1, rows1 = time.time(), series_rows(work)
            cpu1 = (cpu_seconds([proc.pid]), cpu_seconds(browsers), cpu_seconds(scorers))
            marks = page.evaluate("() => window.__mgs")[n0:]
            page_figures = {k: page.evaluate(METRIC, k) for k in
                            ("Display frames / s", "Dropped frames", "Latency p95 (ms)")}
            if shots:
                shots.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(shots / f"live_{source}_{n_rois}.png"), full_page=True)
            if source == "camera":
                page.frame_locator("iframe[title*='streamlit_webrtc']").get_by_role("button", name="STOP").click()
            else:
                page.get_by_role("button", name="Stop").click()
            page.get_by_text("Stopped.").first.wait_for(timeout=120_000)
            browser.close()
    finally:
        load_after = os.getloadavg()
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    lat = [m[0] - m[1] for m in marks]
    wall = t1 - t0
    out = {"source": source, "rois": n_rois, "seconds": round(wall, 1),
           "scored_fps_page_median": round(statistics.median(samples), 1) if samples else None,
           "scored_fps_disk_mean": round((rows1 - rows0) / n_rois / wall, 1),
           "display_fps_browser": round(len(marks) / wall, 1),
           "latency_ms_p50": round(pct(lat, 0.5), 1), "latency_ms_p95": round(pct(lat, 0.95), 1),
           "server_cpu_percent_of_one_core": round(100 * (cpu1[0] - cpu0[0]) / wall, 1),
           "browser_cpu_percent_of_one_core": round(100 * (cpu1[1] - cpu0[1]) / wall, 1),
           "scorer_cpu_percent_of_one_core": round(100 * (cpu1[2] - cpu0[2]) / wall, 1),
           "server_cpu_ms_per_scored_frame": round(1e3 * (cpu1[0] - cpu0[0] + cpu1[2] - cpu0[2])
                                                   / max(1, (rows1 - rows0) / n_rois), 1),
           "server_cpu_ms_per_result_shown": round(1e3 * (cpu1[0] - cpu0[0]) / max(1, len(marks)), 1),
           "breakdown_ms": breakdown(marks),
           "page_figures": page_figures, "loadavg_before": [round(x, 2) for x in load_before],
           "loadavg_after": [round(x, 2) for x in load_after], "cpus": os.cpu_count()}
    shutil.rmtree(tmp, ignore_errors=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", choices=["file", "camera"], default="file")
    ap.add_argument("--rois", type=int, default=4, help="ROIs on the 1080p file (4: the sample's own; else a rack)")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--screenshots", type=Path, default=None, help="folder for a screenshot of the running page")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args(argv)
    res = run(a.source, a.rois, a.seconds, a.warmup, a.screenshots)
    print(f"source={res['source']} rois={res['rois']} over {res['seconds']} s (2-core CPU; load average "
          f"{res['loadavg_before'][0]} before, {res['loadavg_after'][0]} after)")
    for k in ("scored_fps_page_median", "scored_fps_disk_mean", "display_fps_browser",
              "latency_ms_p50", "latency_ms_p95", "server_cpu_percent_of_one_core", "scorer_cpu_percent_of_one_core",
              "browser_cpu_percent_of_one_core", "server_cpu_ms_per_scored_frame", "server_cpu_ms_per_result_shown"):
        print(f"  {k:32s} {res[k]}")
    print(f"  page shows               {res['page_figures']}")
    print("  where the latency goes (ms)       p50     p95    mean")
    for step, v in res["breakdown_ms"].items():
        print(f"    {step:34s} {v['p50']:6.1f} {v['p95']:7.1f} {v['mean']:7.1f}")
    if a.json:
        a.json.write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
