"""A real LocalCluster (2 worker processes): identical results, a killed worker's task retried, failures alone."""
import os
import signal
import socket
import threading
import time

import pytest
import torch

from mgs_core.batch.cluster import check_scheduler_address, dask_client
from mgs_core.batch.inputs import build_tasks, discover_inputs
from mgs_core.batch.models import ModelSpec, close_runners
from mgs_core.batch.run import run_batch
from mgs_core.batch.task import DONE, FAILED, RESUMED
from mgs_core.errors import ServerError

from conftest import render

pytestmark = pytest.mark.slow
SPEC = ModelSpec(backend="torch", device="cpu", threads=1)  # shipped weights, as on the workers


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("cluster")
    vids = render(d, 3, seconds=2.0, fps=20)
    junk = d / "broken.mp4"
    junk.write_bytes(b"this is not a video" * 10)
    return [vids[0], junk, vids[1], vids[2]], vids[0].with_name("rec0.rois.json")


@pytest.fixture(scope="module")
def reference(inputs, tmp_path_factory):
    """In-process scoring with the same models and thread count."""
    out = tmp_path_factory.mktemp("reference")
    threads = torch.get_num_threads()
    try:
        outcomes = run_batch(build_tasks(discover_inputs(inputs[0]), out, SPEC, rois_file=inputs[1], chunk_frames=5))
    finally:
        close_runners()
        torch.set_num_threads(threads)
    assert [o.state for o in outcomes] == [DONE, FAILED, DONE, DONE]
    return out


@pytest.fixture(scope="module")
def client():
    with dask_client(workers=2, models=SPEC) as c:
        yield c


def same_results(out, reference):
    for stem in ("rec0", "rec1", "rec2"):
        assert (out / f"{stem}.csv").read_bytes() == (reference / f"{stem}.csv").read_bytes(), stem
        assert (out / f"{stem}.parquet").read_bytes() == (reference / f"{stem}.parquet").read_bytes(), stem


def test_cluster_results_equal_in_process_and_a_bad_input_fails_alone(client, inputs, reference, tmp_path):
    tasks = build_tasks(discover_inputs(inputs[0]), tmp_path, SPEC, rois_file=inputs[1], chunk_frames=5)
    statuses = []
    outcomes = run_batch(tasks, client=client, on_status=statuses.append)
    assert [o.state for o in outcomes] == [DONE, FAILED, DONE, DONE]
    assert "broken.mp4 is not a video or image" in outcomes[1].message
    assert {o.host for o in outcomes} <= set(client.scheduler_info()["workers"]) and len({o.host for o in outcomes}) == 2
    same_results(tmp_path, reference)
    last = statuses[-1]
    assert last.inputs_finished == 4 and last.inputs_failed == 1 and last.frames_done == 120
    # every worker loaded the models once, when it started (plugin), and reused them for all its tasks
    loaded = client.run(lambda: [s.seg for s in __import__("mgs_core.batch.models", fromlist=["x"]).loaded_specs()])
    assert all(v == [None] for v in loaded.values())


def test_killed_worker_task_is_retried_and_results_identical(client, inputs, reference, tmp_path):
    tasks = build_tasks(discover_inputs(inputs[0]), tmp_path, SPEC, rois_file=inputs[1], chunk_frames=5)
    pids = client.run(os.getpid)
    result, killed = {}, {}
    runner = threading.Thread(target=lambda: result.setdefault("o", run_batch(tasks, client=client)))
    runner.start()
    deadline = time.time() + 120
    while time.time() < deadline and not killed and runner.is_alive():
        for stem, task in (("rec0", tasks[0]), ("rec1", tasks[2]), ("rec2", tasks[3])):
            if list((tmp_path / f".{stem}.partial").glob("chunk_*.parquet")):
                for addr, keys in client.processing().items():
                    if any(str(k).startswith(task.key) for k in keys) and addr in pids:
                        os.kill(pids[addr], signal.SIGKILL)
                        killed.update(addr=addr, stem=stem)
                        break
            if killed:
                break
        time.sleep(0.02)
    runner.join(180)
    assert killed, "no task was seen mid-run"
    outcomes = {os.path.basename(o.input): o for o in result["o"]}
    retried = outcomes[f"{killed['stem']}.mp4"]
    assert retried.state == RESUMED and retried.host != killed["addr"], retried
    assert outcomes["broken.mp4"].state == FAILED
    same_results(tmp_path, reference)


def test_a_scheduler_that_does_not_answer_is_one_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nobody listens here once closed
    with pytest.raises(ServerError, match=f"tcp://127.0.0.1:{port} does not answer.*nothing was started"):
        check_scheduler_address(f"tcp://127.0.0.1:{port}", timeout=2)
