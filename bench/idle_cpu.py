"""Idle app CPU (issue 12): the server's CPU use while a browser tab sits on a page and nobody does anything.

    .venv/bin/python bench/idle_cpu.py [--seconds 60] [--page "Live scoring"] [--watcher none|auto|poll]

Starts `streamlit run app.py` from the repository (its .streamlit/config.toml: ``fileWatcherType = "none"``; pass
``--watcher auto`` to override it for a comparison), opens the page in headless Chromium, waits 10 s, then reads
the server process's CPU time (utime + stime of the process and its threads, /proc/<pid>/stat) at the start and
end of ``--seconds`` and prints it as % of one core. The browser's own CPU is not counted. Asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
from live_page import ARGS, CHROMIUM, free_port  # noqa: E402


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--page", default="Live scoring")
    ap.add_argument("--watcher", default=None, help="override server.fileWatcherType (default: the config's)")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="mgs-idle-"))
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    if a.watcher:
        cmd += ["--server.fileWatcherType", a.watcher]
    env = dict(os.environ, MGS_WORK_DIR=str(tmp / "work"))
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp / "log", "w"))
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if urllib.request.urlopen(url + "/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            page.goto(url + "/")
            page.locator("[data-testid='stSidebarNav'] a", has_text=a.page).first.click(timeout=120_000)
            page.wait_for_timeout(10_000)
            c0, t0 = cpu_s(proc.pid), time.monotonic()
            load0 = os.getloadavg()
            page.wait_for_timeout(int(a.seconds * 1000))
            c1, t1 = cpu_s(proc.pid), time.monotonic()
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    warnings = (tmp / "log").read_text().count("Inotify queue overflowed")
    res = {"page": a.page, "watcher": a.watcher or "config (none)", "seconds": round(t1 - t0, 1),
           "server_cpu_s": round(c1 - c0, 2), "percent_of_one_core": round(100 * (c1 - c0) / (t1 - t0), 2),
           "inotify_overflow_warnings": warnings, "loadavg_before": [round(x, 2) for x in load0]}
    print(json.dumps(res))
    if a.json:
        a.json.write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
