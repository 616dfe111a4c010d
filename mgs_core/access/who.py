"""The operating-system user: who acts in loopback mode and from the command line."""
from __future__ import annotations

import getpass


def os_user() -> str:
    try:
        return getpass.getuser() or "unknown"
    except Exception:  # no passwd entry (containers)
        return "unknown"
