"""Scoring many inputs: discovery, one task per input, in-process or on a Dask cluster, and the job table.

- :mod:`.inputs`: files, folders (recursively, video extensions) and globs -> :class:`~.task.ScoreTask` list;
- :mod:`.task`: the task function run for one input (skip / resume / score, failures contained);
- :mod:`.models`: runners loaded once per process and reused by every task there;
- :mod:`.cluster`: a ``distributed.LocalCluster`` or an existing scheduler, models preloaded on each worker;
- :mod:`.run`: runs the tasks (in-process or on the cluster) with aggregate progress;
- :mod:`.progress` and :mod:`.table`: aggregate progress (inputs done, frames/s, ETA) and the final table.

Nothing here imports streamlit; ``distributed`` is imported only when a cluster is used.
"""
