"""Who is acting: the signed-in user in shared mode, else the operating-system user (loopback mode).

Every run, label set, trained model and report records :func:`current_user` in its provenance.
"""
from __future__ import annotations

import streamlit as st

from mgs_core.access.who import os_user

SESSION_KEY = "mgs_user"  # set by app_support.auth at sign-in
__all__ = ["SESSION_KEY", "current_user", "os_user"]


def current_user() -> str:
    """The signed-in user's name when there is one, else the OS user running the app."""
    user = st.session_state.get(SESSION_KEY)
    return str(user) if user else os_user()
