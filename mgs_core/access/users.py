"""The users file: accounts (name, role, bcrypt hash), the allowed inference servers and the sign-in settings.

Where: ``MGS_USERS_FILE``, default ``~/.config/mgs-live/users.json`` (mode 0600; written atomically). Format::

    {"format": "mgs-live-users", "version": 1,
     "session_idle_minutes": 30,                      # signed out after this long without a page action
     "signin": {"max_failures": 5, "lockout_minutes": 15},
     "servers": ["tcp://gpu-box:5555"],              # the only remote inference servers shared mode may use
     "users": {"alice": {"role": "admin", "hash": "$2b$12$..."}}}

A file that exists is always used: when it cannot be read or is malformed, every check raises AccessError naming
it (the app then serves nothing; it never falls back to open). No file = loopback-only mode.
"""
from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from mgs_core.access.passwords import check_hash, hash_password, verify_password
from mgs_core.access.roles import ADMIN, AccessError, check_role
from mgs_core.io.durable import fsync_dir

FORMAT, VERSION = "mgs-live-users", 1
DEFAULT_IDLE_MINUTES = 30.0
DEFAULT_MAX_FAILURES = 5
DEFAULT_LOCKOUT_MINUTES = 15.0
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_SERVER = re.compile(r"^tcp://[A-Za-z0-9._-]+:[0-9]{1,5}$")


def users_file() -> Path:
    """The configured users file (it need not exist)."""
    return Path(os.environ.get("MGS_USERS_FILE") or Path.home() / ".config" / "mgs-live" / "users.json").expanduser()


@dataclass(frozen=True)
class User:
    name: str
    role: str
    hash: str


@dataclass(frozen=True)
class AccessConfig:
    path: Path
    users: dict[str, User] = field(default_factory=dict)
    servers: tuple[str, ...] = ()
    idle_minutes: float = DEFAULT_IDLE_MINUTES
    max_failures: int = DEFAULT_MAX_FAILURES
    lockout_minutes: float = DEFAULT_LOCKOUT_MINUTES

    def to_dict(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "session_idle_minutes": self.idle_minutes,
                "signin": {"max_failures": self.max_failures, "lockout_minutes": self.lockout_minutes},
                "servers": list(self.servers),
                "users": {u.name: {"role": u.role, "hash": u.hash} for u in sorted(self.users.values(),
                                                                                   key=lambda u: u.name)}}


def check_name(name: object, source: str = "") -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        where = f" in {source}" if source else ""
        raise AccessError(f"user name {name!r}{where} is not allowed: 1-64 letters, digits, '.', '_', '@' or '-', "
                          "starting with a letter or digit")
    return name


def check_server(address: object, source: str = "") -> str:
    if not isinstance(address, str) or not _SERVER.match(address.strip()):
        where = f" in {source}" if source else ""
        raise AccessError(f"server address {address!r}{where} is not of the form tcp://HOST:PORT")
    return address.strip()


def _number(raw: dict, key: str, default: float, path: Path, minimum: float) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise AccessError(f"{path}: {key!r} must be a number >= {minimum:g}, got {value!r}")
    return float(value)


def parse_config(raw: object, path: Path) -> AccessConfig:
    """Validate the JSON of a users file; AccessError naming ``path`` and the offending entry."""
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise AccessError(f"{path} is not an MGS Live users file (expected \"format\": \"{FORMAT}\"); create one "
                          "with `mgs users add NAME --role admin`")
    if raw.get("version") != VERSION:
        raise AccessError(f"{path} has version {raw.get('version')!r}; this MGS Live reads version {VERSION}")
    users_raw = raw.get("users", {})
    if not isinstance(users_raw, dict):
        raise AccessError(f"{path}: \"users\" must be an object of NAME: {{\"role\": ..., \"hash\": ...}}")
    users = {}
    for name, entry in users_raw.items():
        check_name(name, str(path))
        if not isinstance(entry, dict):
            raise AccessError(f"{path}: user {name!r} must be an object with \"role\" and \"hash\"")
        role = check_role(entry.get("role"), f"{path} (user {name!r})")
        users[name] = User(name, role, check_hash(entry.get("hash"), f"user {name!r} in {path}"))
    servers_raw = raw.get("servers", [])
    if not isinstance(servers_raw, list):
        raise AccessError(f"{path}: \"servers\" must be a list of tcp://HOST:PORT addresses")
    servers = tuple(check_server(s, str(path)) for s in servers_raw)
    signin = raw.get("signin", {})
    if not isinstance(signin, dict):
        raise AccessError(f"{path}: \"signin\" must be an object")
    return AccessConfig(path, users, servers, _number(raw, "session_idle_minutes", DEFAULT_IDLE_MINUTES, path, 1),
                        int(_number(signin, "max_failures", DEFAULT_MAX_FAILURES, path, 1)),
                        _number(signin, "lockout_minutes", DEFAULT_LOCKOUT_MINUTES, path, 0))


def load_config(path: str | Path | None = None) -> AccessConfig | None:
    """The users file at ``path`` (default :func:`users_file`), or None when there is none."""
    path = Path(path) if path else users_file()
    if not path.exists():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AccessError(f"cannot read the users file {path} ({exc}); fix its permissions or remove it") from None
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise AccessError(f"the users file {path} is not valid JSON ({exc}); fix it or recreate it with "
                          "`mgs users add`") from None
    return parse_config(raw, path)


def require_config(path: str | Path | None = None) -> AccessConfig:
    """The users file, which must exist and list at least one user with the admin role (shared mode)."""
    path = Path(path) if path else users_file()
    cfg = load_config(path)
    if cfg is None:
        raise AccessError(f"sign-in is not set up: there is no users file at {path}. Create an account with "
                          "`.venv/bin/mgs users add NAME --role admin` (or set MGS_USERS_FILE to your users file), "
                          "then start `./run app --lan` again")
    if not any(u.role == ADMIN for u in cfg.users.values()):
        raise AccessError(f"the users file {path} has no user with the admin role: add one with "
                          "`.venv/bin/mgs users add NAME --role admin`")
    return cfg


def save_config(cfg: AccessConfig) -> Path:
    """Write the users file atomically (temporary file, fsync, rename), readable by its owner only."""
    path = Path(cfg.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(cfg.to_dict(), indent=1) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
    fsync_dir(path.parent)
    return path


def _config_or_new(path: Path) -> AccessConfig:
    return load_config(path) or AccessConfig(path)


def add_user(path: str | Path, name: str, role: str, password: str, force: bool = False) -> User:
    """Create ``name`` (or, with ``force``, replace its role and password)."""
    path = Path(path)
    cfg = _config_or_new(path)
    check_name(name)
    check_role(role)
    if name in cfg.users and not force:
        raise AccessError(f"user {name!r} already exists in {path}: use `mgs users set-role` or add --force to "
                          "set a new password")
    user = User(name, role, hash_password(password))
    save_config(replace(cfg, users={**cfg.users, name: user}))
    return user


def _existing(cfg: AccessConfig, name: str) -> User:
    if name not in cfg.users:
        known = ", ".join(sorted(cfg.users)) or "none"
        raise AccessError(f"no user {name!r} in {cfg.path} (users: {known})")
    return cfg.users[name]


def _keep_an_admin(cfg: AccessConfig, users: dict[str, User]) -> None:
    if any(u.role == ADMIN for u in cfg.users.values()) and not any(u.role == ADMIN for u in users.values()):
        raise AccessError(f"{cfg.path} would have no admin left: give another user the admin role first")


def remove_user(path: str | Path, name: str) -> User:
    cfg = load_config(path) or AccessConfig(Path(path))
    user = _existing(cfg, name)
    users = {k: v for k, v in cfg.users.items() if k != name}
    _keep_an_admin(cfg, users)
    save_config(replace(cfg, users=users))
    return user


def set_role(path: str | Path, name: str, role: str) -> User:
    cfg = load_config(path) or AccessConfig(Path(path))
    user = replace(_existing(cfg, name), role=check_role(role))
    users = {**cfg.users, name: user}
    _keep_an_admin(cfg, users)
    save_config(replace(cfg, users=users))
    return user


def set_servers(path: str | Path, servers: list[str]) -> AccessConfig:
    cfg = _config_or_new(Path(path))
    new = replace(cfg, servers=tuple(dict.fromkeys(check_server(s) for s in servers)))
    save_config(new)
    return new


def authenticate(cfg: AccessConfig, name: str, password: str) -> User | None:
    """The user when ``name`` exists and ``password`` matches its hash, else None (same cost either way)."""
    user = cfg.users.get(name)
    if user is None:
        verify_password(password[:72], _dummy_hash())  # an unknown name takes as long as a wrong password
        return None
    return user if verify_password(password, user.hash) else None


def allowed_server(cfg: AccessConfig, address: str) -> str:
    """``address`` when the users file lists it; AccessError otherwise (shared mode never dials a typed address)."""
    address = (address or "").strip()
    if address not in cfg.servers:
        listed = ", ".join(cfg.servers) or "none"
        raise AccessError(f"inference server {address!r} is not in the allowed list of {cfg.path} ({listed}); an "
                          "admin adds it with `mgs users servers ADDRESS ...`")
    return address


@functools.cache
def _dummy_hash() -> str:
    return hash_password("not-a-password-of-anyone")
