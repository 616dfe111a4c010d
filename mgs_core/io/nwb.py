"""Export results tables to NWB (Neurodata Without Borders) with pynwb; read them back.

``export_nwb(results, out)`` writes one NWB file holding, in a ``behavior`` processing module, for every animal
(the results' ``animal``, else its ROI id; made unique with the results file's stem when several files or ROIs
share one) these ``TimeSeries``, all on the results' ``time_s`` (seconds from the start of the video):

- ``score_<animal>``: the orbital-tightening score 0-9, NaN where not scored;
- ``eye_x_<animal>``, ``eye_y_<animal>``: the eye centre in frame pixels, NaN where no eye was found;
- ``eye_visible_<animal>`` (0/1), ``status_<animal>`` (codes, ``control_description`` names them: the results'
  status vocabulary), ``scorability_<animal>`` (0-1) and ``eye_length_<animal>`` (frame pixels).

The provenance beside each results file (models, code version, ROIs, video hash) goes into the file's ``notes`` as
JSON, the code version into ``source_script``. See docs/formats.md ("NWB export").
"""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from mgs_core.errors import InputError
from mgs_core.io.results import load_scores
from mgs_core.types import STATUSES

EXPORT_FORMAT = "mgs-live-nwb-export"
MODULE = "behavior"
QUANTITIES = {  # name prefix -> (column, unit, dtype, description)
    "score": ("score", "orbital tightening score (0-9)", "float64",
              "Mouse Grimace Scale orbital tightening, continuous 0 (open) to 9 (fully tightened); NaN = not scored"),
    "eye_x": ("eye_x", "pixels", "float64", "eye centre x in video frame pixels (right); NaN = no eye found"),
    "eye_y": ("eye_y", "pixels", "float64", "eye centre y in video frame pixels (down); NaN = no eye found"),
    "eye_visible": ("eye_visible", "n.a.", "uint8", "1 when an eye was found and judged, else 0"),
    "status": ("status", "n.a.", "uint8", "why the frame has (or lacks) a score; codes in control_description"),
    "scorability": ("scorability", "n.a.", "float64", "how judgeable the frame was, 0-1"),
    "eye_length": ("eye_length", "pixels", "float64", "eye length corner to corner in frame pixels; NaN = unknown"),
}


@dataclass(frozen=True)
class NwbSubject:
    """The NWB ``Subject`` (NWB expects one subject per file; export one animal per file for archives)."""

    subject_id: str
    species: str = "Mus musculus"
    sex: str = "U"  # M, F, U or O
    age: str | None = None  # ISO 8601 duration, e.g. P90D
    strain: str | None = None
    genotype: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class NwbExport:
    path: Path
    series: tuple[str, ...]  # names of the TimeSeries written
    animals: tuple[str, ...]  # the animal labels used in those names


def _provenance_of(results: Path) -> dict | None:
    p = results.with_suffix(".json")
    try:
        rec = json.loads(p.read_text())
    except (OSError, ValueError):
        return None
    return rec if isinstance(rec, dict) and rec.get("format") == "mgs-live-provenance" else None


def _label(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "animal"


def _units(tables: list[tuple[Path, pd.DataFrame]], animals: set[str] | None):
    """(label, source file, roi, rows) per animal and results file, labels unique."""
    units = []
    for path, df in tables:
        for roi, g in df.groupby("roi", sort=False):
            animal = str(g["animal"].iloc[0]) or str(roi)
            if animals and animal not in animals and str(roi) not in animals:
                continue
            units.append([_label(animal), path, str(roi), g.sort_values(["time_s", "frame"], kind="stable")])
    for level in ("stem", "roi"):
        counts: dict[str, int] = {}
        for u in units:
            counts[u[0]] = counts.get(u[0], 0) + 1
        for u in units:
            if counts[u[0]] > 1:
                u[0] = _label(f"{u[0]}_{u[1].stem}" if level == "stem" else f"{u[0]}_{u[2]}")
    return units


def _session_start(given: datetime | None, provs: list[dict | None], paths: list[Path]) -> datetime:
    if given is not None:
        return given if given.tzinfo else given.replace(tzinfo=timezone.utc)
    for prov in provs:
        stamp = (prov or {}).get("input", {}).get("mtime_utc")
        if stamp:
            return datetime.fromisoformat(stamp)
    return datetime.fromtimestamp(min(p.stat().st_mtime for p in paths), timezone.utc)


def _notes(paths: list[Path], provs: list[dict | None]) -> str:
    from mgs_core.models.checkpoint import file_sha256

    items = []
    for path, prov in zip(paths, provs):
        item = {"results": path.name, "results_sha256": file_sha256(path), "provenance": None}
        if prov:
            item["provenance"] = {k: prov.get(k) for k in ("input", "rois", "runner", "models", "code")}
            item["provenance"]["run"] = {k: prov.get("run", {}).get(k) for k in ("stride", "max_frames", "started_utc",
                                                                                  "frames_scored", "decode_error")}
        items.append(item)
    return json.dumps({"format": EXPORT_FORMAT, "version": 1, "sources": items}, default=str)


def export_nwb(results: list[str | Path], out: str | Path, subject: NwbSubject | None = None,
               session_description: str | None = None, session_start: datetime | None = None,
               animals: list[str] | None = None, experimenter: list[str] | None = None, lab: str | None = None,
               institution: str | None = None) -> NwbExport:
    """Write the results tables ``results`` (CSV/Parquet from MGS Live) to ``out`` (module docstring)."""
    from pynwb import NWBHDF5IO, NWBFile, TimeSeries
    from pynwb.file import Subject

    from mgs_core import __version__
    from mgs_core.scoring import code_version

    paths = [Path(p) for p in results]
    if not paths:
        raise InputError("no results files given")
    tables = [(p, load_scores(p)) for p in paths]
    provs = [_provenance_of(p) for p in paths]
    units = _units(tables, set(animals) if animals else None)
    if not units:
        raise InputError(f"none of the animals {', '.join(animals or [])} is in {', '.join(p.name for p in paths)}")
    out = Path(out)
    if out.suffix.lower() != ".nwb":
        raise InputError(f"{out.name}: the NWB file name must end in .nwb")
    code = next((p["code"] for p in provs if p and p.get("code")), None) or code_version()
    nwb = NWBFile(
        session_description=session_description or (
            "Mouse Grimace Scale orbital tightening scored from video by MGS Live (" +
            ", ".join(p.name for p in paths) + ")"),
        identifier=str(uuid.uuid4()), session_start_time=_session_start(session_start, provs, paths),
        experimenter=experimenter or None, lab=lab, institution=institution,
        experiment_description="Orbital tightening (Mouse Grimace Scale) per animal and frame, scored automatically "
                               "(U-Net eye segmentation + regression CNN); see the models in notes",
        keywords=["Mouse Grimace Scale", "orbital tightening", "pain", "MGS Live"],
        source_script=f"MGS Live {code.get('mgs_live', __version__)} (git {code.get('git_commit') or 'unknown'}"
                      f"{', modified' if code.get('git_dirty') else ''})",
        source_script_file_name="mgs_core/io/nwb.py", notes=_notes(paths, provs),
        subject=Subject(subject_id=subject.subject_id, species=subject.species, sex=subject.sex, age=subject.age,
                        strain=subject.strain, genotype=subject.genotype, description=subject.description)
        if subject else None)
    module = nwb.create_processing_module(name=MODULE, description="MGS Live per-animal scores and eye positions")
    codes = {s: i for i, s in enumerate(STATUSES)}
    names = []
    for label, path, roi, g in units:
        times = g["time_s"].to_numpy(np.float64)
        first = None
        for prefix, (col, unit, dtype, desc) in QUANTITIES.items():
            if col == "status":
                data = g["status"].map(codes).to_numpy(np.uint8)
                extra = {"control": data, "control_description": list(STATUSES)}
            else:
                data = g[col].to_numpy(np.float64).astype(dtype)
                extra = {}
            name = f"{prefix}_{label}"
            ts = TimeSeries(name=name, data=data, unit=unit, timestamps=first if first is not None else times,
                            description=f"{desc}. Animal {g['animal'].iloc[0] or label}, ROI {roi}, group "
                                        f"{g['group'].iloc[0] or '(none)'}, from {path.name}",
                            comments=f"time = seconds from the start of the video {path.stem}", **extra)
            first = first if first is not None else ts
            module.add(ts)
            names.append(name)
    tmp = out.with_name(f".{out.stem}.tmp.nwb")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with NWBHDF5IO(str(tmp), "w") as io:
            io.write(nwb)
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"could not write {out} ({exc.strerror or exc}); nothing was written") from None
    return NwbExport(out, tuple(names), tuple(u[0] for u in units))


def read_nwb_series(path: str | Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every TimeSeries of the ``behavior`` module of an NWB file: name -> (timestamps, data)."""
    from pynwb import NWBHDF5IO

    path = Path(path)
    if not path.is_file():
        raise InputError(f"NWB file {path} does not exist")
    try:
        with NWBHDF5IO(str(path), "r") as io:
            nwb = io.read()
            module = nwb.processing[MODULE]
            return {name: (np.asarray(ts.timestamps[:]), np.asarray(ts.data[:]))
                    for name, ts in module.data_interfaces.items()}
    except (OSError, KeyError, ValueError) as exc:
        raise InputError(f"{path.name} is not an NWB file with a '{MODULE}' module ({exc})") from None
