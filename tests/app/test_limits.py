"""The work folder's quota and the job-limit settings: one clear message each."""
import pytest

from app_support import limits
from mgs_core.errors import InputError


def test_workspace_quota_refuses_an_upload_past_it(tmp_path, monkeypatch):
    monkeypatch.setenv("MGS_WORK_DIR", str(tmp_path / "work"))
    monkeypatch.setenv("MGS_WORK_QUOTA_MB", "1")
    (tmp_path / "work" / "s1").mkdir(parents=True)
    (tmp_path / "work" / "s1" / "a.bin").write_bytes(b"x" * 700_000)
    limits.check_workspace(300_000)
    with pytest.raises(InputError, match=r"holds 1 MB of the 1 MB allowed \(MGS_WORK_QUOTA_MB\)"):
        limits.check_workspace(400_000)
    assert "1 MB" in limits.workspace_note()


def test_job_limit_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("MGS_WORK_DIR", str(tmp_path / "work"))
    monkeypatch.setenv("MGS_MAX_SCORING_JOBS", "3")
    assert limits.scoring_slots().limit == 3 and limits.training_slots().limit == 1
    monkeypatch.setenv("MGS_MAX_SCORING_JOBS", "lots")
    with pytest.raises(InputError, match="MGS_MAX_SCORING_JOBS='lots' is not a whole number"):
        limits.scoring_slots()
    view = limits.training_slots().view()
    assert limits.describe(view) == "Training jobs at once: at most 1. Running: none. Waiting: none."
