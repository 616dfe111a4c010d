"""`mgs audit`: list the audit trail (who scored, labelled, trained, activated, reported or changed users, when)."""
from __future__ import annotations

import argparse
import json


def register(subparsers) -> None:
    p = subparsers.add_parser("audit", help="list the audit trail",
                              description="List the append-only audit log (MGS_AUDIT_LOG, default "
                                          "~/.local/share/mgs-live/audit.jsonl), oldest first.")
    p.add_argument("--user", help="only this user's records")
    p.add_argument("--action", help="only this action (e.g. score, train; 'users.' = every users.* action)")
    p.add_argument("--since", help="only records at or after this date/time (ISO, e.g. 2026-05-01T09:00)")
    p.add_argument("--file", help="the audit log (default: MGS_AUDIT_LOG or ~/.local/share/mgs-live/audit.jsonl)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=cmd_audit)


def cmd_audit(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from mgs_core.access.audit import read

    records = read(args.file, user=args.user, action=args.action, since=args.since)
    for rec in records:
        print(json.dumps(asdict(rec)) if args.json else rec.line())
    if not args.json and not records:
        print("no audit records match")
    return 0
