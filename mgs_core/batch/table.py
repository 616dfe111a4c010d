"""The job table printed at the end of a batch: every input with done / resumed / skipped / failed and why."""
from __future__ import annotations

from pathlib import Path

from mgs_core.batch.task import FAILED, TaskOutcome


def job_rows(outcomes: list[TaskOutcome]) -> list[dict]:
    """One plain dict per input (for a DataFrame in the app, or JSON)."""
    return [{"input": Path(o.input).name, "state": o.state, "frames": o.frames, "new frames": o.frames_new,
             "frames/s": o.frames_per_s, "seconds": o.wall_s, "detail": o.message, "csv": o.csv} for o in outcomes]


def format_job_table(outcomes: list[TaskOutcome], width: int = 100) -> str:
    """A fixed-width text table; failure messages are shown in full on their own lines below their row."""
    head = ("input", "state", "frames", "frames/s", "seconds")
    rows = [(Path(o.input).name, o.state, str(o.frames), f"{o.frames_per_s:.1f}", f"{o.wall_s:.1f}") for o in outcomes]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
    fmt = lambda cells: "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    lines = [fmt(head), fmt(["-" * w for w in widths])]
    for o, r in zip(outcomes, rows):
        lines.append(fmt(r))
        if o.message and (o.state == FAILED or o.problems):
            lines.append(f"    {'reason' if o.state == FAILED else 'note'}: {o.message}")
    counts = {}
    for o in outcomes:
        counts[o.state] = counts.get(o.state, 0) + 1
    lines.append(", ".join(f"{n} {s}" for s, n in counts.items()) + f" ({len(outcomes)} inputs)")
    return "\n".join(lines)


def exit_code(outcomes: list[TaskOutcome]) -> int:
    """0 when every input finished cleanly; 1 when one failed, was cut short by a decode error or lost frames."""
    return 1 if any(o.state == FAILED or o.problems for o in outcomes) else 0
