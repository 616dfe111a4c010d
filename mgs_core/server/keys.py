"""CURVE keys for the inference server: generation, loading, the client allow-list and the loopback rule.

A key pair is two files written by :func:`zmq.auth.create_certificates`: ``NAME.key`` (public, safe to copy) and
``NAME.key_secret`` (public + secret, mode 0600). The server loads its own ``.key_secret`` and accepts only clients
whose public ``.key`` file lies in its allow-list directory (ZAP handler ``zmq.auth.thread.ThreadAuthenticator``).
"""
from __future__ import annotations

import ipaddress
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from mgs_core.errors import InputError

SERVER_KEY_ENV = "MGS_SERVER_KEY"  # path to the server's public NAME.key (client side)
CLIENT_KEY_ENV = "MGS_CLIENT_KEY"  # path to this client's NAME.key_secret (client side)


@dataclass(frozen=True)
class KeyPairFiles:
    public: Path
    secret: Path


@dataclass(frozen=True)
class KeyPair:
    public: bytes  # Z85, 40 bytes
    secret: bytes


def generate_keypair(out_dir: str | Path, name: str = "mgs", overwrite: bool = False) -> KeyPairFiles:
    """Write ``out_dir/NAME.key`` and ``out_dir/NAME.key_secret`` (0600). Refuses to overwrite unless asked."""
    import zmq.auth

    if not name or "/" in name or name.startswith("."):
        raise InputError(f"key name {name!r} must be a plain file name")
    out = Path(out_dir)
    public, secret = out / f"{name}.key", out / f"{name}.key_secret"
    if not overwrite and (public.exists() or secret.exists()):
        raise InputError(f"{public} or {secret} already exists; choose another --name or remove them")
    out.mkdir(parents=True, exist_ok=True)
    pub_path, sec_path = zmq.auth.create_certificates(str(out), name)
    os.chmod(sec_path, 0o600)
    return KeyPairFiles(public=Path(pub_path), secret=Path(sec_path))


def load_secret_key(path: str | Path) -> KeyPair:
    """Load a ``NAME.key_secret`` file (public and secret key)."""
    import zmq.auth

    path = Path(path)
    if not path.is_file():
        raise InputError(f"secret key file {path} does not exist (create one with `mgs keys generate`)")
    try:
        public, secret = zmq.auth.load_certificate(str(path))
    except (ValueError, OSError) as exc:
        raise InputError(f"{path} is not a ZeroMQ certificate ({exc})") from None
    if not secret:
        raise InputError(f"{path} holds no secret key; pass the NAME.key_secret file, not NAME.key")
    return KeyPair(public=public, secret=secret)


def load_public_key(key: str | Path | bytes) -> bytes:
    """A server public key given as a ``NAME.key``/``NAME.key_secret`` file or as the 40-character Z85 text."""
    import zmq.auth

    if isinstance(key, bytes):
        key_text = key
    else:
        path = Path(key)
        if path.is_file():
            try:
                public, _ = zmq.auth.load_certificate(str(path))
            except (ValueError, OSError) as exc:
                raise InputError(f"{path} is not a ZeroMQ certificate ({exc})") from None
            return public
        key_text = str(key).encode()
    if len(key_text) != 40:
        raise InputError(f"server public key {key!s} is neither a key file nor a 40-character Z85 key")
    return key_text


def check_allow_dir(allow_dir: str | Path) -> Path:
    """The allow-list directory must exist and hold at least one public ``*.key`` file."""
    path = Path(allow_dir)
    if not path.is_dir():
        raise InputError(f"allow-list directory {path} does not exist")
    if not any(path.glob("*.key")):
        raise InputError(f"allow-list directory {path} holds no client public keys (*.key); copy each client's "
                         "NAME.key there")
    return path


class AllowList:
    """The client public keys (Z85) in an allow-list directory, re-read when the directory changes.

    :meth:`reload` (the server calls it about once a second, and on SIGHUP) re-reads the ``*.key`` files when their
    names, sizes or modification times changed; a file that is not a ZeroMQ certificate is skipped with a warning.
    :meth:`callback` is the pyzmq credentials provider consulted at every CURVE handshake, and :meth:`allows`
    lets the server refuse requests from connections whose key was removed after they connected.
    """

    def __init__(self, directory: str | Path, log: logging.Logger | None = None):
        self.directory = check_allow_dir(directory)
        self.log = log or logging.getLogger("mgs.server.auth")
        self._lock = threading.Lock()
        self._signature: tuple | None = None
        self.keys: frozenset[bytes] = frozenset()
        self.reload()

    def _scan(self) -> tuple:
        try:
            entries = sorted(self.directory.glob("*.key"))
            return tuple((p.name, st.st_size, st.st_mtime_ns) for p in entries for st in [p.stat()])
        except OSError:
            return ()

    def reload(self, force: bool = False) -> bool:
        """Re-read the directory if it changed (or ``force``). Returns True when the set of keys changed."""
        import zmq.auth

        signature = self._scan()
        if not force and signature == self._signature:
            return False
        keys = set()
        for name, _, _ in signature:
            try:
                public, _ = zmq.auth.load_certificate(str(self.directory / name))
            except (ValueError, OSError) as exc:
                self.log.warning("allow-list: skipping %s (%s)", name, exc)
                continue
            if public:
                keys.add(bytes(public))
        with self._lock:
            changed = frozenset(keys) != self.keys
            self.keys = frozenset(keys)
            self._signature = signature
        if changed:
            self.log.info("allow-list %s: %d client key(s)", self.directory, len(keys))
        return changed

    def allows(self, z85_key: bytes | str) -> bool:
        key = z85_key.encode() if isinstance(z85_key, str) else bytes(z85_key)
        return key in self.keys

    def callback(self, domain: str, z85_key: bytes) -> bool:  # pyzmq credentials provider
        return self.allows(z85_key)


def is_loopback(endpoint: str) -> bool:
    """True when a ZeroMQ endpoint only reaches this machine (127.0.0.0/8, ::1, localhost, ipc://, inproc://)."""
    if endpoint.startswith(("ipc://", "inproc://")):
        return True
    if not endpoint.startswith("tcp://"):
        return False
    host = endpoint[len("tcp://"):].split(";")[-1]  # tcp://source;dest: judge the destination
    if host.startswith("["):
        host = host[1:host.find("]")] if "]" in host else host
    else:
        host = host.rsplit(":", 1)[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
