"""The inference server: a ROUTER socket in front of any :class:`~mgs_core.runners.base.Runner`.

Two threads:

- the I/O thread (the caller of :meth:`InferenceServer.serve`) owns the ROUTER socket. It validates every message
  (:func:`~mgs_core.server.protocol.decode_request`), answers ``info`` and ``health`` at once (so clients'
  heartbeats are answered even while the model is busy), admits ``infer`` requests into a per-client fair queue
  (:mod:`mgs_core.server.fairness`: a bounded budget per client, model calls by turns) and, whenever the model is
  idle, hands it the next call;
- the model thread runs ``runner.infer`` on the call and wakes the I/O thread through an inproc socket, which then
  answers each client with its own results.

Nothing a client sends ends the process: every message is handled inside a guard that turns any exception into an
``internal`` error reply, logged with a server-side id. A model error (any exception, also from a wrapped runner)
becomes an error reply for the requests in that call. With CURVE, the allow-list directory is re-read when it
changes (checked every ``reload_s``) and on :meth:`InferenceServer.reload_keys` (SIGHUP in ``mgs serve``); a
connection whose key was removed gets ``forbidden`` replies. When the server goes idle after a burst it returns
freed memory to the system (glibc ``malloc_trim``). :meth:`stop` (SIGINT/SIGTERM in ``mgs serve``) ends the loop;
waiting requests get a ``shutting_down`` error reply. docs/reliability.md lists these promises and their tests.
"""
from __future__ import annotations

import ctypes
import itertools
import logging
import queue
import threading
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path

import zmq

from mgs_core.errors import InputError, MGSError
from mgs_core.runners.base import Runner
from mgs_core.server import protocol
from mgs_core.server.fairness import Batch, FairQueue, Job
from mgs_core.server.keys import AllowList, is_loopback, load_secret_key
from mgs_core.server.protocol import Limits, ProtocolError, ServerHealth

log = logging.getLogger("mgs.server")

DEFAULT_BIND = "tcp://127.0.0.1:5555"
POLL_MS = 100  # how often the loop checks for stop()
RCVHWM = 4  # messages ZeroMQ buffers per client connection before pushing back on that client's TCP stream
TRIM_AFTER_BYTES = 32 << 20  # give freed memory back once this much request data passed since the last trim


@dataclass(frozen=True)
class ServerConfig:
    bind: str = DEFAULT_BIND
    max_batch: int = 16  # crops per runner call
    max_rois: int = 64  # crops per request
    max_pending_crops: int = 1024  # all clients' waiting crops; beyond this, requests get a "busy" reply
    max_client_crops: int | None = None  # one client's crops in the server (default 2 x max_rois); then "busy"
    secret_key_file: str | Path | None = None  # NAME.key_secret of the server (CURVE)
    allow_dir: str | Path | None = None  # directory of allowed client public keys
    require_keys: bool = False  # refuse to run without CURVE keys, also on loopback
    reload_s: float = 1.0  # how often the allow-list directory is checked for changes

    @property
    def client_budget(self) -> int:
        return self.max_client_crops if self.max_client_crops is not None else 2 * self.max_rois

    def validate(self) -> None:
        if self.max_batch < 1 or self.max_rois < 1 or self.max_pending_crops < self.max_rois:
            raise InputError("--max-batch and --max-rois must be >= 1 and max pending crops >= max ROIs")
        if self.client_budget < self.max_rois:
            raise InputError(f"the per-client budget ({self.client_budget} crops) must be >= --max-rois "
                             f"({self.max_rois}), or no full request could ever be admitted")
        if (self.secret_key_file is None) != (self.allow_dir is None):
            raise InputError("CURVE security needs both --keys (server NAME.key_secret) and --allow (directory of "
                             "client public keys)")
        if self.require_keys and self.secret_key_file is None:
            raise InputError("--require-keys: pass --keys SERVER.key_secret --allow CLIENT_KEYS_DIR (create them "
                             "with `mgs keys generate`)")
        if self.secret_key_file is None and not is_loopback(self.bind):
            raise InputError(f"binding to {self.bind} (not loopback) requires CURVE keys: create them with "
                             "`mgs keys generate`, then pass --keys SERVER.key_secret --allow CLIENT_KEYS_DIR")


@dataclass
class _Done:
    batch: Batch
    results: list | None
    code: str | None = None
    error: str | None = None


def _malloc_trim() -> None:
    """Return freed heap memory to the system (glibc only; a no-op elsewhere)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


class InferenceServer:
    """Serve a runner on a ZeroMQ ROUTER socket. Construct, then call :meth:`serve` (blocks until :meth:`stop`)."""

    def __init__(self, runner: Runner, config: ServerConfig = ServerConfig()):
        config.validate()
        self.runner = runner
        self.config = config
        info = runner.info()
        # model cards go to clients without the server's file paths (the sha256 identifies the weights); the wire
        # takes roi_size crops only (Limits), so clients send no detail crops
        self.info = replace(info, seg_model={k: v for k, v in info.seg_model.items() if k != "path"},
                            score_model={k: v for k, v in info.score_model.items() if k != "path"}, max_detail=1)
        self.model_id = protocol.model_id(self.info)
        self.limits = Limits(roi_size=self.info.roi_size, max_rois=config.max_rois)
        self.queue = FairQueue(config.max_batch, config.max_pending_crops, config.client_budget)
        self.allow: AllowList | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._reload = threading.Event()
        self._started = time.monotonic()
        self._busy = False
        self._n_requests = self._n_crops = self._n_errors = self._n_batches = 0
        self._ids = itertools.count(1)
        self._bytes_since_trim = 0
        self.endpoint: str | None = None

    # ---- control ----------------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Ask the serving loop to finish (safe from signal handlers and other threads)."""
        self._stop.set()

    def reload_keys(self) -> None:
        """Re-read the allow-list directory at the next loop turn (safe from signal handlers)."""
        self._reload.set()

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    def health(self) -> ServerHealth:
        return ServerHealth(status="shutting_down" if self._stop.is_set() else "ok",
                            uptime_s=round(time.monotonic() - self._started, 3), requests=self._n_requests,
                            crops=self._n_crops, batches=self._n_batches, errors=self._n_errors,
                            pending_crops=self.queue.pending_crops, busy=self._busy,
                            max_batch=self.config.max_batch, max_rois=self.config.max_rois)

    # ---- main loop --------------------------------------------------------------------------------------------
    def serve(self) -> None:
        ctx = zmq.Context()
        auth = None
        router = wake_rx = None
        work: queue.Queue = queue.Queue()
        done: queue.Queue = queue.Queue()
        wake_addr = f"inproc://mgs-wake-{id(self)}"
        try:
            router = ctx.socket(zmq.ROUTER)
            router.setsockopt(zmq.LINGER, 0)
            router.setsockopt(zmq.MAXMSGSIZE, self.limits.max_data_bytes + protocol.MAX_HEADER_BYTES)
            router.setsockopt(zmq.RCVHWM, RCVHWM)
            router.setsockopt(zmq.SNDHWM, 1000)
            if self.config.secret_key_file is not None:
                from zmq.auth.thread import ThreadAuthenticator

                keys = load_secret_key(self.config.secret_key_file)
                self.allow = AllowList(self.config.allow_dir, log=logging.getLogger("mgs.server.auth"))
                auth = ThreadAuthenticator(ctx, log=logging.getLogger("mgs.server.auth"))
                auth.start()
                auth.configure_curve_callback(domain="*", credentials_provider=self.allow)
                router.curve_secretkey = keys.secret
                router.curve_publickey = keys.public
                router.curve_server = True
            try:
                router.bind(self.config.bind)
            except zmq.ZMQError as exc:
                raise InputError(f"cannot bind {self.config.bind}: {exc}") from None
            self.endpoint = router.getsockopt_string(zmq.LAST_ENDPOINT)
            wake_rx = ctx.socket(zmq.PAIR)
            wake_rx.bind(wake_addr)
            worker = threading.Thread(target=self._model_loop, args=(ctx, wake_addr, work, done),
                                      name="mgs-model", daemon=True)
            worker.start()
            self._ready.set()
            log.info("listening on %s (model %s, %s, max batch %d, per-client budget %d crops, %s)", self.endpoint,
                     self.model_id, self.info.device, self.config.max_batch, self.config.client_budget,
                     f"CURVE, {len(self.allow.keys)} client key(s)" if auth else "no encryption: loopback only")
            self._loop(router, wake_rx, work, done)
        finally:
            self._stop.set()
            work.put(None)
            for sock in (router, wake_rx):
                if sock is not None:
                    sock.close(linger=0)
            if auth is not None:
                auth.stop()
            ctx.term()

    def _loop(self, router, wake_rx, work, done) -> None:
        poller = zmq.Poller()
        poller.register(router, zmq.POLLIN)
        poller.register(wake_rx, zmq.POLLIN)
        next_reload = time.monotonic() + self.config.reload_s
        failures = 0
        while not self._stop.is_set():
            try:
                hold = self.queue.hold_until
                wait_ms = POLL_MS if hold is None else max(1, min(POLL_MS, int((hold - time.monotonic()) * 1000) + 1))
                events = dict(poller.poll(wait_ms))
                if wake_rx in events:
                    self._model_turn(router, wake_rx, work, done)
                if router in events:
                    for _ in range(256):  # drain what arrived, bounded so replies are never starved
                        try:
                            frames = router.recv_multipart(flags=zmq.NOBLOCK, copy=False)
                        except zmq.Again:
                            break
                        self._guarded(router, frames)
                        del frames  # the message buffer goes as soon as its request is done with
                        self._model_turn(router, wake_rx, work, done)  # the model never waits for the drain
                self._model_turn(router, wake_rx, work, done)
                if not self._busy and self.queue.pending_crops == 0 and self._bytes_since_trim > TRIM_AFTER_BYTES:
                    self._bytes_since_trim = 0
                    _malloc_trim()  # idle after a burst: memory back to the baseline
                if self.allow is not None and (self._reload.is_set() or time.monotonic() >= next_reload):
                    forced = self._reload.is_set()
                    self._reload.clear()
                    if self.allow.reload(force=forced):
                        log.info("allow-list reloaded: %d client key(s)", len(self.allow.keys))
                    next_reload = time.monotonic() + self.config.reload_s
                failures = 0
            except zmq.ContextTerminated:
                break
            except Exception:  # noqa: BLE001 - the loop itself must never end on a surprise
                failures += 1
                log.error("serving loop error (%d in a row):\n%s", failures, traceback.format_exc())
                time.sleep(min(1.0, 0.01 * failures))
        # shutting down: let a running batch finish briefly, then tell everybody still waiting
        deadline = time.monotonic() + 5.0
        while self._busy and time.monotonic() < deadline:
            if wake_rx.poll(100):
                wake_rx.recv()
                self._finish_batches(router, done)
        for job in self.queue.drain():
            self._send(router, job.envelope,
                       protocol.encode_error(job.request.request_id, "shutting_down", "server is shutting down"))
        log.info("stopped after %d requests, %d crops, %d errors", self._n_requests, self._n_crops, self._n_errors)

    def _model_turn(self, router, wake_rx, work, done) -> None:
        """Answer a finished model call, and start the next one when the model is idle."""
        if wake_rx.poll(0):
            while wake_rx.poll(0):
                wake_rx.recv()
            self._finish_batches(router, done)
        if not self._busy:
            batch = self.queue.next_batch()
            if batch is not None:
                work.put(batch)
                self._busy = True

    # ---- requests ---------------------------------------------------------------------------------------------
    @staticmethod
    def _split(frames: list) -> tuple[list, list]:
        """(envelope, body): DEALER clients send [id, body...]; REQ clients [id, b'', body...]."""
        if len(frames) >= 2 and len(frames[1]) == 0:
            return list(frames[:2]), list(frames[2:])
        return list(frames[:1]), list(frames[1:])

    def _send(self, router, envelope: list, reply: list) -> None:
        try:
            router.send_multipart(envelope + reply, flags=zmq.NOBLOCK)
        except zmq.ZMQError as exc:  # client gone or its queue full: drop, it will time out and retry
            log.debug("reply dropped: %s", exc)

    def _error(self, router, envelope, request_id, code, message) -> None:
        self._n_errors += 1
        log.warning("error reply (%s) to request %r: %s", code, request_id, message)
        self._send(router, envelope, protocol.encode_error(request_id, code, message))

    def _guarded(self, router, frames) -> None:
        """Handle one message; any exception becomes an ``internal`` error reply with an id found in the log."""
        envelope = list(frames[:1])
        try:
            envelope, body = self._split(frames)
            self._bytes_since_trim += sum(len(f) for f in body)
            self._handle(router, envelope, body, frames)
        except Exception as exc:  # noqa: BLE001 - no message may end the server
            ref = f"srv-{next(self._ids)}"
            log.error("internal error on message %s (%s):\n%s", ref, type(exc).__name__, traceback.format_exc())
            self._error(router, envelope, None, "internal", f"internal server error (logged as {ref})")

    def _client_of(self, frames) -> bytes | None:
        """Whom a message counts against: its CURVE key (User-Id) when CURVE is on, else its connection."""
        if self.allow is None:
            return bytes(frames[0].bytes)
        try:
            user = frames[-1].get("User-Id")
        except (zmq.ZMQError, AttributeError):
            user = None
        return user.encode() if isinstance(user, str) and user else None

    def _handle(self, router, envelope, body, frames) -> None:
        try:
            req = protocol.decode_request(body, self.limits)
        except ProtocolError as exc:
            self._error(router, envelope, exc.request_id, exc.code, str(exc))
            return
        client = self._client_of(frames)
        if self.allow is not None and (client is None or not self.allow.allows(client)):
            self._error(router, envelope, req.request_id, "forbidden",
                        "this client's key is no longer in the server's allow-list")
            return
        if req.model is not None and req.model != self.model_id:
            self._error(router, envelope, req.request_id, "bad_request",
                        f"client asked for model {req.model!r}; this server runs {self.model_id!r}")
            return
        if req.type == "health":
            self._send(router, envelope, protocol.encode_health(req.request_id, self.health(), self.model_id))
        elif req.type == "info":
            self._send(router, envelope, protocol.encode_info(req.request_id, self.info, self.model_id))
        else:
            refused = self.queue.admit(Job(client, envelope, req))
            if refused:
                self._n_errors += 1
                log.debug("busy reply to request %r: %s", req.request_id, refused)
                self._send(router, envelope, protocol.encode_error(req.request_id, "busy", refused))

    def _finish_batches(self, router, done: queue.Queue) -> None:
        while True:
            try:
                result: _Done = done.get_nowait()
            except queue.Empty:
                return
            self._busy = False
            self._n_batches += 1
            if result.results is None:
                for job in self.queue.fail(result.batch):
                    self._error(router, job.envelope, job.request.request_id, result.code, result.error)
                continue
            for job in self.queue.complete(result.batch, result.results):
                try:
                    reply = protocol.encode_results(job.request.request_id, job.results, self.model_id)
                except Exception as exc:  # noqa: BLE001 - a runner returned something that is not a CropResult
                    ref = f"srv-{next(self._ids)}"
                    log.error("cannot encode results (%s):\n%s", ref, traceback.format_exc())
                    self._error(router, job.envelope, job.request.request_id, "internal",
                                f"the model returned malformed results ({type(exc).__name__}; logged as {ref})")
                    continue
                self._send(router, job.envelope, reply)
                self._n_requests += 1
                self._n_crops += job.n

    # ---- model thread -----------------------------------------------------------------------------------------
    def _model_loop(self, ctx, wake_addr: str, work: queue.Queue, done: queue.Queue) -> None:
        wake_tx = ctx.socket(zmq.PAIR)
        wake_tx.setsockopt(zmq.LINGER, 0)
        wake_tx.connect(wake_addr)
        try:
            while True:
                batch = work.get()
                if batch is None:
                    return
                done.put(self._run(batch))
                del batch  # do not keep the last call's crops (a client's message buffer) alive while idle
                wake_tx.send(b"")
        finally:
            wake_tx.close(linger=0)

    def _run(self, batch: Batch) -> _Done:
        step = self.config.max_batch
        try:
            results = []
            for start in range(0, len(batch.crops), step):
                chunk = batch.crops[start:start + step]
                out = list(self.runner.infer(chunk))
                if len(out) != len(chunk):
                    return _Done(batch, None, "internal",
                                 f"runner returned {len(out)} results for {len(chunk)} crops")
                results.extend(out)
            return _Done(batch, results)
        except MGSError as exc:
            return _Done(batch, None, "runner_error", str(exc))
        except BaseException as exc:  # noqa: BLE001 - a model failure must not take the server down
            log.error("runner failed:\n%s", traceback.format_exc())
            return _Done(batch, None, "internal", f"inference failed ({type(exc).__name__}: {exc})")
