"""Roles, ordered: viewer < operator < admin, and the check every action makes before it runs."""
from __future__ import annotations

from mgs_core.errors import MGSError

VIEWER, OPERATOR, ADMIN = "viewer", "operator", "admin"
ROLES = (VIEWER, OPERATOR, ADMIN)  # each role may do everything the ones before it may
WHAT = {VIEWER: "score curves, reports and downloads",
        OPERATOR: "also score videos, label frames and run live scoring",
        ADMIN: "also train and activate models, manage users and the allowed inference servers"}


class AccessError(MGSError):
    """The users file or a sign-in setting is missing or malformed, or a name/role/password is not acceptable."""


class PermissionDenied(MGSError):
    """The signed-in user's role does not allow this action (or nobody is signed in)."""


def check_role(role: str, source: str = "") -> str:
    """``role`` when it is one of ROLES; AccessError naming ``source`` otherwise."""
    if role not in ROLES:
        where = f" in {source}" if source else ""
        raise AccessError(f"unknown role {role!r}{where}: use one of {', '.join(ROLES)}")
    return role


def allows(role: str, needed: str) -> bool:
    """Does ``role`` include ``needed``?"""
    return ROLES.index(check_role(role)) >= ROLES.index(check_role(needed))


def require(user: str | None, role: str | None, needed: str, action: str) -> None:
    """Raise PermissionDenied unless ``user`` (with ``role``) may ``action`` (which needs ``needed``)."""
    if not user or not role:
        raise PermissionDenied(f"sign in first: to {action} you need the {needed} role")
    if not allows(role, needed):
        raise PermissionDenied(f"not allowed: to {action} you need the {needed} role; {user} is a {role}")
