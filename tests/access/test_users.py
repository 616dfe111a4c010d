"""The users file: accounts with bcrypt hashes, roles, allowed servers; every malformed entry gets one message."""
import json

import pytest

from mgs_core.access.passwords import check_hash, hash_password, verify_password
from mgs_core.access.roles import ADMIN, OPERATOR, VIEWER, AccessError, PermissionDenied, allows, require
from mgs_core.access.users import (add_user, allowed_server, authenticate, load_config, remove_user, require_config,
                                   set_role, set_servers)

PW = "correct-horse"


@pytest.fixture(scope="module")
def a_hash():
    return hash_password(PW, cost=4)


def write(path, users=None, **extra):
    path.write_text(json.dumps({"format": "mgs-live-users", "version": 1, "users": users or {}, **extra}))
    return path


def test_roles_are_ordered_and_require_names_the_missing_role():
    assert allows(ADMIN, OPERATOR) and allows(OPERATOR, VIEWER) and not allows(VIEWER, OPERATOR)
    require("ada", ADMIN, ADMIN, "train a model")
    with pytest.raises(PermissionDenied, match="to score you need the operator role; vera is a viewer"):
        require("vera", VIEWER, OPERATOR, "score")
    with pytest.raises(PermissionDenied, match="sign in first"):
        require(None, None, VIEWER, "look")
    with pytest.raises(AccessError, match="unknown role 'boss'"):
        allows("boss", VIEWER)


def test_bcrypt_hash_round_trip_and_format_check(a_hash):
    assert a_hash.startswith("$2b$04$") and len(a_hash) == 60
    assert verify_password(PW, a_hash) and not verify_password("wrong-horse", a_hash)
    for bad in ("plaintext", "$2b$12$short", "$argon2id$v=19$m=65536,t=3,p=4$abc", None, 12):
        with pytest.raises(AccessError, match="not a bcrypt hash"):
            check_hash(bad, "user 'x'")
    with pytest.raises(AccessError, match="too short"):
        hash_password("short")


def test_add_list_set_role_remove_and_file_mode(tmp_path):
    path = tmp_path / "cfg" / "users.json"
    assert load_config(path) is None  # no file: loopback mode
    add_user(path, "ada", ADMIN, PW)
    add_user(path, "olly", OPERATOR, PW)
    assert (path.stat().st_mode & 0o777) == 0o600
    cfg = load_config(path)
    assert {u.name: u.role for u in cfg.users.values()} == {"ada": ADMIN, "olly": OPERATOR}
    assert PW not in path.read_text()  # only hashes are stored
    assert authenticate(cfg, "olly", PW).role == OPERATOR
    assert authenticate(cfg, "olly", "nope-nope") is None and authenticate(cfg, "nobody", PW) is None
    with pytest.raises(AccessError, match="already exists"):
        add_user(path, "olly", VIEWER, PW)
    assert set_role(path, "olly", VIEWER).role == VIEWER
    with pytest.raises(AccessError, match="unknown role 'boss'"):
        set_role(path, "olly", "boss")
    with pytest.raises(AccessError, match="no admin left"):
        remove_user(path, "ada")
    remove_user(path, "olly")
    assert set(load_config(path).users) == {"ada"}
    with pytest.raises(AccessError, match="no user 'olly'"):
        remove_user(path, "olly")
    with pytest.raises(AccessError, match="user name"):
        add_user(path, "../etc", VIEWER, PW)


def test_require_config_says_what_to_set_up(tmp_path, a_hash):
    with pytest.raises(AccessError, match="sign-in is not set up: there is no users file at .*mgs users add"):
        require_config(tmp_path / "users.json")
    path = write(tmp_path / "users.json", {"vera": {"role": VIEWER, "hash": a_hash}})
    with pytest.raises(AccessError, match="no user with the admin role"):
        require_config(path)


@pytest.mark.parametrize("content, message", [
    ("{not json", "is not valid JSON"),
    ('{"users": {}}', "is not an MGS Live users file"),
    ('{"format": "mgs-live-users", "version": 7}', "has version 7"),
    ('{"format": "mgs-live-users", "version": 1, "users": []}', "\"users\" must be an object"),
    ('{"format": "mgs-live-users", "version": 1, "users": {"x": {"role": "root", "hash": "H"}}}',
     "unknown role 'root' in .*user 'x'"),
    ('{"format": "mgs-live-users", "version": 1, "users": {"x": {"role": "admin", "hash": "secret"}}}',
     "password hash for user 'x' in .* is not a bcrypt hash"),
    ('{"format": "mgs-live-users", "version": 1, "servers": ["http://evil"]}', "not of the form tcp://HOST:PORT"),
    ('{"format": "mgs-live-users", "version": 1, "session_idle_minutes": "soon"}', "session_idle_minutes"),
])
def test_malformed_users_file_one_message_naming_it(tmp_path, content, message):
    path = tmp_path / "users.json"
    path.write_text(content)
    with pytest.raises(AccessError, match=message) as err:
        load_config(path)
    assert str(path) in str(err.value)


def test_allowed_servers(tmp_path, a_hash):
    path = write(tmp_path / "users.json", {"ada": {"role": ADMIN, "hash": a_hash}})
    set_servers(path, ["tcp://gpu-box:5555", "tcp://gpu-box:5555", "tcp://10.0.0.7:5555"])
    cfg = load_config(path)
    assert cfg.servers == ("tcp://gpu-box:5555", "tcp://10.0.0.7:5555")
    assert allowed_server(cfg, " tcp://gpu-box:5555 ") == "tcp://gpu-box:5555"
    with pytest.raises(AccessError, match="'tcp://attacker:9' is not in the allowed list"):
        allowed_server(cfg, "tcp://attacker:9")
