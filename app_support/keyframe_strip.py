"""Batch results: a strip of key frames per animal (lowest, median, highest score, one without an eye), drawn with
the eye marker and score, so people see what the numbers mean (mgs_core.analysis.strip does the work)."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_support import user_names
from mgs_core.errors import MGSError


@st.cache_data(show_spinner="Cutting the key frames…", max_entries=16)
def _tiles(csv: str, mtime: float):
    from mgs_core.analysis.strip import run_strip

    return run_strip(csv)


def show(csv: str | Path, title: str = "Key frames per animal") -> None:
    """The strip for one published run (its CSV, with the provenance JSON beside it)."""
    csv = Path(csv)
    try:
        tiles = _tiles(str(csv), csv.stat().st_mtime)
    except (MGSError, OSError) as exc:
        user_names.warning(f"No key frames for {csv.name}: {exc}")
        return
    if not tiles:
        return
    box = st.container(key="keyframe_strip")
    box.subheader(title)
    box.caption("The frames behind the numbers, as the networks saw them: per animal the lowest, median and highest "
               "score and one frame where no eye could be judged (with the reason). The circle is the eye the "
               "network found.")
    animals: dict[str, list] = {}
    for t in tiles:
        animals.setdefault(t.roi, []).append(t)
    for roi, group in animals.items():
        head = group[0]
        box.markdown(f"**{head.animal}** ({roi}{', ' + head.group if head.group else ''})")
        cols = box.columns(4)
        for col, t in zip(cols, group):
            col.image(t.image, width=190, caption=f"frame {t.frame}")
