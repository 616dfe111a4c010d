"""The front door in the app: sign-in gate, idle timeout, rate limit, and the role checks of the action functions
(called directly as a viewer, not only through the pages' buttons)."""
import json
import time
from pathlib import Path

import pytest
import streamlit as st

from app_support import auth, finetune_jobs, identity, labelling, models
from mgs_core.access.passwords import hash_password
from mgs_core.access.roles import AccessError, PermissionDenied
from tests_app_helpers import make_users

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture()
def shared(tmp_path, monkeypatch):
    path = make_users(tmp_path / "users.json", servers=["tcp://gpu-box:5555"])
    monkeypatch.setenv("MGS_USERS_FILE", str(path))
    st.session_state.clear()
    yield path
    st.session_state.clear()


def as_user(name):
    st.session_state[identity.SESSION_KEY] = name


def test_loopback_mode_is_the_os_user_as_admin():
    assert auth.config() is None
    assert auth.role() == (identity.os_user(), auth.ADMIN)
    assert auth.check_server("tcp://anywhere:1") == "tcp://anywhere:1"


def test_viewer_calling_the_action_functions_directly_is_refused(shared, tmp_path):
    as_user("vera")
    assert auth.role() == ("vera", "viewer")
    with pytest.raises(PermissionDenied, match="score with the networks you need the operator role; vera is a viewer"):
        models.new_runner()
    runner, err = models.active_runner_or_error()
    assert runner is None and "operator role" in err
    with pytest.raises(PermissionDenied, match="fine-tune the networks you need the admin role"):
        finetune_jobs.start(tmp_path / "labels", None, "r", ("a.pt", "b.pt"), "x", 1, 1, 2)
    assert not (tmp_path / "labels").exists()  # refused before anything was made
    with pytest.raises(PermissionDenied, match="activate a model you need the admin role"):
        models.set_model("seg.pt", "score.pt", "someone's model")
    with pytest.raises(PermissionDenied, match="choose frames to label you need the operator role"):
        labelling.create_set("lab-1", [], None, 5, 1.0, 0.5, None)
    assert not labelling.labelling_allowed()
    out = labelling.handle_event(None, "vera", 3, {"kind": "score", "item": "f001", "score": 4}, may_label=False)
    assert out.index == 3 and "operator role" in out.error
    as_user("olly")  # an operator may score and label, not train
    assert labelling.labelling_allowed()
    with pytest.raises(PermissionDenied, match="admin role; olly is a operator"):
        models.set_model("seg.pt", "score.pt", "x")
    st.session_state.clear()  # nobody signed in
    with pytest.raises(PermissionDenied, match="sign in first"):
        models.new_runner()


def test_shared_mode_servers_only_from_the_admins_list(shared):
    as_user("olly")
    models.set_server("tcp://gpu-box:5555")
    assert models.model_choice()["server"] == "tcp://gpu-box:5555"
    with pytest.raises(AccessError, match="'tcp://attacker:6666' is not in the allowed list"):
        models.set_server("tcp://attacker:6666")
    assert models.model_choice()["server"] == "tcp://gpu-box:5555"


def test_sign_in_rate_limited_per_user_and_client(shared, tmp_path, monkeypatch):
    cfg = auth.config()
    t = 5_000_000.0
    for i in range(cfg.max_failures):
        assert auth.sign_in(cfg, "olly", "wrong-password", "10.1.1.1", now=t + i) == "Wrong user name or password."
    msg = auth.sign_in(cfg, "olly", "olly-password", "10.1.1.1", now=t + 10)
    assert msg.startswith("Too many failed sign-ins for olly") and identity.SESSION_KEY not in st.session_state
    assert auth.sign_in(cfg, "olly", "olly-password", "10.1.1.2", now=t + 10) == ""  # another client
    assert identity.current_user() == "olly"
    later = t + cfg.lockout_minutes * 60 + cfg.max_failures
    assert auth.sign_in(cfg, "olly", "olly-password", "10.1.1.1", now=later) == ""
    from mgs_core.access.audit import read

    actions = [r.action for r in read()]
    assert actions.count("signin.failed") == cfg.max_failures and actions.count("signin") == 2


def test_unauthenticated_sees_only_the_sign_in_then_idle_timeout(app_env, shared, monkeypatch):
    at = app_env()
    assert [t.value for t in at.title] == ["MGS Live: sign in"]
    assert [b.label for b in at.button] == ["Sign in"]  # no page's button, no sidebar
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # no page script is registered
        at.switch_page("pages/3_Batch.py")
    at.text_input(key="signin_name").input("vera")
    at.text_input(key="signin_password").input("not-her-password")
    at.button[0].click()
    at.run()
    assert "Wrong user name or password." in [e.value for e in at.error]
    at.text_input(key="signin_password").input("vera-password")
    at.button[0].click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "MGS Live: sign in" not in [t.value for t in at.title]
    assert at.session_state[identity.SESSION_KEY] == "vera"
    # a session whose last action is longer ago than the users file's idle time is signed out
    from streamlit.testing.v1 import AppTest

    idle = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    idle.session_state[identity.SESSION_KEY] = "vera"
    idle.session_state[auth.SEEN_KEY] = time.time() - auth.config().idle_minutes * 60 - 1
    idle.run()
    assert [t.value for t in idle.title] == ["MGS Live: sign in"]
    assert any("Signed out after 30 minutes without activity" in i.value for i in idle.info)
    assert identity.SESSION_KEY not in idle.session_state


def test_malformed_users_file_serves_nothing(app_env, tmp_path, monkeypatch):
    bad = tmp_path / "users.json"
    bad.write_text(json.dumps({"format": "mgs-live-users", "version": 1,
                               "users": {"ada": {"role": "admin", "hash": "plain-text-password"}}}))
    monkeypatch.setenv("MGS_USERS_FILE", str(bad))
    at = app_env()
    assert [t.value for t in at.title] == ["MGS Live is not available"]
    assert "not a bcrypt hash" in at.error[0].value and str(bad) in at.error[0].value


def test_viewer_presses_score_and_operator_presses_train_both_refused(app_env, shared):
    at = app_env()
    at.session_state[identity.SESSION_KEY] = "vera"
    at.session_state[auth.SEEN_KEY] = 1e12
    at.run()
    at.switch_page("pages/3_Batch.py")
    at.run()
    at.button(key="batch_run").click()
    at.run()
    assert any("operator role; vera is a viewer" in e.value for e in at.error), [e.value for e in at.error]


def test_hash_helper_is_bcrypt():
    assert hash_password("eight-chars", cost=4).startswith("$2b$04$")
