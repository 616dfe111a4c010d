"""The app's front door: loopback mode or signed-in shared mode, the sign-in form, and the role check that every
action makes in its call path (docs/security.md).

- **Loopback mode** (no users file): the app is reachable from this computer only; the OS user acts as admin.
  Started on a non-loopback address without a users file, it serves no page at all, only the reason.
- **Shared mode** (a users file exists, :mod:`mgs_core.access.users`): every page needs a signed-in user; the
  session ends after the file's idle time; failed sign-ins are limited per user name and client address.
- :func:`require` is called by the action functions (scoring runners, label events, training and fine-tuning
  starters, model activation): a viewer calling them gets :class:`PermissionDenied`, which the page shows.
"""
from __future__ import annotations

import ipaddress
import time
from pathlib import Path

import streamlit as st

from app_support import identity
from mgs_core.access import audit
from mgs_core.access.ratelimit import SignInLimiter
from mgs_core.access.roles import ADMIN, OPERATOR, VIEWER, WHAT, AccessError, PermissionDenied
from mgs_core.access.roles import require as _require
from mgs_core.access.users import AccessConfig, allowed_server, authenticate, load_config, users_file

ROLE_KEY, SEEN_KEY, NOTE_KEY = "mgs_role", "mgs_seen", "mgs_signin_note"
__all__ = ["ADMIN", "OPERATOR", "VIEWER", "PermissionDenied", "gate", "require", "role", "shared", "server_input", "check_server"]


def is_loopback(address: str | None) -> bool:
    """Does a Streamlit ``server.address`` listen on this computer only? (empty = every interface)"""
    address = (address or "").strip().strip("[]")
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def exposed() -> bool:
    """Is this a real server listening beyond loopback? (AppTest and bare runs have no server: nothing listens.)"""
    from streamlit.runtime import Runtime

    return Runtime.exists() and not is_loopback(st.get_option("server.address"))


def config() -> AccessConfig | None:
    """The users file (None = loopback mode); AccessError when it exists but cannot be used."""
    return load_config()


def shared() -> bool:
    return config() is not None


def _client() -> str:
    try:
        return str(st.context.ip_address or "this computer")  # None = a loopback connection
    except Exception:  # noqa: BLE001 - no request context (AppTest)
        return "local"


def limiter(cfg: AccessConfig) -> SignInLimiter:
    return SignInLimiter(Path(cfg.path).with_name("signin_failures.json"), cfg.max_failures,
                         cfg.lockout_minutes * 60)


def role() -> tuple[str | None, str | None]:
    """(user, role) of this session: the OS user as admin in loopback mode; in shared mode the signed-in user with
    the role the users file gives now (a changed role applies at once), or (None, None)."""
    cfg = config()
    if cfg is None:
        return identity.os_user(), ADMIN
    name = st.session_state.get(identity.SESSION_KEY)
    user = cfg.users.get(name) if name else None
    return (user.name, user.role) if user else (None, None)


def require(needed: str, action: str) -> str:
    """The acting user's name when their role includes ``needed``; PermissionDenied otherwise."""
    user, have = role()
    _require(user, have, needed, action)
    return user


def _sign_out(note: str = "") -> None:
    for key in (identity.SESSION_KEY, ROLE_KEY, SEEN_KEY):
        st.session_state.pop(key, None)
    if note:
        st.session_state[NOTE_KEY] = note


def sign_in(cfg: AccessConfig, name: str, password: str, client: str, now: float | None = None) -> str:
    """Check a sign-in; on success the session is signed in. Returns "" or the message to show (nothing else)."""
    name = (name or "").strip()
    if not name or not password:
        return "Enter your user name and password."
    lim = limiter(cfg)
    wait = lim.wait_s(name, client, now)
    if wait > 0:
        return (f"Too many failed sign-ins for {name} from this address: try again in {wait / 60:.0f} min "
                f"(or ask an admin).")
    user = authenticate(cfg, name, password)
    if user is None:
        lim.failed(name, client, now)
        audit.record(name, "signin.failed", client)
        return "Wrong user name or password."
    lim.succeeded(name, client)
    st.session_state.update({identity.SESSION_KEY: user.name, ROLE_KEY: user.role,
                             SEEN_KEY: time.time() if now is None else now})
    audit.record(user.name, "signin", client, {"role": user.role})
    return ""


def _only(page, title: str, url_path: str) -> None:
    """Serve ``page`` alone: no other page is registered, so a page's own address (a bookmarked /batch) gets
    Streamlit's "page not found" note and then this page."""
    st.navigation([st.Page(page, title=title, url_path=url_path, default=True)], position="hidden").run()
    st.stop()


def _refuse(message: str) -> None:
    def page():
        st.title("MGS Live is not available")
        st.error(message)
        st.markdown("See docs/security.md: `./run app` serves this computer only; `./run app --lan` needs "
                    "accounts (`.venv/bin/mgs users add NAME --role admin`).")

    _only(page, "Not available", "unavailable")


def _signin_page(cfg: AccessConfig) -> None:
    def page():
        st.title("MGS Live: sign in")
        note = st.session_state.pop(NOTE_KEY, "")
        if note:
            st.info(note)
        with st.form("signin", clear_on_submit=False):
            name = st.text_input("User name", key="signin_name")
            password = st.text_input("Password", type="password", key="signin_password")
            go = st.form_submit_button("Sign in", type="primary")
        if go:
            error = sign_in(cfg, name, password, _client())
            if error:
                st.error(error)
            else:
                st.rerun()
        st.caption("Accounts are made by the administrator on the server (`mgs users add`). The session ends after "
                   f"{cfg.idle_minutes:g} minutes without activity.")

    _only(page, "Sign in", "signin")


def gate() -> None:
    """Run before the pages: returns only when this session may see them (module docstring); else it draws the
    sign-in form or the reason nothing is served, and stops the script."""
    try:
        cfg = config()
    except AccessError as exc:
        _refuse(f"Sign-in is configured but cannot be used: {exc}")
        return
    if cfg is None:
        if exposed():
            _refuse(f"This server listens on the network ({st.get_option('server.address') or 'every interface'}), "
                    f"but sign-in is not set up (no users file at {users_file()}). Restart it with `./run app` "
                    "(this computer only), or create accounts first and use `./run app --lan`.")
        return
    if not any(u.role == ADMIN for u in cfg.users.values()):
        _refuse(f"The users file {cfg.path} has no admin: add one with `mgs users add NAME --role admin`.")
    name = st.session_state.get(identity.SESSION_KEY)
    if name:
        now = time.time()
        if name not in cfg.users:
            _sign_out(f"{name} is no longer an account on this server.")
        elif now - float(st.session_state.get(SEEN_KEY, 0)) > cfg.idle_minutes * 60:
            _sign_out(f"Signed out after {cfg.idle_minutes:g} minutes without activity; sign in again.")
            audit.record(name, "signout.idle", _client())
        else:
            st.session_state[SEEN_KEY] = now
            return
    _signin_page(cfg)


def sidebar_account() -> None:
    """Who is signed in, their role and Sign out (shared mode); the local-mode note otherwise."""
    user, have = role()
    with st.sidebar:
        if not shared():
            st.caption(f"This computer only (127.0.0.1), as **{user}** (admin).")
            return
        st.markdown(f"Signed in as **{user}** ({have}: {WHAT[have]}).")
        if st.button("Sign out", key="sb_signout"):
            audit.record(user, "signout", _client())
            _sign_out("Signed out.")
            st.rerun()


def check_server(address: str) -> str:
    """``address`` when it may be used: anything in loopback mode, only the users file's list in shared mode."""
    cfg = config()
    return address if cfg is None else allowed_server(cfg, address)


def server_input(current: str | None, default: str = "tcp://127.0.0.1:5555") -> str | None:
    """The remote-server widget: free text in loopback mode; in shared mode a choice from the admin's list."""
    cfg = config()
    if cfg is None:
        return st.text_input("Server address", value=current or default, key="sb_server",
                             help="The address printed by `mgs serve`.")
    if not cfg.servers:
        st.caption("No remote inference server is allowed on this server (an admin adds them with "
                   "`mgs users servers`).")
        return None
    options = list(cfg.servers)
    return st.selectbox("Server", options, index=options.index(current) if current in options else 0,
                        key="sb_server_choice", help="The servers an admin allowed (`mgs users servers`).")

