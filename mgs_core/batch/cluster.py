"""Dask clusters for ``mgs score``: a LocalCluster of worker processes, or an existing scheduler.

Each worker gets the :class:`PreloadModels` plugin, so it loads the models once when it starts (and a worker that
joins later does too); every task on that worker then reuses them (:func:`mgs_core.batch.models.runner_for`).
"""
from __future__ import annotations

import logging
import os
import re
import socket
import time
from contextlib import contextmanager
from urllib.parse import urlsplit

from mgs_core.errors import InputError, ServerError
from mgs_core.batch.models import ModelSpec

ADDRESS = re.compile(r"^(tcp|tls)://[^/\s:]+(:\d+)?$")


def check_scheduler_address(address: str, timeout: float = 5.0) -> None:
    """InputError for a malformed address; ServerError when nothing answers there within ``timeout`` seconds."""
    if not ADDRESS.match(address):
        raise InputError(f"--scheduler {address!r} is not a Dask scheduler address like tcp://host:8786")
    parts = urlsplit(address)
    try:
        with socket.create_connection((parts.hostname, parts.port or 8786), timeout=timeout):
            pass
    except OSError as exc:
        raise ServerError(f"the Dask scheduler at {address} does not answer ({exc.strerror or exc}); nothing was "
                          "started. Start one with `dask scheduler` and workers with `dask worker ADDRESS` "
                          "(docs/scale_out.md)") from None


def worker_threads(workers: int) -> int:
    """Inference threads per local worker process so that the workers together use the machine's cores once."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def _preload_plugin(spec: ModelSpec):
    from distributed import WorkerPlugin

    class PreloadModels(WorkerPlugin):
        """Loads the runner for ``spec`` once per worker process when the worker starts."""

        name = "mgs-preload-models"

        def __init__(self, spec: ModelSpec):
            self.spec = spec
            self.error = ""

        def setup(self, worker) -> None:
            from mgs_core.batch.models import runner_for
            from mgs_core.errors import MGSError

            try:
                runner_for(self.spec)
            except MGSError as exc:  # the tasks will fail with this message; the worker stays up
                self.error = str(exc)

    return PreloadModels(spec)


@contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None, models: ModelSpec | None = None,
                connect_timeout: float = 5.0, worker_timeout: float = 60.0):
    """A connected ``distributed.Client``: ``workers`` local worker processes, or the cluster at ``scheduler``.

    A scheduler that does not answer raises ServerError within ``connect_timeout`` seconds, before anything starts;
    one with no worker after ``worker_timeout`` seconds too. The LocalCluster listens on 127.0.0.1 only.
    """
    from distributed import Client, LocalCluster

    if (workers is None) == (scheduler is None):
        raise InputError("give either --workers N or --scheduler ADDRESS")
    cluster = None
    if scheduler:
        check_scheduler_address(scheduler, connect_timeout)
        try:
            client = Client(scheduler, timeout=f"{connect_timeout}s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ServerError(f"could not connect to the Dask scheduler at {scheduler} ({exc}); nothing was "
                              "started") from None
    else:
        if workers < 1:
            raise InputError(f"--workers must be >= 1, got {workers}")
        threads = str(worker_threads(workers))
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, silence_logs=logging.ERROR,
                               env={"OMP_NUM_THREADS": threads, "OMP_WAIT_POLICY": "PASSIVE"})
        client = Client(cluster, set_as_default=False)
    try:
        try:
            client.wait_for_workers(1, timeout=worker_timeout)
        except TimeoutError:
            raise ServerError(f"the Dask scheduler at {scheduler or client.scheduler.address} has no workers after "
                              f"{worker_timeout:.0f} s; start some with `dask worker ADDRESS`") from None
        if models is not None:
            client.register_plugin(_preload_plugin(models))
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
            time.sleep(0)  # let the worker processes' pipes close before the interpreter moves on
