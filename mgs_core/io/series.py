"""Append-only, crash-safe live series: results written in small chunks while scoring runs, stitched on reading.

A live series is a folder ``ROOT/<stem>/``:

- ``<stem>.json``: provenance (format ``mgs-live-series``), written when the series starts and rewritten (atomically)
  when a segment begins (seek, loop, resume) and when it is closed;
- ``chunks/chunk_<seq>_<rows>.parquet``: the rows scored since the previous chunk, columns
  :data:`mgs_core.io.results.COLUMNS`, written atomically (temp file, fsync, rename) every ``chunk_seconds`` or
  ``chunk_frames`` frames; nothing is ever rewritten, so memory does not grow with the length of the series;
- after :meth:`SeriesWriter.close`: ``<stem>.csv`` and ``<stem>.parquet``, the whole series in the batch results
  format (streamed chunk by chunk, memory bounded), and the provenance says ``"finished": true``.

:func:`load_series` reads a closed series from its Parquet file, and an unclosed one (the process was killed, the
machine lost power) by stitching its chunks in order; an unreadable chunk (torn by a crash) is skipped and named in
:attr:`SeriesInfo.messages`. Frame numbers and times are the video's (or camera's) own, so a looped or re-seeked
video repeats them; the provenance ``segments`` say at which row each pass or seek began.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from mgs_core.errors import InputError
from mgs_core.io.results import COLUMNS, frames_to_table, typed_table
from mgs_core.types import FrameResult

SERIES_FORMAT = "mgs-live-series"
SERIES_VERSION = 1
CHUNK_DIR = "chunks"


def _now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)


def _write_json(path: Path, obj: dict) -> None:
    _write_atomic(path, (json.dumps(obj, indent=1, default=str) + "\n").encode())


@dataclass(frozen=True)
class SeriesInfo:
    """What is on disk for one live series (see :func:`open_series`)."""

    folder: Path
    name: str
    provenance: dict
    finished: bool  # closed normally: the consolidated CSV/Parquet exist
    chunks: int  # readable chunk files (0 once consolidated)
    rows: int
    messages: tuple[str, ...] = field(default_factory=tuple)  # e.g. a torn chunk that was skipped

    @property
    def started_utc(self) -> str:
        return str(self.provenance.get("run", {}).get("started_utc", ""))

    @property
    def label(self) -> str:
        """A name that stays the same while the series grows (for pickers)."""
        return f"{self.name} ({self.rows} rows)" if self.finished else f"{self.name} (recording or interrupted)"


class SeriesWriter:
    """Appends FrameResults to a live series folder in small atomic chunks (one writer thread at a time).

    ``append`` costs a list append; a chunk is written every ``chunk_seconds`` (or ``chunk_frames`` frames), so a
    kill loses at most that much. ``flush_s`` records how long each chunk write took.
    """

    def __init__(self, folder: str | Path, provenance: dict, chunk_frames: int = 90, chunk_seconds: float = 2.0):
        if chunk_frames < 1 or chunk_seconds <= 0:
            raise ValueError("chunk_frames must be >= 1 and chunk_seconds > 0")
        self.folder = Path(folder)
        self.name = self.folder.name
        self.chunk_dir = self.folder / CHUNK_DIR
        try:
            self.chunk_dir.mkdir(parents=True, exist_ok=False)
        except FileExistsError:
            raise InputError(f"live series folder {self.folder} already exists; choose another name") from None
        except OSError as exc:
            raise InputError(f"cannot create the live series folder {self.folder} ({exc.strerror or exc})") from None
        self.chunk_frames, self.chunk_seconds = chunk_frames, chunk_seconds
        self.provenance = dict(provenance)
        self.provenance.update(format=SERIES_FORMAT, version=SERIES_VERSION, finished=False, segments=[])
        self.provenance.setdefault("run", {})["started_utc"] = _now_utc()
        self.provenance["outputs"] = {"csv": f"{self.name}.csv", "parquet": f"{self.name}.parquet",
                                      "chunks": CHUNK_DIR}
        self._buffer: list[FrameResult] = []
        self._buffer_since = time.monotonic()
        self._seq = 0
        self.frames_written = 0
        self.rows_written = 0
        self.flush_s: list[float] = []  # duration of every chunk write, seconds (bounded by the soak's length)
        self.max_flush_s = 0.0
        self.closed = False
        self._write_provenance()

    @property
    def provenance_path(self) -> Path:
        return self.folder / f"{self.name}.json"

    def _write_provenance(self) -> None:
        _write_json(self.provenance_path, self.provenance)

    def segment(self, kind: str, **detail) -> None:
        """Record that a new segment begins at the next row (``start``, ``seek``, ``loop``, ``resume``...)."""
        self.flush()
        self.provenance["segments"].append({"kind": kind, "first_row": self.rows_written,
                                            "first_frame_row": self.frames_written, "utc": _now_utc(), **detail})
        self._write_provenance()

    def append(self, fr: FrameResult) -> None:
        if self.closed:
            raise RuntimeError(f"live series {self.name} is closed")
        if not self._buffer:
            self._buffer_since = time.monotonic()
        self._buffer.append(fr)
        if len(self._buffer) >= self.chunk_frames or time.monotonic() - self._buffer_since >= self.chunk_seconds:
            self.flush()

    def flush(self) -> int:
        """Write the buffered frames as one chunk; returns the rows written (0 when nothing was buffered)."""
        if not self._buffer:
            return 0
        t0 = time.perf_counter()
        table = frames_to_table(self._buffer)
        path = self.chunk_dir / f"chunk_{self._seq:06d}_{len(table):06d}.parquet"
        _write_atomic(path, table.to_parquet(index=False))
        self._seq += 1
        self.frames_written += len(self._buffer)
        self.rows_written += len(table)
        self._buffer.clear()
        dt = time.perf_counter() - t0
        self.flush_s.append(dt)
        self.max_flush_s = max(self.max_flush_s, dt)
        return len(table)

    def close(self, run: dict | None = None) -> Path:
        """Flush, write ``<stem>.csv`` + ``<stem>.parquet`` (streamed from the chunks) and the final provenance."""
        if self.closed:
            return self.provenance_path
        self.flush()
        self.closed = True
        rows = consolidate(self.folder)
        self.provenance["run"].update(run or {})
        self.provenance["run"].update(finished_utc=_now_utc(), rows=rows, frames=self.frames_written)
        self.provenance["finished"] = True
        self._write_provenance()
        return self.provenance_path


def _chunk_paths(folder: Path) -> list[Path]:
    out = []
    for p in (folder / CHUNK_DIR).glob("chunk_*.parquet"):
        parts = p.stem.split("_")
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            out.append((int(parts[1]), p))
    return [p for _, p in sorted(out)]


def _read_chunks(folder: Path):
    """(table, None) per readable chunk in order, (None, message) for a torn/unreadable one."""
    for p in _chunk_paths(folder):
        try:
            yield typed_table(pd.read_parquet(p))[COLUMNS], None
        except Exception as exc:  # noqa: BLE001 - a chunk torn by a crash: skipped and reported
            yield None, f"{folder.name}: chunk {p.name} is unreadable and was skipped ({type(exc).__name__})"


def consolidate(folder: str | Path) -> int:
    """Stream the chunks of ``folder`` into ``<stem>.csv`` and ``<stem>.parquet`` (atomic); returns the rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = Path(folder)
    name = folder.name
    csv, parquet = folder / f"{name}.csv", folder / f"{name}.parquet"
    csv_tmp, pq_tmp = csv.with_name(csv.name + ".tmp"), parquet.with_name(parquet.name + ".tmp")
    types = {"frame": pa.int64(), "eye_visible": pa.int64(), "roi": pa.string(), "animal": pa.string(),
             "group": pa.string(), "status": pa.string()}
    schema = pa.schema([(c, types.get(c, pa.float64())) for c in COLUMNS])
    rows = 0
    pending: list[pd.DataFrame] = []
    with open(csv_tmp, "w", newline="") as fcsv, pq.ParquetWriter(pq_tmp, schema) as writer:
        fcsv.write(",".join(COLUMNS) + "\n")

        def write(tables):
            block = pd.concat(tables, ignore_index=True)
            block.to_csv(fcsv, index=False, header=False)
            writer.write_table(pa.Table.from_pandas(block, schema=schema, preserve_index=False))

        for table, _ in _read_chunks(folder):
            if table is None or not len(table):
                continue
            pending.append(table)
            rows += len(table)
            if sum(len(t) for t in pending) >= 20_000:  # row groups of ~20k rows, memory bounded
                write(pending)
                pending = []
        if pending:
            write(pending)
        fcsv.flush()
        os.fsync(fcsv.fileno())
    pq_tmp.replace(parquet)
    csv_tmp.replace(csv)
    return rows


def read_provenance(folder: str | Path) -> dict:
    folder = Path(folder)
    path = folder / f"{folder.name}.json"
    try:
        prov = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"{folder} is not a live series (no {path.name})") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path} is not a readable live-series record ({exc})") from None
    if not isinstance(prov, dict) or prov.get("format") != SERIES_FORMAT:
        raise InputError(f"{path} is not a live-series record (format {prov.get('format') if isinstance(prov, dict) else None!r})")
    return prov


def _is_finished(folder: Path, prov: dict) -> bool:
    return bool(prov.get("finished")) and (folder / f"{folder.name}.parquet").is_file()


def load_series(folder: str | Path) -> pd.DataFrame:
    """The whole series as a results table (columns ``COLUMNS``), closed or not; torn chunks are skipped."""
    return _load(Path(folder))[0]


def _load(folder: Path) -> tuple[pd.DataFrame, list[str], int]:
    prov = read_provenance(folder)
    if _is_finished(folder, prov):
        try:
            return typed_table(pd.read_parquet(folder / f"{folder.name}.parquet"))[COLUMNS], [], 0
        except Exception as exc:  # noqa: BLE001 - fall back to the chunks, which are kept
            msg = [f"{folder.name}.parquet is unreadable ({type(exc).__name__}); read from the chunks instead"]
    else:
        msg = []
    tables, n = [], 0
    for table, problem in _read_chunks(folder):
        if problem:
            msg.append(problem)
        else:
            tables.append(table)
            n += 1
    df = pd.concat(tables, ignore_index=True) if tables else frames_to_table([])
    return typed_table(df)[COLUMNS].reset_index(drop=True), msg, n


def open_series(folder: str | Path) -> SeriesInfo:
    """Provenance, state and row count of a series (reads the chunk footers only for an unclosed one)."""
    import pyarrow.parquet as pq

    folder = Path(folder)
    prov = read_provenance(folder)
    if _is_finished(folder, prov):
        return SeriesInfo(folder, folder.name, prov, True, 0, int(prov.get("run", {}).get("rows", 0)))
    rows, chunks, msgs = 0, 0, []
    for p in _chunk_paths(folder):
        try:
            rows += pq.ParquetFile(p).metadata.num_rows
            chunks += 1
        except Exception as exc:  # noqa: BLE001 - torn chunk
            msgs.append(f"{folder.name}: chunk {p.name} is unreadable and was skipped ({type(exc).__name__})")
    return SeriesInfo(folder, folder.name, prov, False, chunks, rows, tuple(msgs))


def list_series(root: str | Path) -> list[SeriesInfo]:
    """Every live series folder directly under ``root``, oldest first (folders that are not series are ignored)."""
    root = Path(root)
    if not root.is_dir():
        return []
    out = []
    for d in sorted(root.iterdir()):
        if d.is_dir() and (d / f"{d.name}.json").is_file():
            try:
                out.append(open_series(d))
            except InputError:
                continue
    return sorted(out, key=lambda s: (s.started_utc, s.name))
