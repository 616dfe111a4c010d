"""Run the tasks of a batch in this process or on a Dask cluster, with aggregate progress; one outcome per task."""
from __future__ import annotations

import uuid
from typing import Callable

from mgs_core.batch.progress import BatchProgress, BatchStatus
from mgs_core.batch.task import FAILED, PROGRESS_TOPIC, ProgressEvent, ScoreTask, TaskOutcome, run_task

OnStatus = Callable[[BatchStatus], None]
OnOutcome = Callable[[TaskOutcome], None]
OnEvent = Callable[[ProgressEvent], None]


def run_batch(tasks: list[ScoreTask], client=None, runner=None, on_status: OnStatus | None = None,
              on_outcome: OnOutcome | None = None, on_event: OnEvent | None = None,
              retries: int = 2) -> list[TaskOutcome]:
    """Score every task; returns their outcomes in task order. No task's failure stops the others.

    ``client`` None: one after another in this process with ``runner`` (default: the process's cached runner).
    With a ``distributed.Client``: one Dask task per input; a task whose worker dies is rescheduled by the
    scheduler (up to ``distributed.scheduler.allowed-failures`` times) and resumes from its saved chunks; a task
    that raises is retried ``retries`` times. ``on_status`` gets the aggregate progress, ``on_outcome`` each
    finished input, ``on_event`` every per-input progress event.
    """
    progress = BatchProgress(tasks)

    def status() -> None:
        if on_status:
            on_status(progress.status())

    def report(ev: ProgressEvent) -> None:
        progress.event(ev)
        if on_event:
            on_event(ev)
        status()

    def finish(o: TaskOutcome) -> None:
        progress.finished(o)
        if on_outcome:
            on_outcome(o)
        status()

    outcomes: dict[str, TaskOutcome] = {}
    if client is None:
        for t in tasks:
            outcomes[t.key] = run_task(t, runner=runner, report=report)
            finish(outcomes[t.key])
        return [outcomes[t.key] for t in tasks]
    return _run_on_cluster(tasks, client, finish, report, retries)


def _run_on_cluster(tasks, client, finish, report, retries: int) -> list[TaskOutcome]:
    from distributed import as_completed

    def on_event(event) -> None:
        _, msg = event
        if isinstance(msg, dict) and "key" in msg:
            report(ProgressEvent(msg["key"], int(msg["done"]), int(msg["total"]), int(msg["new"])))

    run_id = uuid.uuid4().hex[:8]
    client.subscribe_topic(PROGRESS_TOPIC, on_event)
    futures = {client.submit(run_task, t, key=f"{t.key}-{run_id}", retries=retries, pure=False): t for t in tasks}
    outcomes: dict[str, TaskOutcome] = {}
    try:
        for fut in as_completed(list(futures), loop=client.loop):
            t = futures[fut]
            try:
                o = fut.result()
            except Exception as exc:  # noqa: BLE001 - a worker lost too often, or a bug: this input fails alone
                o = TaskOutcome(key=t.key, input=str(t.input), state=FAILED, message=_task_error(exc))
            outcomes[t.key] = o
            finish(o)
    except BaseException:
        client.cancel(list(futures), force=True)
        raise
    finally:
        client.unsubscribe_topic(PROGRESS_TOPIC)
    return [outcomes[t.key] for t in tasks]


def _task_error(exc: BaseException) -> str:
    try:
        from distributed.scheduler import KilledWorker
    except ImportError:  # pragma: no cover
        KilledWorker = ()
    if KilledWorker and isinstance(exc, KilledWorker):
        return ("its worker died every time it ran it (out of memory or killed?); the frames scored so far are "
                "kept: rerun to resume")
    return f"the task failed on its worker: {type(exc).__name__}: {exc}"
