"""Start and stop an ``mgs serve`` process (used by the load benchmark and the tests).

The process logs to a file (never a pipe that could fill up); :meth:`ServerProcess.start` waits, bounded in time,
until the server answers a ``health`` request, and always kills the process if it does not.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mgs_core.errors import ServerError


def free_tcp_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_command(bind: str, seg=None, score=None, device: str = "cpu", max_batch: int = 16,
                  keys=None, allow=None, backend: str = "auto", extra: list[str] | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "mgs_core.cli", "serve", "--bind", bind, "--device", device,
           "--max-batch", str(max_batch), "--backend", backend]
    for flag, value in (("--seg", seg), ("--score", score), ("--keys", keys), ("--allow", allow)):
        if value is not None:
            cmd += [flag, str(value)]
    return cmd + list(extra or [])


def read_rss_kb(pid: int) -> int:
    """Resident memory of a process in KiB (VmRSS from /proc/PID/status)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise ServerError(f"process {pid} reports no VmRSS")


class ServerProcess:
    """One server subprocess. Use as a context manager so it is always stopped."""

    def __init__(self, command: list[str], address: str, env: dict | None = None, client_kwargs: dict | None = None):
        self.command = list(command)
        self.address = address
        self.env = {**os.environ, **(env or {})}
        self.client_kwargs = dict(client_kwargs or {})
        self.proc: subprocess.Popen | None = None
        self._log = None
        self.log_path: Path | None = None

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise ServerError("server process not started")
        return self.proc.pid

    def start(self, timeout_s: float = 60.0) -> "ServerProcess":
        from mgs_core.runners.zmq_client import ZmqRunner

        self._log = tempfile.NamedTemporaryFile(prefix="mgs-serve-", suffix=".log", delete=False)
        self.log_path = Path(self._log.name)
        self.proc = subprocess.Popen(self.command, stdout=self._log, stderr=subprocess.STDOUT, env=self.env,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        client = ZmqRunner(self.address, timeout_s=0.5, retries=0, retry_window_s=0, **self.client_kwargs)
        try:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise ServerError(f"server exited with code {self.proc.returncode}: {self.log_tail()}")
                try:
                    client.health()
                    return self
                except ServerError:
                    time.sleep(0.1)
            raise ServerError(f"server not ready within {timeout_s:g} s: {self.log_tail()}")
        except BaseException:
            self.kill()
            raise
        finally:
            client.close()

    def log_tail(self, n: int = 15) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])

    def kill(self) -> None:
        """SIGKILL (simulates a crash) and reap."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self, timeout_s: float = 10.0) -> int | None:
        """SIGTERM (clean shutdown), SIGKILL if it does not exit in time. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._log is not None:
            self._log.close()
        return self.proc.returncode

    def cleanup(self) -> None:
        self.stop()
        if self.log_path is not None and self.log_path.exists():
            self.log_path.unlink()

    def __enter__(self) -> "ServerProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.cleanup()
