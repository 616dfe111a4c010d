"""Start the app with `streamlit run` on a free loopback port for the real-browser tests, and stop it afterwards."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, tries: int = 300, log: Path | None = None) -> None:
    """Return once the app at ``url`` answers its health check; fail the test if it exits or never answers."""
    for _ in range(tries):
        if proc.poll() is not None:
            tail = log.read_text()[-2000:] if log is not None and log.is_file() else ""
            pytest.fail(f"the app exited with {proc.returncode}: {tail}")
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=1).read() == b"ok":
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail("the app did not become healthy")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@contextlib.contextmanager
def running_app(log_dir: Path, data_dir: Path, weights: dict, **env_extra: str):
    """Yield ``(url, process)`` of the app serving ``data_dir`` with the given weights once it answers its health
    check; ``env_extra`` adds environment variables (e.g. MGS_WORK_DIR)."""
    port = free_port()
    env = dict(os.environ, MGS_DATA_DIR=str(data_dir), **env_extra)
    if weights.get("seg"):
        env.update(MGS_SEG_WEIGHTS=weights["seg"], MGS_SCORE_WEIGHTS=weights["score"])
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=open(log_dir / "streamlit.log", "w"))
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, proc, tries=150, log=log_dir / "streamlit.log")
        yield url, proc
    finally:
        stop(proc)
