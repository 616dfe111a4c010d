"""`./run app` listens on 127.0.0.1 only; `./run app --lan` refuses without sign-in and serves the network with it."""
import subprocess

from front_door import REPO, listening, run_env, started
from streamlit_server import free_port
from tests_app_helpers import make_users


def test_default_start_listens_on_loopback_only(tmp_path, data_dir):
    port = free_port()
    with started([], port, tmp_path / "app.log", MGS_DATA_DIR=str(data_dir), MGS_WORK_DIR=str(tmp_path / "w")):
        assert listening(port) == {"127.0.0.1"}


def test_lan_without_sign_in_exits_with_what_to_set_up(tmp_path):
    missing = tmp_path / "users.json"
    res = subprocess.run([str(REPO / "run"), "app", "--lan", "--server.port", str(free_port())], cwd=REPO,
                         env=run_env(MGS_USERS_FILE=str(missing)), capture_output=True, text=True, timeout=120)
    assert res.returncode != 0
    assert f"sign-in is not set up: there is no users file at {missing}" in res.stderr
    assert "mgs users add NAME --role admin" in res.stderr
    assert "refusing to serve the network without sign-in" in res.stderr
    missing.write_text("{oops")
    res = subprocess.run([str(REPO / "run"), "app", "--lan"], cwd=REPO, env=run_env(MGS_USERS_FILE=str(missing)),
                         capture_output=True, text=True, timeout=120)
    assert res.returncode != 0 and "is not valid JSON" in res.stderr


def test_lan_with_sign_in_listens_on_every_interface(tmp_path, data_dir):
    users = make_users(tmp_path / "users.json")
    port = free_port()
    with started(["--lan"], port, tmp_path / "app.log", MGS_USERS_FILE=str(users), MGS_DATA_DIR=str(data_dir),
                 MGS_WORK_DIR=str(tmp_path / "w")):
        assert listening(port) == {"0.0.0.0"}
