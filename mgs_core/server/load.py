"""Load tests of the inference server on loopback: N client threads x M seconds versus the local runner
(:func:`run_benchmark`), and one well-behaved client against a flooding one (:func:`run_flood_benchmark`).

Everything is bounded: each client stops at the deadline or after ``max_requests``, each request gives up after
``max_wait_s``, the server process is always stopped. Used by ``bench/server_load.py``.
"""
from __future__ import annotations

import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mgs_core.errors import ServerError


@dataclass(frozen=True)
class ClientStats:
    requests: int
    crops: int
    errors: int
    latencies_ms: tuple[float, ...]
    first_error: str | None = None


@dataclass(frozen=True)
class LoadReport:
    clients: int
    seconds: float  # measured wall time of the client phase
    crops_per_request: int
    max_batch: int
    backend: str
    weights: str  # "shipped" or "random (default architecture)"
    requests: int
    crops: int
    errors: int
    first_error: str | None
    requests_per_s: float
    crops_per_s: float
    p50_ms: float
    p95_ms: float
    server_rss_before_kb: int
    server_rss_after_kb: int
    local_crops_per_s: float
    remote_local_ratio: float

    def lines(self) -> list[str]:
        return [
            f"clients x seconds:      {self.clients} x {self.seconds:.1f} s, {self.crops_per_request} crops/request, "
            f"server --max-batch {self.max_batch}, backend {self.backend}, weights {self.weights}",
            f"requests / crops:       {self.requests} / {self.crops}, errors {self.errors}"
            + (f" (first: {self.first_error})" if self.first_error else ""),
            f"throughput:             {self.requests_per_s:.1f} requests/s, {self.crops_per_s:.1f} crops/s",
            f"latency:                p50 {self.p50_ms:.1f} ms, p95 {self.p95_ms:.1f} ms",
            f"server RSS:             {self.server_rss_before_kb / 1024:.1f} MiB before, "
            f"{self.server_rss_after_kb / 1024:.1f} MiB after "
            f"({(self.server_rss_after_kb - self.server_rss_before_kb) / 1024:+.1f} MiB)",
            f"local runner:           {self.local_crops_per_s:.1f} crops/s (same crops, same duration, in-process)",
            f"remote / local:         {self.remote_local_ratio:.2f}",
        ]


def bench_crops(n: int, size: int = 256, seed: int = 0) -> np.ndarray:
    """Bright crops with one dark disc each (an eye-like blob) and mild noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    out = np.empty((n, size, size, 3), np.uint8)
    for img in out:
        img[:] = rng.integers(150, 220, (size, size, 3), dtype=np.uint8)
        cx, cy, r = rng.uniform(0.3, 0.7, 2).tolist() + [rng.uniform(0.04, 0.1)]
        img[(xx - cx * size) ** 2 + (yy - cy * size) ** 2 <= (r * size) ** 2] = 25
    return out


def run_clients(address: str, clients: int, seconds: float, crops: np.ndarray, max_requests: int = 100_000,
                client_kwargs: dict | None = None) -> tuple[list[ClientStats], float]:
    """Each client thread sends ``crops`` in a loop until ``seconds`` pass or ``max_requests`` are done."""
    from mgs_core.runners.zmq_client import ZmqRunner

    kwargs = {"timeout_s": 2.0, "max_wait_s": 10.0, **(client_kwargs or {})}
    stats: list[ClientStats | None] = [None] * clients
    start_gate = threading.Barrier(clients + 1)

    def work(i: int) -> None:
        lat, errors, first_error, n = [], 0, None, 0
        with ZmqRunner(address, **kwargs) as runner:
            start_gate.wait(timeout=30)
            deadline = time.monotonic() + seconds
            while n < max_requests and time.monotonic() < deadline:
                t0 = time.perf_counter()
                try:
                    runner.infer(crops)
                    lat.append((time.perf_counter() - t0) * 1e3)
                except ServerError as exc:
                    errors += 1
                    first_error = first_error or str(exc)
                n += 1
        stats[i] = ClientStats(len(lat), len(lat) * len(crops), errors, tuple(lat), first_error)

    threads = [threading.Thread(target=work, args=(i,), name=f"load-client-{i}", daemon=True)
               for i in range(clients)]
    for t in threads:
        t.start()
    start_gate.wait(timeout=30)
    t0 = time.monotonic()
    for t in threads:
        t.join(timeout=seconds + 30)
    elapsed = time.monotonic() - t0
    if any(s is None for s in stats):
        raise ServerError("a load client did not finish in time")
    return list(stats), elapsed


def local_throughput(runner, crops: np.ndarray, seconds: float, max_calls: int = 100_000) -> float:
    """Crops per second of an in-process runner calling ``infer(crops)`` back to back for ``seconds``."""
    runner.infer(crops)
    n, t0 = 0, time.monotonic()
    while n < max_calls and time.monotonic() - t0 < seconds:
        runner.infer(crops)
        n += 1
    return n * len(crops) / max(time.monotonic() - t0, 1e-9)


def _weights(work_dir: Path) -> tuple[Path, Path, str]:
    from mgs_core.models import OrbitalNet, UNet, default_weight_paths, save_checkpoint

    seg, score = default_weight_paths()
    if seg.is_file() and score.is_file():
        return seg, score, "shipped"
    import torch

    torch.manual_seed(0)
    return (save_checkpoint(UNet(), work_dir / "seg.pt"), save_checkpoint(OrbitalNet(), work_dir / "score.pt"),
            "random (default architecture)")


def run_benchmark(clients: int = 4, seconds: float = 60.0, crops_per_request: int = 4, max_batch: int = 16,
                  backend: str = "auto", device: str = "cpu", max_requests: int = 100_000) -> LoadReport:
    """Start ``mgs serve`` on a free loopback port, load it, stop it, then time the local runner the same way."""
    from mgs_core.runners.local import LocalRunner
    from mgs_core.server.process import ServerProcess, free_tcp_port, read_rss_kb, serve_command

    crops = bench_crops(crops_per_request)
    with tempfile.TemporaryDirectory(prefix="mgs-load-") as tmp:
        seg, score, weights = _weights(Path(tmp))
        address = f"tcp://127.0.0.1:{free_tcp_port()}"
        cmd = serve_command(address, seg=seg, score=score, device=device, max_batch=max_batch, backend=backend,
                            extra=["--quiet"])
        with ServerProcess(cmd, address) as proc:
            proc.start(timeout_s=180)  # a first ONNX export can take a while
            # warm up the server's batch shapes briefly, then measure memory
            run_clients(address, clients, min(2.0, seconds), crops, max_requests=20)
            rss_before = read_rss_kb(proc.pid)
            stats, elapsed = run_clients(address, clients, seconds, crops, max_requests)
            rss_after = read_rss_kb(proc.pid)
            if proc.stop() != 0:
                raise ServerError(f"server did not stop cleanly: {proc.log_tail()}")
        local = LocalRunner.from_checkpoints(seg, score, device=device, backend=backend)
        local_cps = local_throughput(local, crops, seconds, max_requests)
        local.close()
    lat = np.concatenate([np.asarray(s.latencies_ms, float) for s in stats]) if stats else np.zeros(0)
    requests = sum(s.requests for s in stats)
    n_crops = sum(s.crops for s in stats)
    cps = n_crops / elapsed
    return LoadReport(
        clients=clients, seconds=round(elapsed, 2), crops_per_request=crops_per_request, max_batch=max_batch,
        backend=getattr(local, "backend", backend), weights=weights, requests=requests, crops=n_crops,
        errors=sum(s.errors for s in stats), first_error=next((s.first_error for s in stats if s.first_error), None),
        requests_per_s=requests / elapsed, crops_per_s=cps,
        p50_ms=float(np.percentile(lat, 50)) if lat.size else float("nan"),
        p95_ms=float(np.percentile(lat, 95)) if lat.size else float("nan"),
        server_rss_before_kb=rss_before, server_rss_after_kb=rss_after, local_crops_per_s=local_cps,
        remote_local_ratio=cps / local_cps if local_cps else float("nan"))


@dataclass(frozen=True)
class FloodReport:
    seconds: float  # each measuring phase
    good_crops: int  # crops per request of the well-behaved client
    flood_crops: int  # crops per request of the flooding client
    max_batch: int
    backend: str
    weights: str
    unloaded_per_s: float  # well-behaved client's requests/s alone
    loaded_per_s: float  # ... while the other client floods
    ratio: float
    flood_sent: int
    flood_ok: int
    flood_busy: int
    flood_other: int
    rss_baseline_kb: int
    rss_peak_kb: int  # at the end of the flood
    rss_after_kb: int  # ``settle_s`` after the server went idle
    settle_s: float
    drain_s: float  # from the end of the flood until the server was idle (the flooder's admitted crops done)

    def lines(self) -> list[str]:
        mib = lambda kb: f"{kb / 1024:.1f} MiB"  # noqa: E731
        return [
            f"flood:                  1 client x {self.flood_crops}-crop requests as fast as the socket takes them, "
            f"vs 1 client x {self.good_crops}-crop requests in a loop; --max-batch {self.max_batch}, backend "
            f"{self.backend}, weights {self.weights}",
            f"well-behaved client:    {self.unloaded_per_s:.1f} requests/s alone, {self.loaded_per_s:.1f} under the "
            f"flood ({self.seconds:g} s each): {100 * self.ratio:.0f} %",
            f"flooder:                {self.flood_sent} sent, {self.flood_ok} answered, {self.flood_busy} busy, "
            f"{self.flood_other} other",
            f"server RSS:             {mib(self.rss_baseline_kb)} before, {mib(self.rss_peak_kb)} at the end of the "
            f"flood, {mib(self.rss_after_kb)} {self.settle_s:g} s after the server went idle ({self.drain_s:g} s "
            f"after the flood) ({(self.rss_after_kb - self.rss_baseline_kb) / 1024:+.1f} MiB)",
        ]


def wait_idle(client, timeout_s: float = 60.0) -> float:
    """Wait (bounded) until the server has nothing waiting or running; returns the seconds waited."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        h = client.health()
        if h.pending_crops == 0 and not h.busy:
            return time.monotonic() - t0
        time.sleep(0.1)
    raise ServerError(f"server still busy {timeout_s:g} s after the load ended")


def closed_loop_rate(runner, crops: np.ndarray, seconds: float, max_calls: int = 100_000) -> float:
    """Requests per second of one client calling ``infer(crops)`` back to back for ``seconds``."""
    n, t0 = 0, time.monotonic()
    while n < max_calls and time.monotonic() - t0 < seconds:
        runner.infer(crops)
        n += 1
    return n / max(time.monotonic() - t0, 1e-9)


def run_flood_benchmark(seconds: float = 10.0, good_crops: int = 4, flood_crops: int = 64, max_batch: int = 16,
                        backend: str = "auto", device: str = "cpu", settle_s: float = 3.0) -> FloodReport:
    """Start ``mgs serve`` on loopback; time a well-behaved client alone, then while another process floods."""
    import json
    import subprocess

    from mgs_core.runners.zmq_client import ZmqRunner
    from mgs_core.server import flood
    from mgs_core.server.process import ServerProcess, free_tcp_port, read_rss_kb, serve_command

    crops = bench_crops(good_crops)
    with tempfile.TemporaryDirectory(prefix="mgs-flood-") as tmp:
        seg, score, weights = _weights(Path(tmp))
        address = f"tcp://127.0.0.1:{free_tcp_port()}"
        cmd = serve_command(address, seg=seg, score=score, device=device, max_batch=max_batch, backend=backend,
                            extra=["--quiet"])
        with ServerProcess(cmd, address) as proc, ZmqRunner(address, timeout_s=2.0) as good:
            proc.start(timeout_s=180)
            closed_loop_rate(good, crops, min(2.0, seconds))  # warm up
            baseline = read_rss_kb(proc.pid)
            unloaded = closed_loop_rate(good, crops, seconds)
            flooder = subprocess.Popen(flood.command(address, seconds + 2.0, flood_crops), stdout=subprocess.PIPE,
                                       text=True)
            try:
                time.sleep(1.0)
                loaded = closed_loop_rate(good, crops, seconds)
                peak = read_rss_kb(proc.pid)
                out, _ = flooder.communicate(timeout=seconds + 60)
            finally:
                if flooder.poll() is None:
                    flooder.kill()
                    flooder.wait(10)
            counts = json.loads(out.strip().splitlines()[-1])
            drain = wait_idle(good)  # the flood's admitted requests (its budget) are still answered
            time.sleep(settle_s)
            after = read_rss_kb(proc.pid)
            if proc.stop() != 0:
                raise ServerError(f"server did not stop cleanly: {proc.log_tail()}")
    return FloodReport(seconds=seconds, good_crops=good_crops, flood_crops=flood_crops, max_batch=max_batch,
                       backend=backend, weights=weights, unloaded_per_s=unloaded, loaded_per_s=loaded,
                       ratio=loaded / unloaded if unloaded else float("nan"), flood_sent=counts["sent"],
                       flood_ok=counts["ok"], flood_busy=counts["busy"], flood_other=counts["other"],
                       rss_baseline_kb=baseline, rss_peak_kb=peak, rss_after_kb=after, settle_s=settle_s,
                       drain_s=round(drain, 2))
