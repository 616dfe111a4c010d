"""`mgs users` and `mgs audit`: accounts made from the command line, each change in the audit log."""
import io
import json

from mgs_core.cli import main


def run(capsys, monkeypatch, argv, stdin=""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_users_commands_and_audit(tmp_path, capsys, monkeypatch):
    users = tmp_path / "users.json"
    monkeypatch.setenv("MGS_USERS_FILE", str(users))
    code, _, err = run(capsys, monkeypatch, ["users", "check"])
    assert code == 2 and "sign-in is not set up" in err and "mgs users add NAME --role admin" in err
    assert run(capsys, monkeypatch, ["users", "add", "ada", "--role", "admin", "--password-stdin"], "pw-ada-123\n")[0] == 0
    assert run(capsys, monkeypatch, ["users", "add", "olly", "--role", "operator", "--password-stdin"],
               "pw-olly-123\n")[0] == 0
    code, out, _ = run(capsys, monkeypatch, ["users", "check"])
    assert code == 0 and "2 users" in out
    code, _, err = run(capsys, monkeypatch, ["users", "set-role", "olly", "superuser"])
    assert code == 2 and "unknown role 'superuser'" in err
    assert run(capsys, monkeypatch, ["users", "set-role", "olly", "viewer"])[0] == 0
    assert run(capsys, monkeypatch, ["users", "servers", "tcp://gpu-box:5555"])[0] == 0
    code, out, _ = run(capsys, monkeypatch, ["users", "list"])
    assert "olly" in out and "viewer" in out and "tcp://gpu-box:5555" in out
    raw = json.loads(users.read_text())
    assert raw["users"]["ada"]["hash"].startswith("$2b$") and "pw-ada-123" not in users.read_text()
    code, _, err = run(capsys, monkeypatch, ["users", "add", "bob", "--role", "viewer"], "")
    assert code == 2 and "--password-stdin" in err  # no terminal to ask: one message, nothing written
    assert "bob" not in json.loads(users.read_text())["users"]

    code, out, _ = run(capsys, monkeypatch, ["audit", "--action", "users."])
    lines = out.strip().splitlines()
    assert [ln.split()[2] for ln in lines] == ["users.add", "users.add", "users.set_role"]
    code, out, _ = run(capsys, monkeypatch, ["audit", "--json", "--action", "servers.set"])
    assert json.loads(out)["target"] == "tcp://gpu-box:5555"
    users.write_text('{"format": "mgs-live-users", "version": 1, "users": {"x": {"role": "admin", "hash": "abc"}}}')
    code, _, err = run(capsys, monkeypatch, ["users", "check"])
    assert code == 2 and "not a bcrypt hash" in err
