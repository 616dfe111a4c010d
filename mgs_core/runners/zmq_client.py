"""Remote runner: sends ROI crops to an ``mgs serve`` process over ZeroMQ (protocol in docs/protocol.md).

Fault tolerance (a DEALER socket with request ids, lazy-pirate style):

- while waiting for a reply the client sends a ``health`` heartbeat every ``heartbeat_s``; the server answers those
  from its I/O thread even while the model is busy, so a long batch is told apart from a dead server;
- when nothing at all has come back for ``timeout_s`` the server is taken as gone: the socket is thrown away and a
  fresh one connects. The request is retried (inference is idempotent) with growing pauses for up to
  ``retry_window_s`` (default 20 s, or ``MGS_SERVER_RETRY_S``) from the first failure, so a server that is
  restarted (crash, ``kill -9``, update) within that window costs a delay, not a frame. A ``shutting_down`` reply
  is retried the same way, ``busy`` for up to ``max_wait_s``;
- after the window, :class:`ServerError` is raised, so the caller marks the frame ``unscored_server``; while the
  server stays down, later requests get one attempt each (``timeout_s``) instead of a whole window, so a live
  stream keeps marking its frames unscored instead of freezing, and it scores again as soon as the server is back;
- a request that keeps being heartbeat-acknowledged but unanswered gives up after ``max_wait_s``.

Scores are never invented. A refused CURVE handshake or a ``forbidden`` reply (key not, or no longer, allowed)
raises at once: retrying cannot help.

Security: pass ``server_public_key`` (the server's ``NAME.key`` file or Z85 text) and ``client_secret_key_file``
(this client's ``NAME.key_secret``), or set ``MGS_SERVER_KEY`` / ``MGS_CLIENT_KEY``. A non-loopback address
without keys is refused here, since such a server requires CURVE.
"""
from __future__ import annotations

import os
import threading
import time
import uuid

import numpy as np

from mgs_core.errors import ServerError
from mgs_core.runners.base import Runner
from mgs_core.types import CropResult, RunnerInfo


DEFAULT_RETRY_WINDOW_S = 20.0
RETRY_ENV = "MGS_SERVER_RETRY_S"
RETRY_PAUSES_S = (0.1, 0.2, 0.5, 1.0)  # pause before the 1st, 2nd, 3rd, later retry (plus timeout_s per attempt)


REPEATED_HANDSHAKE_FAILURES = 3  # vague handshake failures in one attempt that mean "refused", not "restarting"
MISMATCH = ("security handshake failed: client and server disagree on CURVE (keys missing on one side, or a wrong "
            "server public key?)")


class _NoAnswer(Exception):
    """Internal: the server went silent. ``sent`` tells whether the request had left this process."""

    def __init__(self, reason: str, sent: bool):
        super().__init__(reason)
        self.sent = sent


class ZmqRunner(Runner):
    """A :class:`Runner` whose ``infer`` runs on a remote ``mgs serve``. Thread-safe (calls are serialised)."""

    def __init__(self, address: str, timeout_s: float = 1.0, server_public_key=None,
                 client_secret_key_file=None, retries: int = 1, heartbeat_s: float = 0.25,
                 max_wait_s: float = 60.0, model: str | None = None, retry_window_s: float | None = None):
        import zmq

        from mgs_core.server.keys import CLIENT_KEY_ENV, SERVER_KEY_ENV, is_loopback, load_public_key, \
            load_secret_key

        if retry_window_s is None:
            text = os.environ.get(RETRY_ENV, "").strip()
            try:
                retry_window_s = float(text) if text else DEFAULT_RETRY_WINDOW_S
            except ValueError:
                raise ServerError(f"{RETRY_ENV}={text!r} is not a number of seconds") from None
        if not (timeout_s > 0 and heartbeat_s > 0 and max_wait_s > 0) or retries < 0 \
                or not 0 <= retry_window_s < float("inf"):
            raise ServerError("timeout_s, heartbeat_s and max_wait_s must be > 0, retries >= 0 and "
                              "retry_window_s a finite number >= 0")
        self.address = address
        self.timeout_s = float(timeout_s)
        self.retries = int(retries)
        self.retry_window_s = float(retry_window_s)
        self._outage_since: float | None = None  # set while the server is unreachable (after a request gave up)
        self.heartbeat_s = float(heartbeat_s)
        self.max_wait_s = float(max_wait_s)
        self.model = model
        self.last_model: str | None = None  # model id the server reported with the last reply
        server_public_key = server_public_key or os.environ.get(SERVER_KEY_ENV) or None
        client_secret_key_file = client_secret_key_file or os.environ.get(CLIENT_KEY_ENV) or None
        if (server_public_key is None) != (client_secret_key_file is None):
            raise ServerError("CURVE needs both the server's public key and this client's secret key file")
        if server_public_key is None and not is_loopback(address):
            raise ServerError(f"{address} is not on this machine: connecting needs CURVE keys (server public key "
                              f"and client secret key; see `mgs keys generate`)")
        self._server_key = load_public_key(server_public_key) if server_public_key is not None else None
        self._client_keys = load_secret_key(client_secret_key_file) if client_secret_key_file is not None else None
        self._zmq = zmq
        self._ctx = zmq.Context()
        self._lock = threading.Lock()
        self._info: RunnerInfo | None = None
        self._sock = None
        self._prefix = uuid.uuid4().hex[:12]
        self._counter = 0
        self._closed = False
        self._connect()

    # ---- socket lifecycle -------------------------------------------------------------------------------------
    def _connect(self) -> None:
        zmq = self._zmq
        sock = self._ctx.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.IMMEDIATE, 1)  # queue only on completed (authenticated) connections
        sock.setsockopt(zmq.RECONNECT_IVL, 100)
        sock.setsockopt(zmq.RECONNECT_IVL_MAX, 1000)
        sock.setsockopt(zmq.HANDSHAKE_IVL, max(1000, int(self.timeout_s * 1000)))
        if self._server_key is not None:
            sock.curve_serverkey = self._server_key
            sock.curve_publickey = self._client_keys.public
            sock.curve_secretkey = self._client_keys.secret
        # handshake failures (a refused CURVE key, a plain client at a CURVE server) turn into a clear message
        self._monitor = sock.get_monitor_socket(zmq.EVENT_HANDSHAKE_FAILED_AUTH
                                                | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
                                                | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL)
        sock.connect(self.address)
        self._sock = sock

    def _handshake_failure(self) -> str | None:
        """Why the last connection attempts were refused, if ZeroMQ reported a definite refusal.

        A ZAP denial (the key is not allowed) or a security-protocol mismatch counts at once. A handshake that
        fails without detail counts only when it kept failing (a plain client at a CURVE server fails on every
        reconnect); once or twice is a server dying mid-handshake, an outage like any other, and is retried.
        """
        from zmq.utils.monitor import recv_monitor_message

        zmq = self._zmq
        reason = None
        vague = 0
        for _ in range(100):
            try:
                event = recv_monitor_message(self._monitor, flags=zmq.NOBLOCK)
            except zmq.Again:
                break
            if event["event"] == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
                reason = (f"the server refused this client's key (authentication status {event['value']}); "
                          "is its public key in the server's --allow directory?")
            elif event["event"] == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL:
                reason = reason or MISMATCH
            else:
                vague += 1
        if reason is None and vague >= REPEATED_HANDSHAKE_FAILURES:
            reason = MISMATCH
        return reason

    def _close_socket(self) -> None:
        if self._sock is not None:
            self._sock.disable_monitor()
            self._monitor.close(linger=0)
            self._sock.close(linger=0)
            self._sock = None

    def _reconnect(self) -> None:
        self._close_socket()
        self._connect()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._close_socket()
            self._ctx.term()

    # ---- request/reply ----------------------------------------------------------------------------------------
    def _next_id(self, kind: str) -> str:
        self._counter += 1
        return f"{self._prefix}-{kind}-{self._counter}"

    def _send(self, frames: list, until: float) -> bool:
        zmq = self._zmq
        while True:
            if self._sock.poll(max(0, int((until - time.monotonic()) * 1000)), zmq.POLLOUT):
                try:
                    self._sock.send_multipart(frames, flags=zmq.NOBLOCK, copy=False)
                    return True
                except zmq.Again:
                    pass
            if time.monotonic() >= until:
                return False

    def _exchange(self, type_: str, crops: np.ndarray | None):
        """One attempt. Returns the matching Reply; raises _NoAnswer when the server is silent."""
        from mgs_core.server import protocol

        zmq = self._zmq
        rid = self._next_id(type_)
        frames = protocol.encode_request(type_, rid, crops, model=self.model)
        start = time.monotonic()
        if not self._send(frames, start + self.timeout_s):
            raise _NoAnswer(f"could not connect within {self.timeout_s:g} s", sent=False)
        last_seen = last_ping = time.monotonic()
        while True:
            now = time.monotonic()
            if now - last_seen > self.timeout_s:
                raise _NoAnswer(f"no answer for {self.timeout_s:g} s", sent=True)
            if now - start > self.max_wait_s:
                raise ServerError(f"inference server at {self.address} did not answer request {rid} within "
                                  f"{self.max_wait_s:g} s although it is alive; not scored")
            if now - last_ping >= self.heartbeat_s:
                try:
                    self._sock.send_multipart(protocol.encode_request("health", self._next_id("hb")),
                                              flags=zmq.NOBLOCK)
                except zmq.Again:
                    pass
                last_ping = now
            wait = min(last_ping + self.heartbeat_s, last_seen + self.timeout_s + 0.001) - time.monotonic()
            if not self._sock.poll(max(1, int(wait * 1000)), zmq.POLLIN):
                continue
            reply = protocol.decode_reply(self._sock.recv_multipart())
            last_seen = time.monotonic()
            if reply.request_id == rid or (reply.request_id is None and not reply.ok):
                return reply
            # a heartbeat answer or a stale reply: the server is alive, keep waiting

    def _request(self, type_: str, crops: np.ndarray | None = None):
        with self._lock:
            if self._closed:
                raise ServerError("this remote runner is closed")
            attempts = 0
            busy_until = time.monotonic() + self.max_wait_s
            first_failure: float | None = None
            # a server already found down when this request starts gets one attempt, not another whole window
            degraded = self._outage_since is not None
            window = 0.0 if degraded else self.retry_window_s
            while True:
                try:
                    reply = self._exchange(type_, crops)
                except _NoAnswer as exc:
                    refused = self._handshake_failure()
                    self._reconnect()
                    attempts += 1
                    if refused:
                        raise ServerError(f"inference server at {self.address} refused the connection: "
                                          f"{refused}; not scored") from None
                    now = time.monotonic()
                    first_failure = first_failure if first_failure is not None else now
                    if (exc.sent and attempts <= self.retries and not degraded) or now - first_failure < window:
                        self._pause(attempts, first_failure + window)
                        continue
                    self._outage_since = self._outage_since or first_failure
                    waited = f" (retried for {now - first_failure:.1f} s)" if window else ""
                    raise ServerError(f"inference server at {self.address} unreachable: {exc}{waited}; not scored "
                                      "(reconnecting in the background)") from None
                if reply.ok:
                    self.last_model = reply.model
                    self._outage_since = None
                    return reply
                if reply.code == "busy" and time.monotonic() < busy_until:
                    time.sleep(0.05)
                    continue
                if reply.code == "shutting_down":
                    now = time.monotonic()
                    first_failure = first_failure if first_failure is not None else now
                    if now - first_failure < window:
                        attempts += 1
                        self._pause(attempts, first_failure + window)
                        continue
                raise ServerError(f"inference server at {self.address} refused the request "
                                  f"({reply.code}): {reply.error}")

    @staticmethod
    def _pause(attempt: int, until: float) -> None:
        pause = RETRY_PAUSES_S[min(attempt, len(RETRY_PAUSES_S)) - 1]
        time.sleep(max(0.0, min(pause, until - time.monotonic())))

    # ---- Runner -----------------------------------------------------------------------------------------------
    def infer(self, crops: np.ndarray) -> list[CropResult]:
        crops = np.asarray(crops)
        if crops.ndim != 4 or crops.shape[-1] != 3 or crops.dtype != np.uint8:
            raise ServerError(f"crops must be an (N, S, S, 3) uint8 array, got {crops.shape} {crops.dtype}")
        if len(crops) == 0:
            return []
        reply = self._request("infer", np.ascontiguousarray(crops))
        if len(reply.results) != len(crops):
            raise ServerError(f"inference server at {self.address} returned {len(reply.results)} results for "
                              f"{len(crops)} crops")
        return list(reply.results)

    def info(self) -> RunnerInfo:
        if self._info is None:
            remote = self._request("info").info
            self._info = RunnerInfo(backend="zmq", device=remote.device, roi_size=remote.roi_size,
                                    seg_model=remote.seg_model, score_model=remote.score_model,
                                    address=self.address)
        return self._info

    def health(self):
        """The server's :class:`~mgs_core.server.protocol.ServerHealth` (raises ServerError when unreachable)."""
        return self._request("health").health
