"""The inference server: a ROUTER socket in front of any :class:`~mgs_core.runners.base.Runner`.

Two threads:

- the I/O thread (the caller of :meth:`InferenceServer.serve`) owns the ROUTER socket. It validates every message
  (:func:`~mgs_core.server.protocol.decode_request`), answers ``info`` and ``health`` at once (so clients'
  heartbeats are answered even while the model is busy), queues ``infer`` requests and, whenever the model is idle,
  hands it one batch made of the oldest pending requests of all clients, up to ``max_batch`` crops;
- the model thread runs ``runner.infer`` on the batch and wakes the I/O thread through an inproc socket, which then
  answers each client with its own slice of the results.

A bad message, a model error or a vanished client only ever produces an error reply (or nothing); the loop keeps
serving. :meth:`stop` (wired to SIGINT/SIGTERM by ``mgs serve``) ends the loop; pending requests get a
``shutting_down`` error reply.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import zmq

from mgs_core.errors import InputError, MGSError
from mgs_core.runners.base import Runner
from mgs_core.server import protocol
from mgs_core.server.keys import check_allow_dir, is_loopback, load_secret_key
from mgs_core.server.protocol import Limits, ProtocolError, Request, ServerHealth

log = logging.getLogger("mgs.server")

DEFAULT_BIND = "tcp://127.0.0.1:5555"
POLL_MS = 100  # how often the loop checks for stop()


@dataclass(frozen=True)
class ServerConfig:
    bind: str = DEFAULT_BIND
    max_batch: int = 16  # crops per runner call
    max_rois: int = 64  # crops per request
    max_pending_crops: int = 1024  # beyond this, requests get a "busy" reply
    secret_key_file: str | Path | None = None  # NAME.key_secret of the server (CURVE)
    allow_dir: str | Path | None = None  # directory of allowed client public keys

    def validate(self) -> None:
        if self.max_batch < 1 or self.max_rois < 1 or self.max_pending_crops < self.max_rois:
            raise InputError("--max-batch and --max-rois must be >= 1 and max pending crops >= max ROIs")
        if (self.secret_key_file is None) != (self.allow_dir is None):
            raise InputError("CURVE security needs both --keys (server NAME.key_secret) and --allow (directory of "
                             "client public keys)")
        if self.secret_key_file is None and not is_loopback(self.bind):
            raise InputError(f"binding to {self.bind} (not loopback) requires CURVE keys: create them with "
                             "`mgs keys generate`, then pass --keys SERVER.key_secret --allow CLIENT_KEYS_DIR")


@dataclass
class _Pending:
    envelope: list  # routing frames to send the reply back
    request: Request


@dataclass
class _Batch:
    items: list[_Pending]
    crops: np.ndarray


@dataclass
class _Done:
    batch: _Batch
    results: list | None
    code: str | None = None
    error: str | None = None


class InferenceServer:
    """Serve a runner on a ZeroMQ ROUTER socket. Construct, then call :meth:`serve` (blocks until :meth:`stop`)."""

    def __init__(self, runner: Runner, config: ServerConfig = ServerConfig()):
        config.validate()
        self.runner = runner
        self.config = config
        info = runner.info()
        # model cards go to clients without the server's file paths (the sha256 identifies the weights)
        self.info = replace(info, seg_model={k: v for k, v in info.seg_model.items() if k != "path"},
                            score_model={k: v for k, v in info.score_model.items() if k != "path"})
        self.model_id = protocol.model_id(self.info)
        self.limits = Limits(roi_size=self.info.roi_size, max_rois=config.max_rois)
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._started = time.monotonic()
        self._pending: deque[_Pending] = deque()
        self._pending_crops = 0
        self._busy = False
        self._n_requests = self._n_crops = self._n_errors = self._n_batches = 0
        self.endpoint: str | None = None

    # ---- control ----------------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Ask the serving loop to finish (safe from signal handlers and other threads)."""
        self._stop.set()

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    def health(self) -> ServerHealth:
        return ServerHealth(status="shutting_down" if self._stop.is_set() else "ok",
                            uptime_s=round(time.monotonic() - self._started, 3), requests=self._n_requests,
                            crops=self._n_crops, batches=self._n_batches, errors=self._n_errors, pending_crops=self._pending_crops,
                            busy=self._busy, max_batch=self.config.max_batch, max_rois=self.config.max_rois)

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
            router.setsockopt(zmq.RCVHWM, 1000)
            router.setsockopt(zmq.SNDHWM, 1000)
            if self.config.secret_key_file is not None:
                from zmq.auth.thread import ThreadAuthenticator

                keys = load_secret_key(self.config.secret_key_file)
                allow = check_allow_dir(self.config.allow_dir)
                auth = ThreadAuthenticator(ctx, log=logging.getLogger("mgs.server.auth"))
                auth.start()
                auth.configure_curve(domain="*", location=str(allow))
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
            log.info("listening on %s (model %s, %s, max batch %d, %s)", self.endpoint, self.model_id,
                     self.info.device, self.config.max_batch,
                     "CURVE" if auth else "no encryption: loopback only")
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
        while not self._stop.is_set():
            events = dict(poller.poll(POLL_MS))
            if wake_rx in events:
                while wake_rx.poll(0):
                    wake_rx.recv()
                self._finish_batches(router, done)
            if router in events:
                for _ in range(256):  # drain what arrived, bounded so replies are never starved
                    try:
                        frames = router.recv_multipart(flags=zmq.NOBLOCK, copy=False)
                    except zmq.Again:
                        break
                    self._handle(router, frames)
            if not self._busy and self._pending:
                work.put(self._next_batch())
                self._busy = True
        # shutting down: let a running batch finish briefly, then tell everybody still waiting
        deadline = time.monotonic() + 5.0
        while self._busy and time.monotonic() < deadline:
            if wake_rx.poll(100):
                wake_rx.recv()
                self._finish_batches(router, done)
        while self._pending:
            item = self._pending.popleft()
            self._send(router, item.envelope,
                       protocol.encode_error(item.request.request_id, "shutting_down", "server is shutting down"))
        log.info("stopped after %d requests, %d crops, %d errors", self._n_requests, self._n_crops, self._n_errors)

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

    def _handle(self, router, frames) -> None:
        envelope, body = self._split(frames)
        try:
            req = protocol.decode_request(body, self.limits)
        except ProtocolError as exc:
            self._error(router, envelope, exc.request_id, exc.code, str(exc))
            return
        if req.model is not None and req.model != self.model_id:
            self._error(router, envelope, req.request_id, "bad_request",
                        f"client asked for model {req.model!r}; this server runs {self.model_id!r}")
            return
        if req.type == "health":
            self._send(router, envelope, protocol.encode_health(req.request_id, self.health(), self.model_id))
        elif req.type == "info":
            self._send(router, envelope, protocol.encode_info(req.request_id, self.info, self.model_id))
        elif self._pending_crops + req.n_crops > self.config.max_pending_crops:
            self._error(router, envelope, req.request_id, "busy",
                        f"server busy: {self._pending_crops} crops already waiting; retry shortly")
        else:
            self._pending.append(_Pending(envelope, req))
            self._pending_crops += req.n_crops

    def _next_batch(self) -> _Batch:
        items = [self._pending.popleft()]
        total = items[0].request.n_crops
        while self._pending and total + self._pending[0].request.n_crops <= self.config.max_batch:
            item = self._pending.popleft()
            items.append(item)
            total += item.request.n_crops
        self._pending_crops -= total
        crops = items[0].request.crops if len(items) == 1 else np.concatenate([i.request.crops for i in items])
        return _Batch(items=items, crops=crops)

    def _finish_batches(self, router, done: queue.Queue) -> None:
        while True:
            try:
                result: _Done = done.get_nowait()
            except queue.Empty:
                return
            self._busy = False
            self._n_batches += 1
            offset = 0
            for item in result.batch.items:
                n, rid = item.request.n_crops, item.request.request_id
                if result.results is None:
                    self._error(router, item.envelope, rid, result.code, result.error)
                else:
                    self._send(router, item.envelope,
                               protocol.encode_results(rid, result.results[offset:offset + n], self.model_id))
                    self._n_requests += 1
                    self._n_crops += n
                offset += n

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
                wake_tx.send(b"")
        finally:
            wake_tx.close(linger=0)

    def _run(self, batch: _Batch) -> _Done:
        step = self.config.max_batch
        try:
            results = []
            for start in range(0, len(batch.crops), step):  # a request larger than max_batch runs in chunks
                chunk = batch.crops[start:start + step]
                out = list(self.runner.infer(chunk))
                if len(out) != len(chunk):
                    return _Done(batch, None, "internal",
                                 f"runner returned {len(out)} results for {len(chunk)} crops")
                results.extend(out)
            return _Done(batch, results)
        except MGSError as exc:
            return _Done(batch, None, "runner_error", str(exc))
        except Exception as exc:  # noqa: BLE001 - a model failure must not take the server down
            log.error("runner failed:\n%s", traceback.format_exc())
            return _Done(batch, None, "internal", f"inference failed ({type(exc).__name__}: {exc})")
