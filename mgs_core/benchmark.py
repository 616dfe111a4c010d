"""End-to-end throughput benchmark: decode (own thread) + crop + runner, for 1, 2, 4 and 8 ROIs on a 1080p30 H.264 file.

Used by ``mgs bench`` and ``bench/throughput.py``. The default video is a synthetic recording made with the renderer
(``mgs_core.synth.video.make_video``, 4 mice) and cached under ``~/.cache/mgs-live/bench``; ROIs are laid out like
the renderer's rack (``rack_layout``) for each ROI count. Reported per ROI count: frames/s (wall clock, decode
included), ROI-frames/s, p50/p95 per-frame latency (crop + inference of one frame, from the decoded frame to its
FrameResult) and the process's peak RSS so far.

With random (untrained) weights the segmentation rarely finds an eye, so the score network is mostly skipped: the
figures then measure segmentation + decode; the score stage costs well under 1 ms per frame on this CPU.
"""
from __future__ import annotations

import os
import platform
import resource
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

TCMALLOC = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"


@dataclass(frozen=True)
class BenchRow:
    rois: int
    frames: int
    wall_s: float
    fps: float  # frames per second, end to end (decode included)
    roi_fps: float  # ROI crops scored per second
    p50_ms: float  # per-frame latency: crop + inference
    p95_ms: float
    peak_rss_mb: float
    eyes_found: float  # fraction of ROI-frames where an eye was found


@dataclass(frozen=True)
class BenchReport:
    video: str
    width: int
    height: int
    video_fps: float
    backend: str
    device: str
    seg_input: int
    weights: str  # "shipped" or "random (untrained)"
    allocator: str
    threads: int
    machine: str
    rows: tuple[BenchRow, ...] = field(default_factory=tuple)

    def table(self) -> str:
        lines = ["| ROIs | frames | frames/s | ROI-frames/s | p50 ms | p95 ms | peak RSS MB | eyes found |",
                 "|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in self.rows:
            lines.append(f"| {r.rois} | {r.frames} | {r.fps:.1f} | {r.roi_fps:.1f} | {r.p50_ms:.1f} | {r.p95_ms:.1f} "
                         f"| {r.peak_rss_mb:.0f} | {100 * r.eyes_found:.0f}% |")
        return "\n".join(lines)

    def header(self) -> str:
        return (f"video {Path(self.video).name} {self.width}x{self.height} @ {self.video_fps:.0f} fps; backend "
                f"{self.backend} on {self.device}, U-Net input {self.seg_input}, weights {self.weights}, "
                f"{self.threads} inference threads, allocator {self.allocator}; machine: {self.machine}")

    def to_dict(self) -> dict:
        return asdict(self)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}"


def tcmalloc_active() -> bool:
    return "tcmalloc" in os.environ.get("LD_PRELOAD", "")


def reexec_with_tcmalloc(argv: list[str]) -> None:
    """Restart this process with tcmalloc preloaded (torch's allocator cliff, STACK_NOTES) when it is installed.

    Does nothing when already active, when the library is missing, or when MGS_NO_TCMALLOC is set. ``argv`` is the
    full command (e.g. ``[sys.executable, "-m", "mgs_core.cli", "bench", ...]``).
    """
    if tcmalloc_active() or os.environ.get("MGS_NO_TCMALLOC") or not Path(TCMALLOC).is_file():
        return
    env = dict(os.environ)
    env["LD_PRELOAD"] = (TCMALLOC + " " + env.get("LD_PRELOAD", "")).strip()
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(argv[0], argv, env)


def cache_root() -> Path:
    root = os.environ.get("MGS_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "mgs-live")
    return Path(root) / "bench"


def make_bench_video(path: str | Path | None = None, seconds: float = 10.0, width: int = 1920, height: int = 1080,
                     fps: float = 30.0, seed: int = 777, progress=None) -> Path:
    """A synthetic 4-mouse recording (H.264) from the renderer; reused when it already exists."""
    from mgs_core.synth.video import make_video

    path = Path(path) if path else cache_root() / f"synth_{width}x{height}_{fps:g}fps_{seconds:g}s_seed{seed}.mp4"
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name("tmp_" + path.name)
    make_video(tmp, seconds=seconds, mice=4, seed=seed, width=width, height=height, fps=fps, progress=progress)
    tmp.replace(path)
    for suffix in (".rois.json", ".truth.csv"):
        side = tmp.with_name(tmp.name[: -len(tmp.suffix)] + suffix)
        if side.is_file():
            side.replace(path.with_name(path.name[: -len(path.suffix)] + suffix))
    return path


def bench_rois(n: int, width: int, height: int):
    """``n`` box ROIs laid out like the renderer's rack (two rows above 4)."""
    from mgs_core.synth.scene import rack_layout
    from mgs_core.types import Roi, RoiSet

    boxes = rack_layout(width, height, n)
    return RoiSet(tuple(Roi(f"box{i + 1}", x, y, w, h) for i, (x, y, w, h) in enumerate(boxes)), width, height)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_one(video: str | Path, runner, n_rois: int, max_frames: int | None = None, warmup: int = 5) -> BenchRow:
    """Decode + crop + infer every frame of ``video`` with ``n_rois`` ROIs; the first ``warmup`` frames are untimed."""
    from mgs_core.io.video import open_video, probe_video
    from mgs_core.pipeline import Pipeline

    info = probe_video(video)
    rois = bench_rois(n_rois, info.width, info.height)
    pipe = Pipeline(runner)
    lat, seen, total = [], 0, 0
    t0 = None
    frames = 0
    with open_video(video, max_frames=None if max_frames is None else max_frames + warmup) as src:
        for i, vf in enumerate(src):
            if i == warmup:
                t0 = time.perf_counter()
            fr = pipe.process(vf.image, rois, vf.index, vf.time_s)
            if i >= warmup:
                frames += 1
                lat.append(fr.latency_ms)
                seen += sum(r.eye_visible for r in fr.rois)
                total += len(fr.rois)
    if t0 is None or frames == 0:
        raise ValueError(f"{video} has too few frames for a benchmark (need more than {warmup})")
    wall = time.perf_counter() - t0
    return BenchRow(n_rois, frames, round(wall, 3), round(frames / wall, 2), round(frames * n_rois / wall, 1),
                    round(float(np.percentile(lat, 50)), 2), round(float(np.percentile(lat, 95)), 2),
                    round(peak_rss_mb(), 1), round(seen / max(1, total), 3))


def run_benchmark(video: str | Path | None = None, roi_counts=(1, 2, 4, 8), backend: str = "auto",
                  device: str = "auto", max_frames: int | None = None, seconds: float = 10.0, log=None,
                  seg: str | None = None, score: str | None = None, threads: int | None = None) -> BenchReport:
    """The full benchmark (see the module docstring)."""
    from mgs_core.io.video import probe_video
    from mgs_core.models import OrbitalNet, UNet, default_weight_paths
    from mgs_core.runners.local import LocalRunner

    log = log or (lambda msg: None)
    if video is None:
        log("preparing the synthetic 1080p30 benchmark video (cached after the first run)...")
        video = make_bench_video(seconds=seconds)
    info = probe_video(video)
    dseg, dscore = default_weight_paths()
    seg, score = seg or (dseg if dseg.is_file() else None), score or (dscore if dscore.is_file() else None)
    if seg and score:
        runner = LocalRunner.from_checkpoints(seg, score, device=device, backend=backend, threads=threads)
        weights = "shipped" if Path(seg) == dseg else f"{Path(seg).name} + {Path(score).name}"
    else:
        import torch

        torch.manual_seed(0)
        runner = LocalRunner(UNet(), OrbitalNet(), device=device, backend=backend, threads=threads)
        weights = "random (untrained; no checkpoints found)"
    runner.warmup()
    rinfo = runner.info()
    rows = []
    for n in roi_counts:
        log(f"{n} ROIs...")
        rows.append(run_one(video, runner, n, max_frames=max_frames))
        log(f"  {rows[-1].fps:.1f} frames/s, p50 {rows[-1].p50_ms:.1f} ms")
    return BenchReport(str(video), info.width, info.height, info.fps, runner.backend, rinfo.device, runner.seg_size,
                       weights, "tcmalloc (LD_PRELOAD)" if tcmalloc_active() else "glibc malloc", runner.threads,
                       machine(), tuple(rows))
