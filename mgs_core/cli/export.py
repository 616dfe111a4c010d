"""`mgs export nwb RESULTS... --out FILE.nwb [--subject ID ...]`: results tables to an NWB file (mgs_core.io.nwb)."""
from __future__ import annotations

import argparse
from datetime import datetime

from mgs_core.errors import InputError


def cmd_export_nwb(args: argparse.Namespace) -> int:
    from mgs_core.io.nwb import NwbSubject, export_nwb

    start = None
    if args.session_start:
        try:
            start = datetime.fromisoformat(args.session_start)
        except ValueError:
            raise InputError(f"--session-start {args.session_start!r} is not an ISO date/time like "
                             "2026-05-01T09:30:00+02:00") from None
    if args.sex not in ("M", "F", "U", "O"):
        raise InputError(f"--sex must be M, F, U or O, got {args.sex!r}")
    subject = NwbSubject(args.subject, species=args.species, sex=args.sex, age=args.age, strain=args.strain,
                         genotype=args.genotype, description=args.subject_description) if args.subject else None
    done = export_nwb(args.results, args.out, subject=subject, session_description=args.session_description,
                      session_start=start, animals=args.animal, experimenter=args.experimenter, lab=args.lab,
                      institution=args.institution)
    print(f"{done.path}: {len(done.series)} time series for {len(done.animals)} animals "
          f"({', '.join(done.animals)}) in processing/behavior")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("export", help="export results to other formats (NWB)",
                              description="Export MGS Live results tables to other formats.")
    sub = p.add_subparsers(dest="format", metavar="FORMAT")
    n = sub.add_parser("nwb", help="results tables -> one NWB file (pynwb)",
                       description="Write per-animal score, eye position, eye_visible, status, scorability and eye "
                                   "length as TimeSeries on the results' time_s into processing/behavior of an NWB "
                                   "file; the provenance beside each table (models, code, ROIs) goes to its notes.")
    n.add_argument("results", nargs="+", metavar="RESULTS", help="results CSV or Parquet files from mgs score")
    n.add_argument("--out", required=True, help="the NWB file to write (FILE.nwb)")
    n.add_argument("--subject", help="subject id (NWB expects one subject per file; see --animal)")
    n.add_argument("--species", default="Mus musculus", help="subject species (default Mus musculus)")
    n.add_argument("--sex", default="U", help="subject sex: M, F, U (default) or O")
    n.add_argument("--age", help="subject age as ISO 8601 duration, e.g. P90D")
    n.add_argument("--strain", help="subject strain, e.g. C57BL/6J")
    n.add_argument("--genotype", help="subject genotype")
    n.add_argument("--subject-description", help="free text about the subject")
    n.add_argument("--animal", action="append", help="export only this animal (or ROI) id; repeatable")
    n.add_argument("--session-start", help="recording start, ISO 8601 (default: the video's modification time)")
    n.add_argument("--session-description", help="what was recorded (default: names the results files)")
    n.add_argument("--experimenter", action="append", help="experimenter name; repeatable")
    n.add_argument("--lab", help="lab name")
    n.add_argument("--institution", help="institution name")
    n.set_defaults(func=cmd_export_nwb)
    p.set_defaults(func=lambda args: (p.print_help(), 1)[1])
