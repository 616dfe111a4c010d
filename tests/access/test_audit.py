"""The audit log: append-only JSONL, filtered by user, action and time; a torn last line is skipped."""
from datetime import datetime, timezone

import pytest

from mgs_core.access import audit
from mgs_core.errors import InputError


def test_record_read_filter(tmp_path):
    log = tmp_path / "a" / "audit.jsonl"
    t = datetime(2026, 5, 1, 9, 0, tzinfo=timezone.utc)
    audit.record("olly", "score", "demo.mp4", {"frames": 40}, path=log, now=t)
    audit.record("ada", "train", "score.pt", path=log, now=t.replace(hour=10))
    audit.record("ada", "users.add", "vera", {"role": "viewer"}, path=log, now=t.replace(hour=11))
    with open(log, "a") as fh:
        fh.write('{"time": "2026-05-01T12:00:00+00:00", "user": "x"')  # torn by a crash
    assert [r.action for r in audit.read(log)] == ["score", "train", "users.add"]
    assert [r.target for r in audit.read(log, user="ada")] == ["score.pt", "vera"]
    assert [r.action for r in audit.read(log, action="users.")] == ["users.add"]
    assert [r.action for r in audit.read(log, since="2026-05-01T10:00")] == ["train", "users.add"]
    rec = audit.read(log, action="score")[0]
    assert rec.user == "olly" and rec.details == {"frames": 40} and rec.time == "2026-05-01T09:00:00+00:00"
    before = log.read_text()
    audit.record("olly", "report.curves", "r.csv", path=log)
    assert log.read_text().startswith(before)  # appended, never rewritten
    with pytest.raises(InputError, match="--since 'yesterday' is not a date"):
        audit.read(log, since="yesterday")
    assert audit.read(tmp_path / "none.jsonl") == []
