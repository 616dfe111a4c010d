import stat

import pytest

from mgs_core.cli import main
from mgs_core.errors import InputError
from mgs_core.server.keys import check_allow_dir, is_loopback, load_public_key, load_secret_key


@pytest.mark.parametrize("endpoint, expected", [
    ("tcp://127.0.0.1:5555", True), ("tcp://127.3.2.1:1", True), ("tcp://localhost:5555", True),
    ("tcp://[::1]:5555", True), ("ipc:///tmp/x", True), ("inproc://x", True),
    ("tcp://*:5555", False), ("tcp://0.0.0.0:5555", False), ("tcp://192.168.1.5:5555", False),
    ("tcp://eth0:5555", False), ("tcp://127.0.0.1;10.0.0.1:5555", False), ("udp://127.0.0.1:1", False),
])
def test_loopback_rule(endpoint, expected):
    assert is_loopback(endpoint) is expected


def test_generate_writes_public_and_private_files(tmp_path, capsys):
    assert main(["keys", "generate", "--out", str(tmp_path), "--name", "rig1"]) == 0
    pub, sec = tmp_path / "rig1.key", tmp_path / "rig1.key_secret"
    assert stat.S_IMODE(sec.stat().st_mode) == 0o600
    pair = load_secret_key(sec)
    assert load_public_key(pub) == pair.public == load_public_key(pair.public.decode())
    with pytest.raises(InputError, match="no secret key"):
        load_secret_key(pub)
    # refuses to overwrite, as a one-line user error
    assert main(["keys", "generate", "--out", str(tmp_path), "--name", "rig1"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert check_allow_dir(tmp_path) == tmp_path


def test_bad_key_inputs_are_user_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_secret_key(tmp_path / "missing.key_secret")
    with pytest.raises(InputError, match="40-character"):
        load_public_key("short")
    with pytest.raises(InputError, match="no client public keys"):
        check_allow_dir(tmp_path)


def test_serve_refuses_public_bind_without_keys(capsys):
    assert main(["serve", "--bind", "tcp://0.0.0.0:5999"]) == 2
    assert "requires CURVE keys" in capsys.readouterr().err
    assert main(["serve", "--keys", "x.key_secret"]) == 2
    assert "needs both" in capsys.readouterr().err
