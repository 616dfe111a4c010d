"""Runners loaded once per process: every task in a process (a Dask worker, the CLI, the app) reuses them."""
from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelSpec:
    """Which runner to build: checkpoints (None = shipped weights) or a remote server, device, backend, threads."""

    seg: str | None = None
    score: str | None = None
    device: str = "auto"
    backend: str = "auto"
    server: str | None = None
    threads: int | None = None  # inference threads per process (None = the runner's default)


_RUNNERS: dict = {}
_LOCK = threading.Lock()


def runner_for(spec: ModelSpec):
    """This process's runner for ``spec``, loading the models the first time it is asked for."""
    with _LOCK:
        runner = _RUNNERS.get(spec)
        if runner is None:
            from mgs_core.runners import load_runner

            kw = {} if spec.server else {"backend": spec.backend, **({"threads": spec.threads} if spec.threads else {})}
            runner = load_runner(server=spec.server, seg=spec.seg, score=spec.score, device=spec.device, **kw)
            _RUNNERS[spec] = runner
        return runner


def loaded_specs() -> list[ModelSpec]:
    """The specs whose runners this process holds (for tests and diagnostics)."""
    with _LOCK:
        return list(_RUNNERS)


def close_runners() -> None:
    """Close and forget every cached runner of this process."""
    with _LOCK:
        runners = list(_RUNNERS.values())
        _RUNNERS.clear()
    for r in runners:
        r.close()
