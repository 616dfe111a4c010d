"""The Label page's helpers: where label sets live, the labelling component, and the handling of its events.

Label sets are app-level, not per browser session: they live on disk under ``MGS_LABELS_DIR`` (default: the
``labels`` folder beside the session work folders, ``~/.cache/mgs-live/labels``), so a reload, a new tab or a
restarted server finds every label again. Which set and rater a tab is on is kept in the page URL
(``?set=...&rater=...``), so a reload resumes at the rater's first unlabelled frame.

The labelling widget is a small Streamlit component without a build step (``components/labeller/index.html``):
plain widgets cannot take a click on an image together with key presses. It shows one crop large; a click marks
the eye centre, a digit gives the score, N/X = no eye visible, U/Backspace = undo, arrows = previous/next; it sends
one event per action (``kind``, ``item``, ``x``, ``y`` in crop pixels, ``score``, ``nonce``). Everything it sends is
validated here (``mgs_core.labels.store``), never in the browser.
"""
from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import streamlit as st
import streamlit.components.v1 as components

from app_support import paths
from app_support.paths import work_root
from mgs_core.errors import InputError, MGSError
from mgs_core.labels.store import LabelSet, list_sets

COMPONENT_KEY = "lab_component"
_COMPONENT = components.declare_component("mgs_labeller", path=str(Path(__file__).parent / "components" / "labeller"))


def labels_root() -> Path:
    path = Path(os.environ.get("MGS_LABELS_DIR") or work_root().parent / "labels").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def sets() -> list[str]:
    return list_sets(labels_root())


def open_set(name: str) -> LabelSet:
    return LabelSet(labels_root() / name)


def data_url(img: np.ndarray) -> str:
    ok, buf = cv2.imencode(".png", cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    return "data:image/png;base64," + base64.b64encode(buf.tobytes()).decode("ascii")


def labeller(image: np.ndarray, item: str, scale: str, saved: tuple[float, float] | None, hint: str = "",
             display: int = 640, key: str = COMPONENT_KEY):
    """Show the crop; returns the latest event dict (or None before the first action)."""
    return _COMPONENT(image=data_url(image), item=item, scale=scale, saved=list(saved) if saved else None,
                      size=int(image.shape[1]), display=int(display), hint=hint, autofocus=True, key=key,
                      default=None)


@dataclass(frozen=True)
class Outcome:
    index: int  # the item to show next
    message: str = ""  # success note
    error: str = ""  # what was wrong (nothing was saved)


def handle_event(ls: LabelSet, rater: str, index: int, event: dict, may_label: bool = True) -> Outcome:
    """Apply one component event to the label set (labels are saved as given). Pure: no streamlit. With
    ``may_label`` False (a viewer: see :func:`labelling_allowed`) nothing is saved or undone."""
    if not may_label and event.get("kind") in ("score", "noeye", "undo"):
        return Outcome(index, error="not allowed: labelling frames needs the operator role")
    n = len(ls)
    kind = event.get("kind")
    item = str(event.get("item") or "")
    if kind in ("score", "noeye") and item != ls.items[index].name:
        return Outcome(index, error="that key press was for another frame; nothing was saved")
    try:
        if kind == "score":
            x, y = event.get("x"), event.get("y")
            raw = event.get("score")
            try:
                raw = float(raw)
            except (TypeError, ValueError):
                return Outcome(index, error=f"score {raw!r} is not a number")
            eye = None if x is None or y is None else (float(x), float(y))
            ls.label(rater, item, raw, eye)
        elif kind == "noeye":
            ls.label(rater, item, None, None)
        elif kind == "undo":
            undone = ls.undo(rater)
            if undone is None:
                return Outcome(index, error="nothing to undo")
            return Outcome(next(i for i, it in enumerate(ls.items) if it.name == undone), f"took back {undone}")
        elif kind == "prev":
            return Outcome(max(0, index - 1))
        elif kind == "next":
            return Outcome(min(n - 1, index + 1))
        else:
            return Outcome(index, error=f"unknown action {kind!r}")
    except MGSError as exc:
        return Outcome(index, error=str(exc))
    nxt = ls.next_unlabelled(rater, (index + 1) % n)
    return Outcome(index if nxt is None else nxt, f"saved {item}")


def labelling_allowed() -> bool:
    """May this session's user give labels (operator or admin)?"""
    from app_support import auth
    from mgs_core.access.roles import allows

    _, role = auth.role()
    return bool(role) and allows(role, auth.OPERATOR)


def url_state() -> tuple[str | None, str | None, bool]:
    """(set, rater, blind) from the page URL."""
    q = st.query_params
    return q.get("set") or None, q.get("rater") or None, q.get("blind", "1") != "0"


def set_url_state(set_name: str | None, rater: str | None, blind: bool = True) -> None:
    q = st.query_params
    for k, v in (("set", set_name), ("rater", rater)):
        if v:
            q[k] = v
        elif k in q:
            del q[k]
    q["blind"] = "1" if blind else "0"


def video_inputs(rel_paths: list[str]):
    """[(VideoInput, note)] for videos picked in the data folder: each with its sibling ROI file when there is one."""
    from mgs_core.io.rois import load_rois
    from mgs_core.labels.pick import VideoInput

    out = []
    for rel in rel_paths:
        try:
            video = paths.safe_join(paths.data_dir(), rel)
            roi_file = video.with_name(video.stem + ".rois.json")
            if roi_file.is_file():
                rois = load_rois(roi_file)
                out.append((VideoInput(video, rois), f"{len(rois)} ROIs from `{roi_file.name}`"))
            else:
                out.append((VideoInput(video, None), "no ROI file beside it: the whole frame is one ROI"))
        except MGSError as exc:
            out.append((None, f"cannot be used: {exc}"))
    return out


def create_set(name: str, inputs, runner, n: int, min_gap_s: float, weight: float, progress):
    from mgs_core.labels.pick import create_label_set
    from mgs_core.labels.store import check_set_name

    from app_support import audit_trail, auth

    user = auth.require(auth.OPERATOR, "choose frames to label")
    if any(i is None for i in inputs):
        raise InputError("one of the chosen videos cannot be used (see the note under it)")
    ls = create_label_set(labels_root() / check_set_name(name), inputs, runner, n, min_gap_s, weight,
                          progress=progress, user=user)
    audit_trail.record("labels.create", ls.name, frames=len(ls))
    return ls
