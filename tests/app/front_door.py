"""Start the app the way a user does (`./run app [--lan]`, with the venv of this test run) and read which
addresses it listens on from /proc/net/tcp{,6}."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

from streamlit_server import stop, wait_healthy

REPO = Path(__file__).resolve().parents[2]


def run_env(**extra: str) -> dict:
    """``./run`` without its install step, on the interpreter running the tests."""
    return dict(os.environ, MGS_NO_SETUP="1", MGS_VENV=str(Path(sys.executable).parent.parent),
                PYTHONPATH=os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p), **extra)


def _hex_address(hexaddr: str) -> str:
    if len(hexaddr) == 8:
        return ".".join(str(int(hexaddr[i:i + 2], 16)) for i in (6, 4, 2, 0))
    words = [hexaddr[i:i + 8] for i in range(0, 32, 8)]  # tcp6: four little-endian 32-bit words
    raw = b"".join(bytes.fromhex(w)[::-1] for w in words)
    import ipaddress

    return str(ipaddress.IPv6Address(raw))


def listening(port: int) -> set[str]:
    """The local addresses with a socket in LISTEN state on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            addr, p = local.split(":")
            if state == "0A" and int(p, 16) == port:
                found.add(_hex_address(addr))
    return found


@contextlib.contextmanager
def started(args: list[str], port: int, log: Path, **env: str):
    """``./run app ARGS --server.port PORT``; yields (url, process) once healthy."""
    proc = subprocess.Popen([str(REPO / "run"), "app", *args, "--server.port", str(port),
                             "--server.fileWatcherType", "none"], cwd=REPO, env=run_env(**env),
                            stdout=subprocess.DEVNULL, stderr=open(log, "w"), start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log=log)
        yield url, proc
    finally:
        stop(proc)
