"""A lab's workspace on disk: every batch run, live series, ROI set and report of one project or experiment, with
its provenance, listed after reloads, restarts and on other browsers (docs/formats.md#workspace).

- :mod:`.records`: the data model (``RunRecord``, statuses, ``fingerprint``), no IO;
- :mod:`.store`: ``open_workspace``, ``list_workspaces``, ``new_run_folder``, ``save_record``/``load_record``,
  ``list_runs`` (one message per broken folder, the others still listed), ``delete_run``;
- :mod:`.batch`: versioned batch runs: ``plan_batch_run`` (reuse / resume / new, ``replace`` only when asked) and
  ``finish_batch_run``;
- :mod:`.artifacts`: ROI sets and reports stored as runs (``store_rois``, ``store_report``).
"""
from mgs_core.workspace.batch import NEW, RESUME, REUSE, BatchPlan, finish_batch_run, plan_batch_run
from mgs_core.workspace.records import RunRecord, fingerprint
from mgs_core.workspace.store import (Listing, RunEntry, Workspace, delete_run, find_run, list_runs, list_workspaces,
                                      load_record, new_run_folder, open_workspace, save_record)

__all__ = ["NEW", "RESUME", "REUSE", "BatchPlan", "finish_batch_run", "plan_batch_run", "RunRecord", "fingerprint",
           "Listing", "RunEntry", "Workspace", "delete_run", "find_run", "list_runs", "list_workspaces",
           "load_record", "new_run_folder", "open_workspace", "save_record"]
