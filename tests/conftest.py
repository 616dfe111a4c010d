"""Every test runs in loopback mode with its own audit log: no users file and no audit log of the machine's user
are read or written (tests of shared mode set MGS_USERS_FILE themselves)."""
import pytest


@pytest.fixture(autouse=True)
def _private_access_files(monkeypatch, tmp_path):
    monkeypatch.setenv("MGS_USERS_FILE", str(tmp_path / "no-users.json"))
    monkeypatch.setenv("MGS_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
