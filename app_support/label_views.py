"""Sections of the Label page (Streamlit): choose a set and rater, the blind labelling view, dataset export/import.

Blind mode shows only the crop, its neutral name and the rater's progress: never the model's score, the video, the
animal or the time.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_support import audit_trail, auth, labelling, state, user_names
from mgs_core.analysis.scale import SCALE_0_9, SCALE_MGS012
from mgs_core.errors import MGSError

NEW = "New rater…"
SCALE_LABELS = {SCALE_0_9: "continuous 0-9", SCALE_MGS012: "MGS 0/1/2 (converted 0 -> 1.5, 1 -> 4.5, 2 -> 7.5)"}


def choose_set_and_rater(all_sets: list[str], set_name: str | None, rater: str | None, blind: bool,
                         allow_new: bool = True):
    """Pick a label set and a rater (both kept in the URL). Returns (LabelSet | None, rater | None)."""
    if not all_sets:
        st.info("No label set yet: choose frames to label in step 1.")
        return None, None
    c1, c2 = st.columns(2)
    idx = all_sets.index(set_name) if set_name in all_sets else len(all_sets) - 1
    name = c1.selectbox("Label set", all_sets, index=idx, key="lab_set")
    try:
        ls = labelling.open_set(name)
    except MGSError as exc:
        user_names.error(str(exc))
        return None, None
    raters = ls.rater_names()
    options = raters + ([NEW] if allow_new else [])
    if not options:
        st.info("Nobody has labelled this set yet.")
        labelling.set_url_state(name, None, blind)
        return ls, None
    r_key = f"lab_rater_{name}"
    pending = st.session_state.pop("lab_pending_rater", None)
    if pending in options:
        st.session_state[r_key] = pending  # the rater just added (set before the widget exists)
    elif r_key in st.session_state and st.session_state[r_key] not in options:
        del st.session_state[r_key]
    r_idx = options.index(rater) if rater in options else len(options) - 1 if not raters else 0
    who = c2.selectbox("Rater", options, index=r_idx, key=r_key)
    if who == NEW:
        n1, n2 = st.columns(2)
        new = n1.text_input("Your name (one file per rater; names must differ)", key="lab_new_rater")
        scale = n2.radio("Your scale", [SCALE_0_9, SCALE_MGS012], format_func=SCALE_LABELS.get, key="lab_scale",
                         help="Recorded with every label and in the export. MGS 0/1/2 scores are stored on 0-9 with "
                              "the documented conversion (docs/analysis.md).")
        if st.button("Start labelling", type="primary", key="lab_add_rater"):
            try:
                rf = ls.add_rater(new, scale)
                labelling.set_url_state(name, rf.name, blind)
                st.session_state["lab_pending_rater"] = rf.name
                st.rerun()
            except MGSError as exc:
                user_names.error(str(exc))
        labelling.set_url_state(name, None, blind)
        return ls, None
    labelling.set_url_state(name, who, blind)
    return ls, who


def _msg_key(ls, rater) -> str:
    return f"lab_msg:{ls.name}:{rater}"


def labelling_view(ls, rater: str, blind: bool) -> None:
    blind = st.toggle("Blind mode (no model score, no video or time)", value=blind, key="lab_blind")
    labelling.set_url_state(ls.name, rater, blind)
    rf = ls.rater(rater)
    n = len(ls)
    done = sum(1 for it in ls.items if it.name in rf.labels)
    idx_key = f"lab_idx:{ls.name}:{rater}"
    if idx_key not in st.session_state:  # a new tab or a reload: resume at the first unlabelled frame
        first = ls.next_unlabelled(rater)
        st.session_state[idx_key] = 0 if first is None else first
    # the component's latest event is in its widget state before it is drawn: apply it first, so one script run
    # both saves the label and shows the next frame
    ev = st.session_state.get(labelling.COMPONENT_KEY)
    if ev and ev.get("nonce") and ev["nonce"] != st.session_state.get("lab_nonce"):
        st.session_state["lab_nonce"] = ev["nonce"]
        out = labelling.handle_event(ls, rater, min(int(st.session_state[idx_key]), n - 1), ev,
                                     labelling.labelling_allowed())
        st.session_state[idx_key] = out.index
        st.session_state[_msg_key(ls, rater)] = {"error": out.error, "message": out.message}
        rf = ls.rater(rater)
        done = sum(1 for it in ls.items if it.name in rf.labels)
    idx = min(int(st.session_state[idx_key]), n - 1)
    item = ls.items[idx]
    st.progress(done / n, text=f"**{done} of {n}** labelled by {rf.name} ({SCALE_LABELS[rf.scale]})")
    if done == n:
        st.success(f"All {n} frames labelled. Export them in step 3 or compare raters on the Agreement page.")
    msg = st.session_state.pop(_msg_key(ls, rater), None)
    if msg and msg.get("error"):
        user_names.error(msg["error"])
    elif msg and msg.get("message"):
        st.caption(f"✓ {msg['message']}")
    lab = rf.labels.get(item.name)
    left, right = st.columns([3, 1])
    with right:
        st.markdown(f"### {item.name}\nframe {idx + 1} of {n}")
        if lab is None:
            st.caption("not labelled yet")
        elif lab.eye_visible:
            raw = f"{lab.raw:g}" + (" (MGS)" if lab.scale == SCALE_MGS012 else "")
            st.caption(f"your label: score {raw}, eye at ({lab.eye_x:.0f}, {lab.eye_y:.0f})")
        else:
            st.caption("your label: no eye visible")
        if not blind:
            ms = "none" if item.model_score is None else f"{item.model_score:.2f}"
            st.caption(f"{item.video}, frame {item.frame} ({item.time_s:.2f} s), {item.roi} / {item.animal} "
                       f"({item.group}); model score {ms}, uncertainty {item.uncertainty:.2f}")
        keys = "0, 1 or 2" if rf.scale == SCALE_MGS012 else "0-9"
        st.markdown(f"**Click the eye centre, then type the score ({keys}).**  \n`N` no eye visible · `U` undo · "
                    "`←` `→` previous / next")
    with left:
        saved = (lab.eye_x, lab.eye_y) if lab is not None and lab.eye_visible else None
        labelling.labeller(ls.read_image(item), item.name, rf.scale, saved)


def dataset_view(ls, rater: str | None) -> None:
    from mgs_core.labels.exchange import export_zip, import_labels

    st.markdown("A rater's labels as a dataset folder (docs/dataset.md: crops, eye points, eye_visible, score, "
                "no masks; plus the rater, the scale and the raw score), as one ZIP. Import puts a ZIP of such "
                "labels back in as a new rater; it must label this set's crops.")
    if rater:
        if st.button(f"Prepare the ZIP of {rater}'s labels", key="lab_zip"):
            try:
                path = export_zip(ls, rater, state.work_dir("exports") / f"{ls.name}_{rater.replace(' ', '_')}.zip")
                state.put("lab_zip_path", str(path))
                audit_trail.record("labels.export", ls.name, rater=rater)
            except MGSError as exc:
                user_names.error(str(exc))
        zp = state.get("lab_zip_path")
        if zp and ls.name in zp:
            with open(zp, "rb") as fh:
                st.download_button("Download the dataset ZIP", fh.read(), file_name=zp.rsplit("/", 1)[-1],
                                   mime="application/zip", key="lab_zip_dl", on_click="ignore")
    st.markdown("#### Import labels")
    up = st.file_uploader("Dataset ZIP", type=["zip"], key="lab_import_zip", help=state.upload_note())
    who = st.text_input("Rater name for these labels (empty: the ZIP's rater column)", key="lab_import_rater")
    if st.button("Import", key="lab_import", disabled=up is None):
        try:
            auth.require(auth.OPERATOR, "import labels")
            res = import_labels(ls, state.save_upload(up, "uploads"), who.strip() or None)
            audit_trail.record("labels.import", ls.name, rater=res.rater, labels=res.n_labels)
            st.success(f"{res.n_labels} labels imported as rater {res.rater} ({res.scale}).")
        except MGSError as exc:
            user_names.error(str(exc))


def _fmt(v) -> str:
    return "n/a" if v is None or v != v else f"{v:.3f}"


def finetune_view(all_sets: list[str], set_name: str | None) -> None:
    from app_support import finetune_jobs, models
    from mgs_core.models import default_weight_paths

    st.markdown("Fine-tune **both networks** from the active model on one rater's labels (the U-Net learns the eye "
                "from the clicked eye points, the regressor the scores). Before training, a k-fold "
                "cross-validation on your labels measures the score network as it is and fine-tuned on the other "
                "folds. The job runs in the background: you may leave this page; it can be cancelled.")
    if all_sets:
        ls, rater = choose_set_and_rater(all_sets, set_name, None, True, allow_new=False)
        choice = models.model_choice()
        c1, c2, c3 = st.columns(3)
        e_seg = c1.number_input("U-Net epochs", 1, 500, 20, key="ft_epochs_seg")
        e_score = c2.number_input("Regressor epochs", 1, 500, 60, key="ft_epochs_score")
        folds = c3.number_input("Cross-validation folds", 2, 30, 5, key="ft_folds")
        st.caption(f"Starts from the active model: **{choice['label']}**.")
        if st.button("Start fine-tuning", type="primary", key="ft_start", disabled=ls is None or not rater):
            seg_default, score_default = default_weight_paths()
            parent = (choice.get("seg") or str(seg_default), choice.get("score") or str(score_default))
            try:
                job = finetune_jobs.start(labelling.labels_root(), ls, rater, parent, choice["label"], int(e_seg),
                                          int(e_score), int(folds))
                st.session_state["ft_job"] = job
            except MGSError as exc:
                user_names.error(str(exc))
    jobs = finetune_jobs.list_jobs(labelling.labels_root())
    running = any(j.get("state") == finetune_jobs.RUNNING for j in jobs)

    @st.fragment(run_every=1.0 if running else None)
    def jobs_panel():
        for j in finetune_jobs.list_jobs(labelling.labels_root())[:5]:
            _job(j)

    jobs_panel()


def _job(j: dict) -> None:
    from app_support import finetune_jobs, models

    jid = j.get("id", "?")
    with st.container(border=True):
        st.markdown(f"**Fine-tuning {jid}**: set `{j.get('set')}`, rater {j.get('rater')}, from {j.get('parent')}; "
                    f"U-Net {j.get('epochs_seg')} / regressor {j.get('epochs_score')} epochs, {j.get('folds')} folds "
                    f"— {j.get('state')}")
        if j.get("state") == finetune_jobs.RUNNING:
            eta = j.get("eta_s")
            eta_txt = f", about {eta:.0f} s left" if isinstance(eta, (int, float)) else ""
            st.progress(min(1.0, j.get("done", 0) / max(1, j.get("total", 1))),
                        text=f"{j.get('stage')}: epoch {j.get('done', 0)} of {j.get('total', 1)}{eta_txt}")
            if st.button("Cancel", key=f"ft_cancel_{jid}"):
                finetune_jobs.cancel(labelling.labels_root(), jid)
        elif j.get("state") == finetune_jobs.DONE:
            b, a = j["cv_before"], j["cv_after"]
            st.markdown(f"{j['card']['cv']['folds']}-fold cross-validation on your labels ({b['n']} frames), took "
                        f"{j.get('seconds', 0):.0f} s in all:")
            st.table({"": ["before (active model)", "after (fine-tuned)"], "MAE": [_fmt(b["mae"]), _fmt(a["mae"])],
                      "Pearson r": [_fmt(b["pearson_r"]), _fmt(a["pearson_r"])],
                      "ICC(2,1)": [_fmt(b["icc_2_1"]), _fmt(a["icc_2_1"])], "bias": [_fmt(b["bias"]), _fmt(a["bias"])]})
            card_md = Path(j["score"]).parent / "model_card.md"
            with st.expander("Model card"):
                st.markdown(card_md.read_text() if card_md.is_file() else "no model card")
            active = models.model_choice().get("score") == j["score"]
            if active:
                st.success("This is the active model (see the sidebar).")
            elif st.button("Make this the active model", key=f"ft_activate_{jid}", type="primary"):
                models.set_model(j["seg"], j["score"], f"fine-tuned on {j.get('set')} ({j.get('rater')})")
                st.rerun(scope="app")
        else:
            st.caption(j.get("message") or "")
