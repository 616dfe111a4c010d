"""Live page plumbing (Streamlit-aware): the session's scoring worker, the camera relay, and what the page draws.

- One worker per browser session (:mod:`app_support.live_process` for files, :mod:`app_support.live_worker`'s
  camera thread for the webcam), kept in ``st.session_state``: starting a new one
  stops the old one; it stops by itself once its session has been disconnected for ``GRACE_S`` seconds
  (:func:`session_alive`), and STOP ends it. Its series goes to :func:`series_root` (the active workspace's
  ``live/`` folder), shared by the sessions and browsers of this machine, so a series recorded in a tab that was
  closed or crashed is still listed on Score curves in the next one. Its provenance names the user, the process
  (to tell a recording series from an interrupted one) and the ROI set as scored.
- :class:`CameraRelay`: the WebRTC ``video_frame_callback`` (receive-only: the camera picture is not sent back, so
  the server never encodes video) forwards each frame to the session's camera worker.
- :class:`DisplayStats`: what the page measures itself (display rate, decode -> shown latency); :func:`arrivals`:
  when the live view draws (each result as it reaches the page, not at a fixed tick).
- :func:`view_html`: the live view block (picture, per-mouse tiles, decode stamp). Files are scored in their own
  process (:class:`app_support.live_process.FileProcess`), which sends the picture and tiles already drawn and
  JPEG-encoded (:mod:`app_support.live_draw`); the camera worker's frame is drawn here, per page refresh.
"""
from __future__ import annotations

import base64
import time
from collections import deque
from pathlib import Path

import pandas as pd

from app_support import audit_trail, charts, models, paths, state, workspace
from app_support.identity import current_user
from app_support.live_draw import view_jpegs
from app_support.live_process import FileProcess, RunnerSpec, chart_means
from app_support.live_worker import CameraWorker, LiveSnapshot, LiveWorker
from mgs_core.io.rois import rois_to_dict
from mgs_core.scoring import code_version
from mgs_core.types import RoiSet
from mgs_core.workspace.store import this_process

GRACE_S = 10.0  # a session disconnected this long ends its worker (a page reload starts a new session)
# The live view while scoring runs (nothing refreshes while idle): each refresh of its fragment draws the newest
# result, then stays for up to DISPLAY_RUN_S and draws every new result the moment it reaches the page process
# (:func:`arrivals`); the browser asks for the next refresh every DISPLAY_EVERY_S, so one starts as soon as the last
# ends. Drawing at a fixed refresh tick instead cost 40 of the 136 ms median latency (docs/benchmarks.md, "Live
# page"). A click on a control interrupts the refresh at its next drawing, within DISPLAY_WAIT_S.
DISPLAY_EVERY_S = 0.1
DISPLAY_RUN_S = 1.0
DISPLAY_WAIT_S = 0.15
DISPLAY_FLUSH_S = 0.05
CHART_EVERY_S = 1.0
_KEY = "live_worker"


def session_alive():
    """A thread-safe ``() -> bool``: is this browser session still connected to the server?"""
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or not Runtime.exists():
        return lambda: True  # bare/AppTest run: no server session to watch
    runtime, sid = Runtime.instance(), ctx.session_id
    return lambda: runtime.is_active_session(sid)


def current() -> LiveWorker | FileProcess | None:
    return state.get(_KEY)


def _provenance(runner) -> dict:
    info = runner.info()
    return {"runner": {"backend": info.backend, "device": info.device, "address": info.address,
                       "roi_size": info.roi_size},
            "models": {"segmentation": info.seg_model, "score": info.score_model},
            "code": code_version(), "session": state.session_id(), "user": current_user(), **this_process()}


def series_root() -> Path:
    """Where live series are written: the active workspace's ``live/`` folder (outside the per-session folders: a
    closed tab's series must stay findable from the next session). InputError when the workspace is read-only."""
    ws = workspace.current()
    ws.require_writable()
    return ws.live_dir


def _series_dir(tag: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    root = series_root()
    tag = paths.safe_filename(tag, "video")
    name, i = f"live_{stamp}_{tag}", 1
    while (root / name).exists():
        i += 1
        name = f"live_{stamp}_{tag}_{i}"
    return root / name


def _install(worker: LiveWorker | FileProcess) -> LiveWorker | FileProcess:
    old = current()
    if old is not None and old.running:
        old.stop("replaced by a new run")
    state.put(_KEY, worker)
    state.put("live_display", DisplayStats())
    return worker.start()


def start_file(runner, path, roiset: RoiSet | None, roi_file, speed: float | None, loop: bool,
               start_s: float = 0.0) -> FileProcess:
    """Start scoring ``path`` in this session, in its own process (MGSError for a file that is not a video or ROIs
    that do not fit). ``runner`` (this session's, already loaded) gives the provenance; the scoring process builds
    its own runner from the same model choice."""
    choice = models.model_choice()
    prov = _provenance(runner)
    models.release(runner, choice)  # a per-job remote runner: the scoring process opens its own connection
    prov["rois"] = {"file": str(roi_file) if roi_file else None, "whole_frame": roiset is None,
                    "content": rois_to_dict(roiset) if roiset is not None else None}
    worker = FileProcess(RunnerSpec.from_choice(choice), path, roiset, _series_dir(path.stem), prov, speed=speed,
                         loop=loop, start_s=start_s, alive=session_alive(), grace_s=GRACE_S)
    audit_trail.record("live.start", Path(path).name, source="file")
    return _install(worker)


def start_camera(runner, roiset: RoiSet | None, roi_file) -> CameraWorker:
    prov = _provenance(runner)
    prov["rois"] = {"file": str(roi_file) if roi_file else None, "whole_frame": roiset is None,
                    "content": rois_to_dict(roiset) if roiset is not None else None}
    worker = CameraWorker(runner, roiset, _series_dir("camera"), prov, alive=session_alive(), grace_s=GRACE_S)
    audit_trail.record("live.start", "camera", source="camera")
    return _install(worker)


def stop_current(reason: str = "stopped") -> None:
    worker = current()
    if worker is not None and worker.running:
        worker.stop(reason)


class CameraRelay:
    """``video_frame_callback`` for streamlit-webrtc: hands every camera frame to the session's camera worker."""

    def __init__(self):
        self.worker: CameraWorker | None = None

    def callback(self, frame):
        worker = self.worker
        if worker is not None and worker.running:
            worker.feed(frame)
        return frame


def camera_relay() -> CameraRelay:
    relay = state.get("live_relay")
    if relay is None:
        relay = CameraRelay()
        state.put("live_relay", relay)
    return relay


class DisplayStats:
    """Measured on the page thread: how often a new result reached the page, and how old it was when shown."""

    def __init__(self):
        self._shown: deque = deque(maxlen=100)
        self._lat: deque = deque(maxlen=200)
        self.last_seq = -1
        self.last_state: str | None = None
        self.html: str | None = None  # the last drawn live view, re-sent unchanged while no new result arrived

    def shown(self, snap: LiveSnapshot) -> bool:
        """Record a refresh; True when it shows a result not shown before."""
        self.last_state = snap.state
        if snap.seq == self.last_seq or snap.result is None:
            return False
        self.last_seq = snap.seq
        self._shown.append(time.monotonic())
        self._lat.append(max(0.0, (time.time() - snap.decoded_at) * 1e3))
        return True

    def fps(self) -> float:
        now = time.monotonic()
        recent = [t for t in self._shown if t >= now - 3.0]
        return (len(recent) - 1) / max(1e-6, recent[-1] - recent[0]) if len(recent) >= 2 else 0.0

    def latency_p95(self) -> float:
        lat = sorted(self._lat)
        return lat[min(len(lat) - 1, int(0.95 * len(lat)))] if lat else 0.0


def arrivals(worker, disp: DisplayStats, run_s: float = DISPLAY_RUN_S, wait_s: float = DISPLAY_WAIT_S,
             flush_s: float = DISPLAY_FLUSH_S):
    """Yields True each time ``worker`` has a result ``disp`` has not shown or a new state, False after a wait of
    ``wait_s`` with nothing new (the caller then touches Streamlit, where a click on a control interrupts it), for at
    most ``run_s`` seconds and while the worker runs.

    It never ends within ``flush_s`` of a yield: Streamlit drops the deltas of a fragment run it has not sent to the
    browser yet when the next run of the same fragment starts, so the last drawing gets that long to go out. A result
    that arrives as the time is up is drawn at the start of the next refresh instead."""
    end = time.monotonic() + run_s
    last_yield = None
    while worker.running:
        left = end - time.monotonic()
        if left <= 0:
            break
        got = worker.wait_for_update(disp.last_seq, disp.last_state, min(wait_s, left))
        if time.monotonic() >= end:
            break
        yield got
        last_yield = time.monotonic()
    if last_yield is not None:
        rest = last_yield + flush_s - time.monotonic()
        if rest > 0:
            time.sleep(rest)


def display_stats() -> DisplayStats:
    stats = state.get("live_display")
    if stats is None:
        stats = DisplayStats()
        state.put("live_display", stats)
    return stats


def jpeg_html(data: bytes, alt: str, width: str = "100%") -> str:
    """An ``<img>`` with the JPEG inline (data URI): it arrives with the page update itself, so it cannot point to a
    media file already replaced by the next refresh, and costs no extra HTTP request."""
    return (f"<img src='data:image/jpeg;base64,{base64.b64encode(data).decode()}' alt='{alt}' "
            f"style='width:{width};max-width:100%'/>")


CHART_SPEC = charts.score_lines_spec(title="Score over time (last 60 s, 0.5 s means)", x_title="seconds since start")


def chart_table(worker) -> pd.DataFrame:
    """The live chart's data: one mean score per 0.5 s and animal (time_s, animal, score). The scoring process sends
    them binned already; a thread worker's points are binned here."""
    return pd.DataFrame(chart_means(worker.chart_points()), columns=["time_s", "animal", "score"])


def view_html(snap: LiveSnapshot) -> str | None:
    """The live view of a snapshot as one block: the picture, the per-mouse tiles and the decode stamp (read by
    bench/live_page.py) arrive together. JPEGs drawn by the scoring process are used as they are; a thread worker's
    (the camera's) frame is drawn here."""
    if snap.preview_jpeg is not None:
        pic, tiles, tiles_w = snap.preview_jpeg, snap.tiles_jpeg, snap.tiles_width
    elif snap.image is not None and snap.result is not None:
        pic, tiles, tiles_w = view_jpegs(snap.image, snap.roiset, snap.result)
    else:
        return None
    return (f"<div class='mgs-live-view'>{jpeg_html(pic, 'scored frame')}<br/>"
            f"{jpeg_html(tiles, 'per-mouse tiles', width=f'{tiles_w}px')}"
            f"{_stamp(snap)}</div>")


def _stamp(snap: LiveSnapshot) -> str:
    """The hidden decode stamp (epoch ms; bench/live_page.py reads it when it reaches the DOM) with the result's
    later stamps as data attributes: scored, sent by the scoring process, received by the page process, and drawn
    into this page update (now)."""
    ms = (lambda t: int(t * 1000))
    return (f"<span class='mgs-live-stamp' style='display:none' data-scored='{ms(snap.scored_at)}' "
            f"data-sent='{ms(snap.sent_at)}' data-received='{ms(snap.received_at)}' "
            f"data-rendered='{ms(time.time())}'>{ms(snap.decoded_at)}</span>")
