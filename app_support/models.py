"""The active model and inference backend of this session, and cached runner loading.

A session's choice lives in ``st.session_state`` (shipped weights or a checkpoint picked/trained on the Evaluate
page; local in-process inference or a remote ``mgs serve`` address). Local runners are cached process-wide with
``st.cache_resource`` (they are read-only and thread-safe for inference); remote runners hold a ZeroMQ socket, which
must not be shared between threads, so each job gets its own (:func:`new_runner`).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import streamlit as st

from app_support import audit_trail, auth
from mgs_core.access.roles import ADMIN, OPERATOR
from mgs_core.errors import MGSError

_KEY = "mgs_model"
_FLASH = "mgs_model_flash"


def model_choice() -> dict:
    """{'seg': path|None, 'score': path|None, 'label': str, 'server': address|None} (None = shipped / local)."""
    if _KEY not in st.session_state:
        # MGS_SEG_WEIGHTS / MGS_SCORE_WEIGHTS / MGS_SERVER let a lab start the app on its own model or server.
        seg, score = os.environ.get("MGS_SEG_WEIGHTS") or None, os.environ.get("MGS_SCORE_WEIGHTS") or None
        st.session_state[_KEY] = {"seg": seg, "score": score, "server": os.environ.get("MGS_SERVER") or None,
                                  "label": "weights set by the administrator" if seg or score else "shipped weights"}
    return st.session_state[_KEY]


def set_model(seg: str | Path | None, score: str | Path | None, label: str) -> None:
    if seg or score:  # making another model the active one is an admin's decision (and is audited)
        auth.require(ADMIN, "activate a model")
        audit_trail.record("model.activate", label, seg=seg and str(seg), score=score and str(score))
    choice = dict(model_choice())
    choice.update(seg=str(seg) if seg else None, score=str(score) if score else None, label=label)
    st.session_state[_KEY] = choice


def activate(seg: str | Path | None, score: str | Path | None, label: str, message: str) -> None:
    """Make a model the active one and start the script again, so the sidebar (drawn before the page) and every
    page name it at once; ``message`` is shown once at the top of the page after the rerun."""
    set_model(seg, score, label)
    st.session_state[_FLASH] = message
    st.rerun()


def pop_flash() -> str | None:
    """The message of the last :func:`activate` (once)."""
    return st.session_state.pop(_FLASH, None)


def active_paths(choice: dict | None = None) -> tuple[Path, Path]:
    """The (segmentation, score) checkpoint files of a choice (shipped weights where it names none)."""
    from mgs_core.models import default_weight_paths

    choice = choice or model_choice()
    seg_default, score_default = default_weight_paths()
    return Path(choice.get("seg") or seg_default), Path(choice.get("score") or score_default)


def set_server(address: str | None) -> None:
    choice = dict(model_choice())
    choice["server"] = auth.check_server(address.strip()) if address and address.strip() else None
    st.session_state[_KEY] = choice


@st.cache_resource(show_spinner="Loading the networks…", max_entries=8)
def _cached_local_runner(seg: str | None, score: str | None):
    from mgs_core.runners import load_runner

    runner = load_runner(seg=seg, score=score)
    runner.warmup()
    return runner


def new_runner(choice: dict | None = None):
    """A runner for the given (default: this session's) choice. Raises MGSError when it cannot be loaded, and
    PermissionDenied for a viewer (scoring needs the operator role)."""
    auth.require(OPERATOR, "score with the networks")
    choice = choice or model_choice()
    if choice.get("server"):
        from mgs_core.runners import load_runner

        return load_runner(server=choice["server"], seg=choice.get("seg"), score=choice.get("score"))
    return _cached_local_runner(choice.get("seg"), choice.get("score"))


def release(runner, choice: dict | None = None) -> None:
    """Close a runner obtained from :func:`new_runner` if it is a per-job (remote) one."""
    choice = choice or model_choice()
    if choice.get("server") and runner is not None:
        runner.close()


def active_runner_or_error():
    """(runner, None) or (None, message) so pages can show the problem instead of crashing."""
    try:
        return new_runner(), None
    except MGSError as exc:
        return None, str(exc)
    except (ImportError, AttributeError) as exc:
        return None, f"the scoring engine is not available in this installation ({exc})"


def card_of(path: str | Path | None) -> dict:
    """The JSON model card written beside a checkpoint (empty when there is none)."""
    if not path:
        return {}
    card = Path(str(Path(path).with_suffix("")) + ".card.json")
    try:
        return json.loads(card.read_text())
    except (OSError, ValueError):
        return {}


def model_name(card: dict, fallback: str) -> str:
    return str(card.get("name") or card.get("kind") or fallback)
