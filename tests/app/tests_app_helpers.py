"""Users files for the front-door tests (fast bcrypt cost; every password is NAME-password)."""
import json

from mgs_core.access.passwords import hash_password

ROLES = {"ada": "admin", "olly": "operator", "vera": "viewer"}


def make_users(path, servers=(), idle_minutes=30):
    users = {name: {"role": role, "hash": hash_password(f"{name}-password", cost=4)} for name, role in ROLES.items()}
    path.write_text(json.dumps({"format": "mgs-live-users", "version": 1, "session_idle_minutes": idle_minutes,
                                "servers": list(servers), "users": users}))
    return path
