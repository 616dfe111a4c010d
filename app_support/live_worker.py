"""Live scoring workers: one background thread per browser session that scores the newest frame of a source.

No Streamlit here (the page reads :meth:`LiveWorker.snapshot`; :mod:`app_support.live` owns the workers):

- :class:`FileWorker` plays a video file with :mod:`mgs_core.io.video`'s live mode at its real frame rate (or,
  at ``speed=None``, as fast as scoring goes), scores the newest frame, and counts the frames it had to skip.
  Controls: pause/resume, seek, loop or stop at the end, speed. Results carry the video's own frame numbers/times.
- :class:`CameraWorker` scores frames a WebRTC callback hands it through :meth:`CameraWorker.feed` (a one-frame
  slot: the callback only stores the frame, the worker converts and scores it; frames overwritten before the worker
  took them are counted as dropped). A camera that stops sending frames ends the run with a message.

Every scored frame is appended to a :class:`mgs_core.io.series.SeriesWriter` from the worker thread (small chunks,
never rewritten), so the page thread never saves anything. The worker stops by itself when ``alive()`` (the browser
session still connected) has been false for ``grace_s`` seconds, and closes its series whatever ends it.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from mgs_core.errors import MGSError
from mgs_core.io.rois import full_frame_rois, validate_rois
from mgs_core.io.series import SeriesWriter
from mgs_core.models.checkpoint import file_sha256
from mgs_core.io.video import VideoInfo, open_video, probe_video
from mgs_core.pipeline import Pipeline
from mgs_core.types import FrameResult, RoiSet

# worker states
STARTING, PLAYING, PAUSED, ENDED, STOPPED, FAILED = "starting", "playing", "paused", "ended", "stopped", "failed"
RUNNING_STATES = (STARTING, PLAYING, PAUSED)


@dataclass(frozen=True)
class LiveStats:
    scored: int  # frames scored in this run
    rows_written: int  # rows on disk (in chunks) so far
    scored_fps: float  # frames scored per second over the last ~2 s
    dropped: int  # frames the source delivered that were skipped because scoring was busy
    score_ms_p50: float  # frame taken from the decoder/camera -> result ready (worker side)
    score_ms_p95: float
    position_s: float  # time in the video (or camera stream) of the newest scored frame
    duration_s: float  # length of the video (0 for a camera)
    passes: int  # completed passes through a looping file
    max_flush_ms: float  # longest chunk write so far (on the worker thread)


@dataclass(frozen=True)
class LiveSnapshot:
    """What the page draws: the newest scored frame and its result, the state and the figures."""

    seq: int  # number of frames scored so far; a new value means a new result
    image: np.ndarray | None  # the newest scored frame, full size RGB
    result: FrameResult | None
    roiset: RoiSet | None
    decoded_at: float  # time.time() when that frame came out of the decoder/camera
    state: str
    message: str | None
    stats: LiveStats
    series: Path
    # set instead of ``image`` when the scorer runs in its own process (app_support.live_process): the picture and
    # tiles arrive drawn and JPEG-encoded
    preview_jpeg: bytes | None = None
    tiles_jpeg: bytes | None = None
    tiles_width: int = 0
    # time.time() of the same result further on its way to the page (0 where it did not pass): scored, drawn +
    # JPEG-encoded and handed to the pipe in the scoring process, read by the page process. The page shows them in
    # the live view's hidden stamp, so bench/live_page.py can tell where the latency goes.
    scored_at: float = 0.0
    sent_at: float = 0.0
    received_at: float = 0.0


def _name_os_thread(name: str) -> None:
    """Give the calling thread an OS-visible name (Linux ``/proc/<pid>/task/<tid>/comm``, ``top -H``)."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME
    except (OSError, AttributeError):
        pass


@contextmanager
def _as_pool_creator():
    """Library thread pools that may start inside (pyarrow, OpenCV, inference) outlive the worker: they must not
    inherit its OS name, which is how an orphaned worker (or decoder) is recognised."""
    _name_os_thread("mgs-pool")
    try:
        yield
    finally:
        _name_os_thread("mgs-live")


class LiveWorker:
    """Common machinery: the thread, the series, stats, the chart buffer and the session watchdog."""

    kind = "live"

    def __init__(self, runner, roiset: RoiSet | None, series_dir: str | Path, provenance: dict,
                 alive: Callable[[], bool] | None = None, grace_s: float = 10.0, chunk_seconds: float = 2.0,
                 chart_seconds: float = 60.0):
        self.runner = runner
        self.roiset = roiset
        self._pipeline = Pipeline(runner, roi_size=runner.info().roi_size)
        prov = dict(provenance)
        prov.setdefault("source", {})["kind"] = self.kind
        self.writer = SeriesWriter(series_dir, prov, chunk_seconds=chunk_seconds)
        self.alive = alive or (lambda: True)
        self.grace_s = grace_s
        self.chart_seconds = chart_seconds
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # notified on every new result or state change
        self._stop = threading.Event()
        self._wake = threading.Event()  # pause/resume/seek/speed changes wake a waiting worker
        self.updated = threading.Event()  # set on every new result or state change (a publisher waits on it)
        self._paused = False
        self._stop_reason = "stopped"
        self.state, self.message = STARTING, None
        self._seq = 0
        self._latest: tuple | None = None  # (image, result, roiset, decoded_at, scored_at)
        self._times: deque = deque(maxlen=240)
        self._lat: deque = deque(maxlen=300)
        self._chart: deque = deque()  # (seconds since start, ((animal, score), ...)), trimmed to chart_seconds
        self.dropped = 0
        self.passes = 0
        self.position_s = 0.0
        self.duration_s = 0.0
        self.t_start = time.monotonic()
        self._last_alive = time.monotonic()
        self._alive_checked = 0.0
        self._thread = threading.Thread(target=self._main, name=f"mgs-live-{self.writer.name}", daemon=True)

    # ---- page-facing API (any thread) ------------------------------------------------------------------------
    def start(self) -> "LiveWorker":
        self._thread.start()
        return self

    def stop(self, reason: str = "stopped") -> None:
        with self._lock:
            self._stop_reason = reason
        self._stop.set()
        self._wake.set()

    def pause(self) -> None:
        with self._lock:
            self._paused = True
        self._wake.set()

    def resume(self) -> None:
        with self._lock:
            self._paused = False
        self._wake.set()

    @property
    def paused(self) -> bool:
        """Pause was asked for (the state turns ``paused`` once the worker has stopped at its next frame)."""
        return self._is_paused()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def snapshot(self) -> LiveSnapshot:
        with self._lock:
            latest, seq, state, message = self._latest, self._seq, self.state, self.message
            lat = sorted(self._lat)
            times = list(self._times)
        now = time.monotonic()
        recent = [t for t in times if t >= now - 2.0]
        fps = (len(recent) - 1) / max(1e-6, recent[-1] - recent[0]) if len(recent) >= 2 else 0.0
        p = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else 0.0)
        stats = LiveStats(seq, self.writer.rows_written, fps, self._dropped_now(), p(0.5), p(0.95), self.position_s,
                          self.duration_s, self.passes, self.writer.max_flush_s * 1e3)
        image, result, roiset, decoded_at, scored_at = latest if latest else (None, None, None, 0.0, 0.0)
        return LiveSnapshot(seq, image, result, roiset, decoded_at, state, message, stats, self.writer.folder,
                            scored_at=scored_at)

    def _dropped_now(self) -> int:
        return self.dropped

    def wait_for_update(self, seen_seq: int, seen_state: str | None, timeout: float) -> bool:
        """Block until a result newer than ``seen_seq`` or a state other than ``seen_state`` (at most ``timeout``
        seconds); True when one came. The live view waits here, so it draws a result the moment it lands instead of
        at the next fixed refresh."""
        with self._changed:
            return self._changed.wait_for(lambda: self._seq > seen_seq or self.state != seen_state, timeout)

    def chart_points(self) -> list[tuple[float, str, float]]:
        """(seconds since START, animal, score) of the scored ROIs over the last ``chart_seconds``."""
        with self._lock:
            frames = list(self._chart)
        return [(t, animal, score) for t, pairs in frames for animal, score in pairs if score is not None]

    # ---- worker thread -------------------------------------------------------------------------------------
    def _main(self) -> None:
        _name_os_thread("mgs-live")
        try:
            self._run()
        except MGSError as exc:
            self._set(FAILED, str(exc))
        except Exception as exc:  # noqa: BLE001 - shown in the page; what was scored is kept
            self._set(FAILED, f"scoring stopped on an unexpected error: {type(exc).__name__}: {exc}")
        finally:
            if self.state in RUNNING_STATES:
                reason = self._stop_reason
                self._set(STOPPED, None if reason == "stopped" else reason)
            try:
                with _as_pool_creator():
                    self.writer.close(self._run_record())
            except Exception as exc:  # noqa: BLE001 - the chunks stay readable
                with self._lock:
                    self.message = (self.message + "; " if self.message else "") + \
                        f"the series could not be consolidated ({exc}); its chunks are kept"

    def _run(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _set(self, state: str, message: str | None = None) -> None:
        with self._lock:
            self.state = state
            if message is not None:
                self.message = message
            self._changed.notify_all()
        self.updated.set()

    def _should_stop(self) -> bool:
        """True when STOP was pressed or the session has been gone for ``grace_s`` (checked once a second)."""
        if self._stop.is_set():
            return True
        now = time.monotonic()
        if now - self._alive_checked >= 1.0:
            self._alive_checked = now
            if self.alive():
                self._last_alive = now
            elif now - self._last_alive >= self.grace_s:
                self.stop("the browser session ended; scoring stopped and the series was saved")
                return True
        return False

    def _is_paused(self) -> bool:
        with self._lock:
            return self._paused

    def _wait_while_paused(self) -> None:
        self._set(PAUSED)
        while self._is_paused() and not self._should_stop():
            self._wake.wait(0.5)
            self._wake.clear()

    def _check_rois(self, width: int, height: int, what: str) -> RoiSet:
        if self.roiset is None:
            self.roiset = full_frame_rois(width, height)
        else:
            validate_rois(self.roiset, width, height, source=f"the ROI file (for {what})")
        return self.roiset

    def _score(self, image: np.ndarray, index: int, time_s: float, decoded_at: float, taken: float) -> None:
        with _as_pool_creator():
            fr = self._pipeline.process(image, self.roiset, index, time_s)
        now, scored_at = time.monotonic(), time.time()
        pairs = tuple((r.animal or r.roi, r.score) for r in fr.rois)
        with self._lock:
            self._seq += 1
            self._latest = (image, fr, self.roiset, decoded_at, scored_at)
            self._times.append(now)
            self._lat.append((now - taken) * 1e3)
            self._chart.append((now - self.t_start, pairs))
            while self._chart and self._chart[0][0] < now - self.t_start - self.chart_seconds:
                self._chart.popleft()
            self.position_s = time_s
            if self.state == STARTING:
                self.state = PLAYING
            self._changed.notify_all()
        self.updated.set()
        with _as_pool_creator():  # after the result is handed on: a chunk write (every 2 s) does not delay its display
            self.writer.append(fr)

    def _run_record(self) -> dict:
        s = self.snapshot().stats
        wall = time.monotonic() - self.t_start
        flush = sorted(self.writer.flush_s)
        return {"state": self.state, "message": self.message, "frames_scored": s.scored,
                "frames_dropped": s.dropped, "passes": s.passes, "wall_s": round(wall, 3),
                "frames_per_s": round(s.scored / wall, 2) if wall > 0 else 0.0,
                "chunk_write_ms_max": round(max(flush, default=0.0) * 1e3, 2),
                "chunk_write_ms_p50": round(flush[len(flush) // 2] * 1e3, 2) if flush else 0.0}


class FileWorker(LiveWorker):
    """Plays a video file like a camera (its real frame rate, ``speed=1.0``) or as fast as possible (``None``)."""

    kind = "file"

    def __init__(self, runner, path: str | Path, roiset: RoiSet | None, series_dir: str | Path, provenance: dict,
                 speed: float | None = 1.0, loop: bool = True, start_s: float = 0.0, **kw):
        self.path = Path(path)
        self.info: VideoInfo = probe_video(self.path)  # VideoError for a file that is not a video
        if self.info.is_image:
            raise MGSError(f"{self.path.name} is an image; live scoring needs a video (use Batch scoring for images)")
        if roiset is not None:
            validate_rois(roiset, self.info.width, self.info.height, source=f"the ROI file (for {self.path.name})")
        prov = dict(provenance)
        prov["input"] = {"path": str(self.path.resolve()), "name": self.path.name,
                         "size_bytes": self.path.stat().st_size, "sha256": file_sha256(self.path), "width": self.info.width,
                         "height": self.info.height, "fps": self.info.fps, "n_frames_header": self.info.n_frames,
                         "duration_s": self.info.duration_s, "codec": self.info.codec}
        super().__init__(runner, roiset, series_dir, prov, **kw)
        self.duration_s = self.info.duration_s
        self._speed = speed
        self._loop = loop
        self._seek_to: int | None = self._frame_at(start_s)
        self._restart = False
        self._src = None

    @property
    def fps(self) -> float:
        return self.info.fps or 30.0

    def _frame_at(self, t: float) -> int:
        last = max(0, (self.info.n_frames or 1) - 1)
        return int(min(last, max(0, round(float(t) * self.fps))))

    def seek(self, t: float) -> None:
        with self._lock:
            self._seek_to = self._frame_at(t)
        self._wake.set()

    def set_speed(self, speed: float | None) -> None:
        with self._lock:
            if speed != self._speed:
                self._speed, self._restart = speed, True
        self._wake.set()

    def set_loop(self, loop: bool) -> None:
        with self._lock:
            self._loop = bool(loop)

    @property
    def speed(self) -> float | None:
        with self._lock:
            return self._speed

    @property
    def loop(self) -> bool:
        with self._lock:
            return self._loop

    def _take_control(self) -> tuple[int | None, bool]:
        with self._lock:
            seek, restart = self._seek_to, self._restart
            self._seek_to, self._restart = None, False
            return seek, restart

    def _dropped_now(self) -> int:
        with self._lock:
            src = self._src
            return self.dropped + (src.dropped if src is not None else 0)

    def _run(self) -> None:
        self._check_rois(self.info.width, self.info.height, self.path.name)
        pos, kind = 0, "start"
        while not self._should_stop():
            if self._is_paused():
                self._wait_while_paused()
                kind = "resume"
                continue
            seek, _ = self._take_control()
            if seek is not None:
                pos, kind = seek, ("seek" if kind != "start" else kind)
            speed = self.speed
            with _as_pool_creator():
                self.writer.segment(kind, start_frame=pos, speed="max" if speed is None else speed)
            self._set(PLAYING)
            interrupted = False
            src = open_video(self.path, live=speed is not None, start=pos)
            self._src = src
            try:
                for vf in src:
                    taken = time.monotonic()  # the decoder hands over at most one frame interval after decoding it
                    decoded_at = time.time()
                    if self._should_stop() or self._is_paused():
                        interrupted = True
                        break
                    seek, restart = self._take_control()
                    if seek is not None or restart:
                        pos, kind = (seek, "seek") if seek is not None else (vf.index, "speed")
                        interrupted = True
                        break
                    self._score(vf.image, vf.index, vf.time_s, decoded_at, taken)
                    pos = vf.index + 1
            finally:
                src.close()
                with self._lock:
                    self.dropped += src.dropped
                    self._src = None
            if interrupted:
                continue
            # the file ended (or broke)
            if src.decode_error:
                self._set(ENDED, f"{src.decode_error}. The frames scored before it are saved.")
                return
            if self.loop:
                self.passes += 1
                pos, kind = 0, "loop"
                continue
            self._set(ENDED, f"The video has ended ({self.info.duration_s:.1f} s played). The series is saved.")
            return


class CameraWorker(LiveWorker):
    """Scores frames handed over by a WebRTC callback (:meth:`feed`), newest first."""

    kind = "camera"

    def __init__(self, runner, roiset: RoiSet | None, series_dir: str | Path, provenance: dict,
                 stall_s: float = 5.0, **kw):
        super().__init__(runner, roiset, series_dir, provenance, **kw)
        self.stall_s = stall_s
        self._slot = None  # (av.VideoFrame or ndarray, received monotonic, received epoch)
        self._slot_lock = threading.Lock()
        self._have = threading.Event()
        self.received = 0
        self._pts0 = None
        self._size: tuple[int, int] | None = None  # the first frame's (width, height)

    def feed(self, frame) -> None:
        """Called by the WebRTC callback thread for every camera frame: store it, nothing else."""
        with self._slot_lock:
            if self._slot is not None:
                self.dropped += 1
            self._slot = (frame, time.monotonic(), time.time(), self.received)
            self.received += 1
        self._have.set()

    def end_of_feed(self) -> None:
        """The camera stream was stopped (the WebRTC component's STOP)."""
        self.stop()

    def _take(self):
        with self._slot_lock:
            item, self._slot = self._slot, None
            self._have.clear()
            return item

    def _to_rgb(self, frame, index: int, received: float) -> tuple[np.ndarray, float]:
        if isinstance(frame, np.ndarray):
            return frame, received - self.t_start
        rgb = frame.to_ndarray(format="rgb24")
        if frame.pts is not None and frame.time_base is not None:
            if self._pts0 is None:
                self._pts0 = frame.pts
            return rgb, float((frame.pts - self._pts0) * frame.time_base)
        return rgb, received - self.t_start

    def _run(self) -> None:
        last_frame = time.monotonic()
        with _as_pool_creator():
            self.writer.segment("start")
        while not self._should_stop():
            if self._is_paused():
                self._wait_while_paused()
                with _as_pool_creator():
                    self.writer.segment("resume")
                self._set(PLAYING)
                last_frame = time.monotonic()
                continue
            if not self._have.wait(0.25):
                if time.monotonic() - last_frame >= self.stall_s:
                    self._set(FAILED, f"The camera sent no frame for {self.stall_s:.0f} s (disconnected?); "
                                      "scoring stopped and the frames scored so far are saved.")
                    return
                continue
            item = self._take()
            if item is None:
                continue
            frame, taken, decoded_at, index = item
            last_frame = time.monotonic()
            with _as_pool_creator():
                rgb, t = self._to_rgb(frame, index, taken)
            h, w = rgb.shape[:2]
            if self._size is None:
                self._check_rois(w, h, f"a {w}x{h} camera")
                self._size = (w, h)
            elif (w, h) != self._size:  # WebRTC lowered the resolution under load: back to the first frame's size
                with _as_pool_creator():
                    rgb = cv2.resize(rgb, self._size, interpolation=cv2.INTER_LINEAR)
            self._score(rgb, index, t, decoded_at, taken)
