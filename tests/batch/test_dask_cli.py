"""`mgs score --scheduler` against `dask scheduler` and `dask worker` started as separate processes on loopback."""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mgs_core.cli import main

from conftest import render

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
DASK = Path(sys.executable).with_name("dask")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert proc.poll() is None, proc.stderr.read()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing listens on {port}")


def mgs(*argv):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "mgs_core.cli", *map(str, argv)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def cluster():
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    sched = subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    procs = [sched]
    try:
        wait_port(port, sched)
        procs.append(subprocess.Popen([DASK, "worker", f"tcp://127.0.0.1:{port}", "--host", "127.0.0.1",
                                       "--nworkers", "1", "--nthreads", "1", "--no-dashboard"],
                                      env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        yield f"tcp://127.0.0.1:{port}"
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_score_on_a_separate_scheduler_and_worker_then_skip(cluster, tmp_path):
    vids = render(tmp_path / "rec", 2, seconds=0.5, fps=20)
    rois = vids[0].with_name("rec0.rois.json")
    common = ["--rois", rois, "--backend", "torch", "--chunk", "5"]
    ref = mgs("score", tmp_path / "rec", "--out", tmp_path / "ref", *common, "--quiet")
    assert ref.returncode == 0, ref.stderr
    run = mgs("score", tmp_path / "rec", "--out", tmp_path / "out", "--scheduler", cluster, *common)
    assert run.returncode == 0, run.stderr
    assert "inputs 2/2 finished" in run.stderr and "2 done (2 inputs)" in run.stdout
    for stem in ("rec0", "rec1"):
        assert (tmp_path / "out" / f"{stem}.csv").read_bytes() == (tmp_path / "ref" / f"{stem}.csv").read_bytes()
    again = mgs("score", tmp_path / "rec", "--out", tmp_path / "out", "--scheduler", cluster, *common)
    assert again.returncode == 0, again.stderr
    assert "2 skipped (2 inputs)" in again.stdout and again.stdout.count("skipped, finished results match") == 2


def test_a_scheduler_that_does_not_answer_starts_nothing(tmp_path, capsys, videos):
    port = free_port()
    code = main(["score", str(videos[0]), "--out", str(tmp_path / "out"), "--scheduler", f"tcp://127.0.0.1:{port}",
                 "--connect-timeout", "2"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: the Dask scheduler at") and "Traceback" not in err
    assert not (tmp_path / "out").exists()
    assert main(["score", str(videos[0]), "--out", str(tmp_path / "out"), "--scheduler", "host:8786"]) == 2
    assert "not a Dask scheduler address" in capsys.readouterr().err


def test_a_folder_without_videos_is_one_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["score", str(tmp_path / "empty"), "--out", str(tmp_path / "out"), "--workers", "2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: folder ") and "holds no videos" in err
