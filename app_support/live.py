"""Live page plumbing (Streamlit-aware): the session's scoring worker, the camera relay, and what the page draws.

- One worker per browser session (:mod:`app_support.live_worker`), kept in ``st.session_state``: starting a new one
  stops the old one; it stops by itself once its session has been disconnected for ``GRACE_S`` seconds
  (:func:`session_alive`), and STOP ends it. Its series goes to :func:`series_root` (the active workspace's
  ``live/`` folder), shared by the sessions and browsers of this machine, so a series recorded in a tab that was
  closed or crashed is still listed on Score curves in the next one. Its provenance names the user, the process
  (to tell a recording series from an interrupted one) and the ROI set as scored.
- :class:`CameraRelay`: the WebRTC ``video_frame_callback`` (receive-only: the camera picture is not sent back, so
  the server never encodes video) forwards each frame to the session's camera worker.
- :class:`DisplayStats`: what the page measures itself (display rate, decode -> shown latency).
- :func:`preview` / :func:`tile_strip`: the annotated picture at display size and one strip of per-mouse tiles,
  drawn only when the page refreshes (a few times a second), never per scored frame.
"""
from __future__ import annotations

import base64
import time
from collections import deque
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import streamlit as st

from app_support import audit_trail, paths, state, workspace
from app_support.identity import current_user
from app_support.live_worker import CameraWorker, FileWorker, LiveSnapshot, LiveWorker
from mgs_core.draw import NO_EYE, draw_results, score_colour
from mgs_core.geometry import crop_roi
from mgs_core.io.rois import rois_to_dict
from mgs_core.scoring import code_version
from mgs_core.workspace.store import this_process
from mgs_core.types import SCORED, FrameResult, RoiSet

GRACE_S = 10.0  # a session disconnected this long ends its worker (a page reload starts a new session)
DISPLAY_EVERY_S = 0.1  # live view refresh while scoring runs (nothing refreshes while idle)
CHART_EVERY_S = 1.0
DISPLAY_WIDTH = 960
TILE = 176
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


def current() -> LiveWorker | None:
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


def _install(worker: LiveWorker) -> LiveWorker:
    old = current()
    if old is not None and old.running:
        old.stop("replaced by a new run")
    state.put(_KEY, worker)
    state.put("live_display", DisplayStats())
    return worker.start()


def start_file(runner, path, roiset: RoiSet | None, roi_file, speed: float | None, loop: bool,
               start_s: float = 0.0) -> FileWorker:
    """Start scoring ``path`` in this session (MGSError for a file that is not a video or ROIs that do not fit)."""
    prov = _provenance(runner)
    prov["rois"] = {"file": str(roi_file) if roi_file else None, "whole_frame": roiset is None,
                    "content": rois_to_dict(roiset) if roiset is not None else None}
    worker = FileWorker(runner, path, roiset, _series_dir(path.stem), prov, speed=speed, loop=loop,
                        start_s=start_s, alive=session_alive(), grace_s=GRACE_S)
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
        self.html: str | None = None  # the last drawn live view, re-sent unchanged while no new result arrived

    def shown(self, snap: LiveSnapshot) -> bool:
        """Record a refresh; True when it shows a result not shown before."""
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


def display_stats() -> DisplayStats:
    stats = state.get("live_display")
    if stats is None:
        stats = DisplayStats()
        state.put("live_display", stats)
    return stats


def _scaled(roiset: RoiSet, result: FrameResult, s: float) -> tuple[RoiSet, FrameResult]:
    rois = tuple(replace(r, x=int(round(r.x * s)), y=int(round(r.y * s)), w=max(1, int(round(r.w * s))),
                         h=max(1, int(round(r.h * s)))) for r in roiset)
    res = tuple(replace(r, eye_x=None if r.eye_x is None else r.eye_x * s,
                        eye_y=None if r.eye_y is None else r.eye_y * s) for r in result.rois)
    return (RoiSet(rois, max(1, int(round(roiset.frame_width * s))), max(1, int(round(roiset.frame_height * s)))),
            replace(result, rois=res))


def preview(image: np.ndarray, roiset: RoiSet, result: FrameResult, width: int = DISPLAY_WIDTH):
    """(annotated picture at most ``width`` wide, the ROI set scaled to it): boxes, eye markers, scores."""
    h, w = image.shape[:2]
    s = min(1.0, width / w)
    small = image if s == 1.0 else cv2.resize(image, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    rs, fr = _scaled(roiset, result, s) if s != 1.0 else (roiset, result)
    return draw_results(small, rs, fr, show_time=True), rs


def jpeg_html(rgb: np.ndarray, alt: str, width: str = "100%", quality: int = 80) -> str:
    """An ``<img>`` with the picture inline (JPEG data URI): it arrives with the page update itself, so it cannot
    point to a media file already replaced by the next refresh, and costs no extra HTTP request."""
    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(rgb[:, :, ::-1]), [cv2.IMWRITE_JPEG_QUALITY, quality])
    data = base64.b64encode(buf.tobytes()).decode()
    return f"<img src='data:image/jpeg;base64,{data}' alt='{alt}' style='width:{width};max-width:100%'/>"


def tile_strip(drawn: np.ndarray, roiset: RoiSet, result: FrameResult, tile: int = TILE, per_row: int = 4):
    """One image with a square tile per ROI (the crop the networks see, with its overlay), name and score below."""
    by_id = {r.roi: r for r in result.rois}
    tiles = []
    for roi in roiset:
        t = crop_roi(drawn, roi, tile)
        res = by_id.get(roi.id)
        band = np.full((30, tile, 3), 24, np.uint8)
        if res is not None and res.status == SCORED and res.score is not None:
            label, colour = f"{roi.animal or roi.id}: {res.score:.1f}", score_colour(res.score)
        else:
            label, colour = f"{roi.animal or roi.id}: {(res.status if res else 'none').replace('_', ' ')}", NO_EYE
        cv2.putText(band, label[:22], (6, 21), cv2.FONT_HERSHEY_SIMPLEX, 0.5, colour, 1, cv2.LINE_AA)
        tiles.append(np.vstack([t, band]))
    rows = []
    for i in range(0, len(tiles), per_row):
        row = tiles[i:i + per_row]
        row += [np.full_like(tiles[0], 255)] * (per_row - len(row)) if len(tiles) > per_row else []
        rows.append(np.hstack([np.pad(t, ((2, 2), (2, 2), (0, 0)), constant_values=255) for t in row]))
    return np.vstack(rows)
