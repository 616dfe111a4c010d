"""The run list drawn on the pages that use runs (Batch scoring, Score curves): date, inputs, settings, models,
frames, status; open and delete. Messages about folders that cannot be read are shown once each."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app_support import workspace
from mgs_core.errors import InputError
from mgs_core.workspace.store import RunEntry


def label(entry: RunEntry) -> str:
    r = entry.record
    return f"{r.when} · {r.input_names} · {r.kind} · {r.settings_text() or 'default settings'} · {r.frames} frames · " \
           f"{entry.status}"


def problems(listing) -> None:
    for msg in listing.problems:
        st.warning(msg)


SHOWN = 100


def table(entries: list[RunEntry], key: str) -> None:
    """A plain table (newest first, at most SHOWN rows): short enough to read, and its text is in the page."""
    rows = [e.record.row(e.status) for e in entries[:SHOWN]]
    st.table(pd.DataFrame(rows).set_index("date (UTC)"))
    if len(entries) > SHOWN:
        st.caption(f"The newest {SHOWN} of {len(entries)} runs are listed.")


def delete_control(entries: list[RunEntry], key: str) -> None:
    """Pick a run and delete it, after a confirmation tick."""
    if not entries:
        return
    with st.expander("Delete a run"):
        ids = [e.id for e in entries]
        by_id = {e.id: e for e in entries}
        rid = st.selectbox("Run", ids, format_func=lambda i: label(by_id[i]), key=f"{key}_del_pick")
        sure = st.checkbox("Yes, delete this run and its files (nothing else is touched)", key=f"{key}_del_sure")
        if st.button("Delete run", key=f"{key}_del", disabled=not sure):
            try:
                workspace.delete(rid)
                st.session_state.pop(f"{key}_del_sure", None)
                st.rerun()
            except InputError as exc:
                st.error(str(exc))
