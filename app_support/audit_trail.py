"""The app's side of the audit trail: records name :func:`identity.current_user` (mgs_core.access.audit)."""
from __future__ import annotations

from app_support.identity import current_user
from mgs_core.access import audit


def record(action: str, target: str, **details) -> None:
    """Append one audit record for the acting user (fsync'd before it returns)."""
    audit.record(current_user(), action, target, {k: v for k, v in details.items() if v is not None})
