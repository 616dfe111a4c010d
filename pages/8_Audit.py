"""Audit trail (admins): who scored, labelled, trained, activated, reported or changed accounts, and when; the
accounts, the allowed inference servers and the job queue of this server."""
import pandas as pd
import streamlit as st

from app_support import auth, limits
from mgs_core.access.audit import audit_path, read
from mgs_core.errors import MGSError

st.title("Audit trail")
try:
    auth.require(auth.ADMIN, "see the audit trail")
except MGSError as exc:
    st.error(str(exc))
    st.stop()

st.caption(f"Append-only log `{audit_path()}` (each record fsync'd when written). The same list from a terminal: "
           "`mgs audit --user NAME --action score --since 2026-05-01`.")
c1, c2, c3 = st.columns(3)
who = c1.text_input("User", key="au_user")
action = c2.text_input("Action (e.g. score, train.finetune; 'labels.' = every labels action)", key="au_action")
since = c3.text_input("Since (e.g. 2026-05-01 or 2026-05-01T09:00)", key="au_since")
try:
    records = read(user=who.strip() or None, action=action.strip() or None, since=since.strip() or None)
except MGSError as exc:
    st.error(str(exc))
    records = []
table = pd.DataFrame([{"time (UTC)": r.time, "user": r.user, "action": r.action, "target": r.target,
                       "details": ", ".join(f"{k}={v}" for k, v in r.details.items())} for r in reversed(records)])
st.markdown(f"**{len(records)} records**, newest first.")
if len(table):
    st.dataframe(table, hide_index=True, key="au_table")
    st.download_button("Download (CSV)", table.to_csv(index=False), "mgs_audit.csv", "text/csv", key="au_dl", on_click="ignore")

st.subheader("Job queue")
for slots in (limits.training_slots(), limits.scoring_slots()):
    st.caption(limits.describe(slots.view()))

cfg = auth.config()
st.subheader("Accounts")
if cfg is None:
    st.info("Loopback mode: no users file; the app serves this computer only, as its OS user.")
else:
    st.dataframe(pd.DataFrame([{"user": u.name, "role": u.role} for u in sorted(cfg.users.values(),
                                                                                 key=lambda u: u.name)]),
                 hide_index=True, key="au_users")
    st.caption(f"Users file `{cfg.path}`. Allowed inference servers: {', '.join(cfg.servers) or 'none'}. "
               "Accounts and servers are changed on the server with `mgs users add|remove|set-role|servers` "
               "(every change is audited).")
