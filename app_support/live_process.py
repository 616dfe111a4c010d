"""The file scorer in its own process, so the page's Python work (every refresh of the live view) cannot starve it.

:class:`FileProcess` has the page-facing API of :class:`app_support.live_worker.FileWorker` (start, stop, pause,
resume, seek, set_speed, set_loop, snapshot, chart_points, running, join, paused, speed, loop, state). It starts a
child with the ``spawn`` start method; the child builds its own runner from a small picklable spec
(:class:`RunnerSpec`: the session's checkpoint paths or server address), runs a ``FileWorker`` there (which owns the
:class:`~mgs_core.io.series.SeriesWriter`: the series on disk is the same as with the thread worker) and publishes to
the parent at most every ``publish_every_s`` (0.1 s; a result scored within ``FRESH_S`` at once, else the next one)
only what the page draws: the annotated picture and the tile
strip already drawn and JPEG-encoded, the FrameResult, the state and figures, the decode stamp, and once a second the
chart as 0.5 s means.

Ending: STOP, the session watchdog (the parent checks ``alive()`` once a second and stops the child after
``grace_s``), the parent's death (the child sees the pipe close, or SIGTERM at interpreter exit, and stops, saving
the series), or a crash of the child: the parent then reports the state ``failed`` with a message naming the
series, whose chunks written so far stay readable (listed on Score curves). Never a hang: every wait is bounded.
"""
from __future__ import annotations

import multiprocessing as mp
import signal
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from app_support.live_draw import DISPLAY_WIDTH, JPEG_QUALITY, view_jpegs
from app_support.live_worker import FAILED, STARTING, FileWorker, LiveSnapshot, LiveStats, _name_os_thread
from mgs_core.errors import MGSError
from mgs_core.io.rois import validate_rois
from mgs_core.io.video import probe_video
from mgs_core.types import RoiSet

PUBLISH_EVERY_S = 0.1
FRESH_S = 0.02  # a result younger than this is published at once; an older one waits for the next (see tick)
CHART_EVERY_S = 1.0
CHART_BIN_S = 0.5
_NO_STATS = LiveStats(0, 0, 0.0, 0, 0.0, 0.0, 0.0, 0.0, 0, 0.0)


@dataclass(frozen=True)
class RunnerSpec:
    """How the child builds its runner: checkpoint paths (None = shipped weights) or a ``mgs serve`` address."""

    seg: str | None = None
    score: str | None = None
    server: str | None = None

    @classmethod
    def from_choice(cls, choice: dict) -> "RunnerSpec":
        """From a session's model choice (:func:`app_support.models.model_choice`)."""
        return cls(choice.get("seg") or None, choice.get("score") or None, choice.get("server") or None)

    def build(self):
        from mgs_core.runners import load_runner

        runner = load_runner(server=self.server, seg=self.seg, score=self.score)
        runner.warmup()
        return runner


@dataclass(frozen=True)
class FileJob:
    """Everything the child needs besides the runner (picklable)."""

    path: Path
    roiset: RoiSet | None
    series_dir: Path
    provenance: dict
    speed: float | None
    loop: bool
    start_s: float
    chunk_seconds: float
    chart_seconds: float
    display_width: int
    jpeg_quality: int
    publish_every_s: float


def chart_means(points, bin_s: float = CHART_BIN_S) -> list[tuple[float, str, float]]:
    """(t, animal, score) points -> one (bin start, animal, mean score) per ``bin_s`` bin and animal."""
    acc: dict[tuple[str, float], list[float]] = {}
    for t, animal, score in points:
        a = acc.setdefault((animal, (t // bin_s) * bin_s), [0.0, 0])
        a[0] += score
        a[1] += 1
    return [(t, animal, s / n) for (animal, t), (s, n) in sorted(acc.items(), key=lambda kv: (kv[0][1], kv[0][0]))]


# ---- the child ----------------------------------------------------------------------------------------------------
def _send(conn, msg) -> bool:
    try:
        conn.send(msg)
        return True
    except (OSError, EOFError, ValueError):  # the parent is gone
        return False


def _commands(conn, worker: FileWorker) -> None:
    """Child thread: apply the parent's commands; the pipe closing means the parent died."""
    while True:
        try:
            cmd, *args = conn.recv()
        except (EOFError, OSError):
            worker.stop("the app server went away; scoring stopped and the series was saved")
            return
        if cmd == "stop":
            worker.stop(*args)
        elif cmd == "pause":
            worker.pause()
        elif cmd == "resume":
            worker.resume()
        elif cmd == "seek":
            worker.seek(*args)
        elif cmd == "speed":
            worker.set_speed(*args)
        elif cmd == "loop":
            worker.set_loop(*args)


class _Publisher:
    """Child main thread: at most every ``publish_every_s``, what changed since the last update."""

    def __init__(self, conn, worker: FileWorker, job: FileJob):
        self.conn, self.worker, self.job = conn, worker, job
        self.seq = -1
        self.last = 0.0
        self.last_chart = 0.0
        self.connected = True

    def tick(self) -> None:
        """One update: at most one per ``publish_every_s``, sent the moment a fresh result is there. After the
        interval, a result scored within ``FRESH_S`` goes out at once; an older one (the next is due soon) waits for
        the next result, at most one more interval, so what is drawn is as young as it can be (docs/benchmarks.md,
        "Live page": publishing at a fixed phase added half a scoring interval on average)."""
        wait = self.last + self.job.publish_every_s - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        w = self.worker
        w.updated.clear()
        snap = w.snapshot()
        unsent = snap.seq != self.seq
        if not (unsent and time.time() - snap.scored_at <= FRESH_S):
            # the next result (or a state change); with nothing new, still a stats refresh 4 times a second
            w.updated.wait(self.job.publish_every_s if unsent else 0.25)
        self.publish()

    def publish(self, chart: bool = False) -> None:
        w = self.worker
        snap = w.snapshot()
        now = time.monotonic()
        body = {"state": snap.state, "message": snap.message, "stats": snap.stats, "seq": snap.seq}
        if snap.seq != self.seq and snap.image is not None and snap.result is not None:
            body["preview_jpeg"], body["tiles_jpeg"], body["tiles_width"] = view_jpegs(
                snap.image, snap.roiset, snap.result, self.job.display_width, self.job.jpeg_quality)
            body.update(result=snap.result, decoded_at=snap.decoded_at, scored_at=snap.scored_at, sent_at=time.time())
            self.seq = snap.seq
        if chart or now - self.last_chart >= CHART_EVERY_S:
            body["chart"] = chart_means(w.chart_points())
            self.last_chart = now
        self.last = now
        if self.connected:
            self.connected = _send(self.conn, ("update", body))


def _child_main(conn, spec, job: FileJob) -> None:
    _name_os_thread("mgs-live")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C on the app: the parent's exit ends this process
    try:
        runner = spec.build()
        worker = FileWorker(runner, job.path, job.roiset, job.series_dir, job.provenance, speed=job.speed,
                            loop=job.loop, start_s=job.start_s, chunk_seconds=job.chunk_seconds,
                            chart_seconds=job.chart_seconds)
    except MGSError as exc:
        _send(conn, ("done", {"state": FAILED, "message": f"Scoring could not start: {exc}"}))
        return
    except Exception as exc:  # noqa: BLE001 - reported on the page
        _send(conn, ("done", {"state": FAILED, "message": "Scoring could not start (the model could not be loaded: "
                                                           f"{type(exc).__name__}: {exc})"}))
        return
    # the interpreter exit of the app server terminates its children: stop cleanly, saving the series
    signal.signal(signal.SIGTERM, lambda *_: worker.stop("the app server stopped; scoring stopped and the series "
                                                         "was saved"))
    worker.start()
    threading.Thread(target=_commands, args=(conn, worker), name="mgs-live-cmd", daemon=True).start()
    pub = _Publisher(conn, worker, job)
    while worker.running:
        pub.tick()
    worker.join()
    pub.publish(chart=True)  # the last frame and the final figures
    snap = worker.snapshot()
    _send(conn, ("done", {"state": snap.state, "message": snap.message, "stats": snap.stats}))


# ---- the parent ---------------------------------------------------------------------------------------------------
class FileProcess:
    """Parent-side proxy of a :class:`FileWorker` running in a child process (same page-facing API)."""

    kind = "file"

    def __init__(self, spec, path: str | Path, roiset: RoiSet | None, series_dir: str | Path, provenance: dict,
                 speed: float | None = 1.0, loop: bool = True, start_s: float = 0.0,
                 alive: Callable[[], bool] | None = None, grace_s: float = 10.0, chunk_seconds: float = 2.0,
                 chart_seconds: float = 60.0, display_width: int = DISPLAY_WIDTH, jpeg_quality: int = JPEG_QUALITY,
                 publish_every_s: float = PUBLISH_EVERY_S, stop_timeout_s: float = 60.0):
        """``spec``: anything picklable with ``build() -> Runner`` (normally a :class:`RunnerSpec`). A file that is
        not a video, an image, or ROIs for another frame size raise here (MGSError), before anything starts."""
        self.path = Path(path)
        self.info = probe_video(self.path)  # VideoError for a file that is not a video
        if self.info.is_image:
            raise MGSError(f"{self.path.name} is an image; live scoring needs a video (use Batch scoring for images)")
        if roiset is not None:
            validate_rois(roiset, self.info.width, self.info.height, source=f"the ROI file (for {self.path.name})")
        self.series_dir = Path(series_dir)
        self.alive = alive or (lambda: True)
        self.grace_s = grace_s
        self.stop_timeout_s = stop_timeout_s
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # notified when a new picture or another state arrives
        self._speed, self._loop, self._paused = speed, bool(loop), False
        self.state, self.message = STARTING, None
        self._stats = replace(_NO_STATS, duration_s=self.info.duration_s)
        self._seq = 0
        self._view: dict = {}
        self._chart: list = []
        self._final = False
        self._stop_sent_at: float | None = None
        self.exitcode: int | None = None
        job = FileJob(self.path, roiset, self.series_dir, dict(provenance), speed, bool(loop), float(start_s),
                      chunk_seconds, chart_seconds, display_width, jpeg_quality, publish_every_s)
        ctx = mp.get_context("spawn")
        self._conn, self._child_conn = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=_child_main, args=(self._child_conn, spec, job),
                                   name=f"mgs-live-{self.series_dir.name}", daemon=True)
        self._reader = threading.Thread(target=self._read, name=f"mgs-live-link-{self.series_dir.name}", daemon=True)
        self._done = threading.Event()

    # ---- page-facing API ---------------------------------------------------------------------------------------
    def start(self) -> "FileProcess":
        self.process.start()
        self._child_conn.close()  # only the child holds its end: the parent sees EOF when the child dies
        self._reader.start()
        return self

    def _command(self, *cmd) -> None:
        try:
            self._conn.send(cmd)
        except (OSError, EOFError, ValueError):  # the child has ended; its state says how
            pass

    def stop(self, reason: str = "stopped") -> None:
        with self._lock:
            if self._stop_sent_at is None:
                self._stop_sent_at = time.monotonic()
        self._command("stop", reason)

    def pause(self) -> None:
        with self._lock:
            self._paused = True
        self._command("pause")

    def resume(self) -> None:
        with self._lock:
            self._paused = False
        self._command("resume")

    def seek(self, t: float) -> None:
        self._command("seek", float(t))

    def set_speed(self, speed: float | None) -> None:
        with self._lock:
            changed, self._speed = speed != self._speed, speed
        if changed:
            self._command("speed", speed)

    def set_loop(self, loop: bool) -> None:
        with self._lock:
            changed, self._loop = bool(loop) != self._loop, bool(loop)
        if changed:
            self._command("loop", bool(loop))

    @property
    def paused(self) -> bool:
        with self._lock:
            return self._paused

    @property
    def speed(self) -> float | None:
        with self._lock:
            return self._speed

    @property
    def loop(self) -> bool:
        with self._lock:
            return self._loop

    @property
    def running(self) -> bool:
        """The child is alive or its end has not been read yet (scoring, paused, or saving at the end)."""
        return not self._done.is_set()

    def join(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def snapshot(self) -> LiveSnapshot:
        with self._lock:
            v, stats, state, message, seq = self._view, self._stats, self.state, self.message, self._seq
        return LiveSnapshot(seq, None, v.get("result"), None, v.get("decoded_at", 0.0), state, message, stats,
                            self.series_dir, v.get("preview_jpeg"), v.get("tiles_jpeg"), v.get("tiles_width", 0),
                            v.get("scored_at", 0.0), v.get("sent_at", 0.0), v.get("received_at", 0.0))

    def chart_points(self) -> list[tuple[float, str, float]]:
        """(seconds since START, animal, mean score) per 0.5 s over the last ``chart_seconds``."""
        with self._lock:
            return list(self._chart)

    def wait_for_update(self, seen_seq: int, seen_state: str | None, timeout: float) -> bool:
        """Block until a picture newer than ``seen_seq`` or a state other than ``seen_state`` has arrived (at most
        ``timeout`` seconds); True when one did (as :meth:`LiveWorker.wait_for_update`)."""
        with self._changed:
            return self._changed.wait_for(lambda: self._seq > seen_seq or self.state != seen_state, timeout)

    # ---- reader thread -----------------------------------------------------------------------------------------
    def _apply(self, kind: str, body: dict) -> None:
        with self._lock:
            self.state = body.get("state", self.state)
            self.message = body.get("message", self.message)
            self._stats = body.get("stats", self._stats)
            if "preview_jpeg" in body:
                self._view = body
                self._seq = body.get("seq", self._seq)
            if "chart" in body:
                self._chart = body["chart"]
            if kind == "done":
                self._final = True
            self._changed.notify_all()

    def _read(self) -> None:
        _name_os_thread("mgs-live-link")
        checked = last_alive = time.monotonic()
        try:
            while True:
                try:
                    if self._conn.poll(0.25):
                        kind, body = self._conn.recv()
                        body["received_at"] = time.time()
                        self._apply(kind, body)
                except (EOFError, OSError):
                    break  # the child has ended (normally after "done", or crashed)
                now = time.monotonic()
                if now - checked >= 1.0:
                    checked = now
                    if self.alive():
                        last_alive = now
                    elif now - last_alive >= self.grace_s:
                        self.stop("the browser session ended; scoring stopped and the series was saved")
                with self._lock:
                    sent = self._stop_sent_at
                if sent is not None and now - sent > self.stop_timeout_s and self.process.is_alive():
                    self.process.kill()  # it did not stop when asked: never a hang (the chunks so far are kept)
        finally:
            self.process.join(10)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(10)
            self.exitcode = self.process.exitcode
            self._conn.close()
            with self._lock:
                if not self._final:
                    self.state, self.message = FAILED, self._crash_message()
                self._changed.notify_all()
            self._done.set()

    def _crash_message(self) -> str:
        code = self.exitcode
        how = (f"was killed by signal {-code}" if code is not None and code < 0 else
               f"ended unexpectedly (exit code {code})")
        rows = self._stats.rows_written
        try:
            from mgs_core.io.series import open_series

            rows = open_series(self.series_dir).rows
        except MGSError:
            pass
        return (f"The scoring process {how}. The {rows} rows written before it stopped are kept in the live series "
                f"`{self.series_dir.name}` (listed on Score curves); press Start to score again.")

