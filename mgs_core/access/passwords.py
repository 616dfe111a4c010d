"""Password hashes: bcrypt (``$2b$<cost>$`` + 53 characters), checked for format before they are trusted."""
from __future__ import annotations

import re

from mgs_core.access.roles import AccessError

COST = 12  # about 0.3 s per check on a 2-core lab PC: cheap for a person, slow for a guesser
MIN_LENGTH = 8
_BCRYPT = re.compile(r"^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$")


def _bcrypt():
    try:
        import bcrypt
    except ImportError as exc:  # the pinned requirement is missing from this installation
        raise AccessError("the bcrypt package is not installed (pip install -r requirements.txt)") from exc
    return bcrypt


def check_hash(value: object, source: str = "") -> str:
    """``value`` when it looks like a bcrypt hash; AccessError naming ``source`` otherwise (never a plain password)."""
    if not isinstance(value, str) or not _BCRYPT.match(value):
        where = f" for {source}" if source else ""
        raise AccessError(f"the password hash{where} is not a bcrypt hash ($2b$12$ followed by 53 characters): "
                          "set the password again with `mgs users add NAME --role ROLE --force`")
    return value


def check_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise AccessError(f"the password is too short: use at least {MIN_LENGTH} characters")
    if len(password.encode()) > 72:
        raise AccessError("the password is longer than bcrypt accepts (72 bytes): use a shorter one")
    return password


def hash_password(password: str, cost: int = COST) -> str:
    bcrypt = _bcrypt()
    return bcrypt.hashpw(check_password(password).encode(), bcrypt.gensalt(cost)).decode("ascii")


def verify_password(password: str, hashed: str) -> bool:
    """True when ``password`` matches ``hashed`` (a bcrypt hash; a malformed hash raises AccessError)."""
    check_hash(hashed)
    if len(password.encode()) > 72:
        return False
    return _bcrypt().checkpw(password.encode(), hashed.encode("ascii"))
