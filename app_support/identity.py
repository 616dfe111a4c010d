"""Who is acting: the signed-in user in shared mode, else the operating-system user (loopback mode).

Every run, label set, trained model and report records :func:`current_user` in its provenance.
"""
from __future__ import annotations

import getpass

import streamlit as st

SESSION_KEY = "mgs_user"


def os_user() -> str:
    try:
        return getpass.getuser() or "unknown"
    except Exception:  # no passwd entry (containers)
        return "unknown"


def current_user() -> str:
    """The signed-in user's name when there is one, else the OS user running the app."""
    user = st.session_state.get(SESSION_KEY)
    return str(user) if user else os_user()
