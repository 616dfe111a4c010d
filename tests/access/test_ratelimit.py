"""Failed sign-ins are limited per (user, client), persisted across limiter objects (sessions, processes)."""
from mgs_core.access.ratelimit import SignInLimiter


def test_lockout_after_max_failures_then_expires(tmp_path):
    path = tmp_path / "fails.json"
    lim = SignInLimiter(path, max_failures=3, lockout_s=600)
    t = 1_000_000.0
    for i in range(2):
        assert lim.wait_s("ada", "10.0.0.5", t + i) == 0
        lim.failed("ada", "10.0.0.5", t + i)
    assert lim.wait_s("ada", "10.0.0.5", t + 2) == 0
    lim.failed("ada", "10.0.0.5", t + 2)
    again = SignInLimiter(path, max_failures=3, lockout_s=600)  # another session reads the same file
    assert again.wait_s("ada", "10.0.0.5", t + 3) == 599
    assert again.wait_s("ada", "10.0.0.6", t + 3) == 0  # another client
    assert again.wait_s("bob", "10.0.0.5", t + 3) == 0  # another name
    assert again.wait_s("ada", "10.0.0.5", t + 2 + 600) == 0  # the lockout has passed


def test_success_clears_and_damaged_file_starts_empty(tmp_path):
    path = tmp_path / "fails.json"
    lim = SignInLimiter(path, max_failures=1, lockout_s=60)
    lim.failed("ada", "c", 100.0)
    assert lim.wait_s("ada", "c", 101.0) > 0
    lim.succeeded("ada", "c")
    assert lim.wait_s("ada", "c", 101.0) == 0
    path.write_text("[garbage")
    assert lim.wait_s("ada", "c", 102.0) == 0
    lim.failed("ada", "c", 102.0)
    assert lim.wait_s("ada", "c", 103.0) > 0
