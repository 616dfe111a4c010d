"""`mgs users`: accounts for the app's shared mode (`./run app --lan`), kept in the users file (docs/security.md)."""
from __future__ import annotations

import argparse
import getpass
import sys

from mgs_core.access.roles import ROLES, AccessError


def register(subparsers) -> None:
    p = subparsers.add_parser("users", help="accounts and allowed inference servers for the shared app",
                              description="Manage the users file of the app's shared mode (MGS_USERS_FILE, default "
                                          "~/.config/mgs-live/users.json): accounts with a role (viewer < operator "
                                          "< admin) and a bcrypt-hashed password, and the inference servers an "
                                          "operator may choose.")
    p.add_argument("--file", help="the users file (default: MGS_USERS_FILE or ~/.config/mgs-live/users.json)")
    sub = p.add_subparsers(dest="users_command", metavar="ACTION")
    a = sub.add_parser("add", help="create a user (the password is asked for, or read from stdin)")
    a.add_argument("name")
    a.add_argument("--role", required=True, choices=ROLES)
    a.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    a.add_argument("--force", action="store_true", help="replace an existing user's role and password")
    a.set_defaults(func=cmd_add)
    ls = sub.add_parser("list", help="list the users and the allowed servers")
    ls.set_defaults(func=cmd_list)
    r = sub.add_parser("remove", help="delete a user")
    r.add_argument("name")
    r.set_defaults(func=cmd_remove)
    s = sub.add_parser("set-role", help="change a user's role")
    s.add_argument("name")
    s.add_argument("role")
    s.set_defaults(func=cmd_set_role)
    v = sub.add_parser("servers", help="set the allowed inference servers (none given: list them)")
    v.add_argument("address", nargs="*", help="tcp://HOST:PORT of an `mgs serve`")
    v.add_argument("--clear", action="store_true", help="allow no remote server")
    v.set_defaults(func=cmd_servers)
    c = sub.add_parser("check", help="exit 0 when sign-in is set up for shared mode, else say what to set up")
    c.set_defaults(func=cmd_check)
    p.set_defaults(func=lambda args: (p.print_help(), 1)[1])


def _path(args):
    from mgs_core.access.users import users_file

    return args.file or users_file()


def _audit(action: str, target: str, details: dict | None = None) -> None:
    from mgs_core.access.audit import record
    from mgs_core.access.who import os_user

    record(os_user(), action, target, details)


def _password(args) -> str:
    if args.password_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise AccessError("no password on stdin")
        return line
    if not sys.stdin.isatty():
        raise AccessError("no terminal to ask for the password: pass it on stdin with --password-stdin")
    first = getpass.getpass(f"password for {args.name}: ")
    if getpass.getpass("again: ") != first:
        raise AccessError("the two passwords differ; nothing was changed")
    return first


def cmd_add(args: argparse.Namespace) -> int:
    from mgs_core.access.users import add_user

    user = add_user(_path(args), args.name, args.role, _password(args), force=args.force)
    _audit("users.add", user.name, {"role": user.role, "file": str(_path(args))})
    print(f"{user.name}: {user.role} (in {_path(args)})")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from mgs_core.access.users import load_config

    cfg = load_config(_path(args))
    if cfg is None:
        print(f"no users file at {_path(args)}: the app serves on 127.0.0.1 only, as the local user")
        return 0
    for user in sorted(cfg.users.values(), key=lambda u: u.name):
        print(f"{user.name:<24} {user.role}")
    print(f"servers: {', '.join(cfg.servers) or 'none (remote inference off in shared mode)'}")
    print(f"signed out after {cfg.idle_minutes:g} min idle; {cfg.max_failures} failed sign-ins lock a name for "
          f"{cfg.lockout_minutes:g} min")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from mgs_core.access.users import remove_user

    user = remove_user(_path(args), args.name)
    _audit("users.remove", user.name, {"file": str(_path(args))})
    print(f"removed {user.name}")
    return 0


def cmd_set_role(args: argparse.Namespace) -> int:
    from mgs_core.access.users import set_role

    user = set_role(_path(args), args.name, args.role)
    _audit("users.set_role", user.name, {"role": user.role, "file": str(_path(args))})
    print(f"{user.name}: {user.role}")
    return 0


def cmd_servers(args: argparse.Namespace) -> int:
    from mgs_core.access.users import load_config, set_servers

    if args.address or args.clear:
        cfg = set_servers(_path(args), [] if args.clear else args.address)
        _audit("servers.set", ",".join(cfg.servers) or "none", {"file": str(_path(args))})
    else:
        cfg = load_config(_path(args))
    print("\n".join(cfg.servers) if cfg and cfg.servers else "no remote inference server is allowed")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from mgs_core.access.users import require_config

    cfg = require_config(_path(args))
    print(f"sign-in is set up: {len(cfg.users)} users in {cfg.path}")
    return 0
