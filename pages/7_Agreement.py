"""Agreement: the model vs each rater and the rater mean, rater vs rater, on a label set; a report to file."""
import numpy as np
import pandas as pd
import streamlit as st

from app_support import agreement, labelling, models, state, user_names
from mgs_core.errors import MGSError

st.title("Agreement with human raters")
st.markdown("How well does the model agree with your blinded raters on your own frames, and the raters with each "
            "other? MAE, Pearson r, ICC(2,1) and ICC(3,1), Bland-Altman, weighted kappa on MGS 0/1/2 and the error "
            "per score bin (definitions: docs/analysis.md). The numbers are those of `mgs agree` on the files you "
            "can download below.")
all_sets = labelling.sets()
if not all_sets:
    st.info("No label set yet: choose and label frames on the Label page first.")
    st.stop()
q_set = st.query_params.get("set")
name = st.selectbox("Label set", all_sets, index=all_sets.index(q_set) if q_set in all_sets else len(all_sets) - 1,
                    key="ag_set")
try:
    ls = labelling.open_set(name)
    names = ls.rater_names()
except MGSError as exc:
    user_names.error(str(exc))
    st.stop()
if not names:
    st.info("Nobody has labelled this set yet.")
    st.stop()
progress = {r: len(ls.rater(r).labels) for r in names}
st.caption(" · ".join(f"{r}: {n} of {len(ls)} labelled" for r, n in progress.items()))
raters = st.multiselect("Raters", names, default=[r for r in names if progress[r]], key="ag_raters")
c1, c2 = st.columns(2)
which = c1.radio("Model scores", ["The model that chose the frames", "The active model (re-scores the crops)"],
                 key="ag_model", help="After fine-tuning, compare the new active model on the same frames.")
cuts = c2.text_input("0-9 -> MGS 0/1/2 cut points", "3,6", key="ag_cuts")
if st.button("Compute agreement", type="primary", disabled=not raters, key="ag_run"):
    try:
        runner = None
        label = ""
        if which.startswith("The active"):
            runner = models.new_runner()
            label = f"the active model ({models.model_choice()['label']})"
        try:
            res = agreement.run(ls, raters, state.work_dir("agreement"), runner, label, cuts)
        finally:
            if runner is not None:
                models.release(runner)
        state.put("ag_result", res)
    except MGSError as exc:
        user_names.error(str(exc))

res = state.get("ag_result")
if res is not None and res.folder.is_dir():
    rep = res.report

    def fmt(v):
        return "n/a" if v is None or not np.isfinite(v) else f"{v:.3f}"

    st.subheader(f"Model vs raters ({'continuous 0-9' if rep.scale == '0-9' else 'MGS 0/1/2'})")
    st.caption(f"Model: {res.model}. Data: {res.data}.")
    rows = [{"compared": f"{p.a} vs {p.b}", "n": p.n, "MAE": fmt(p.mae), "Pearson r": fmt(p.r),
             "ICC(2,1)": fmt(p.icc_2_1.value), "ICC(3,1)": fmt(p.icc_3_1.value), "bias": fmt(p.ba.bias),
             "LoA low": fmt(p.ba.loa_low), "LoA high": fmt(p.ba.loa_high), "kappa (linear)": fmt(p.kappa_linear),
             "kappa (quadratic)": fmt(p.kappa_quadratic)} for p in rep.model_vs_rater + rep.inter_rater]
    st.table(pd.DataFrame(rows).set_index("compared"))
    if rep.inter_rater_icc_2_1 is not None:
        st.caption(f"All raters together: ICC(2,1) {fmt(rep.inter_rater_icc_2_1.value)}, "
                   f"ICC(3,1) {fmt(rep.inter_rater_icc_3_1.value)}")
    flagged = {r: len(v) for r, v in rep.not_scorable.items() if v}
    if flagged:
        st.caption("Marked 'no eye visible' (left out of that rater's statistics): "
                   + ", ".join(f"{r}: {n}" for r, n in flagged.items()))
    g1, g2 = st.columns([1, 2])
    g1.markdown("**Model vs human**")
    g1.image(str(res.folder / "scatter.png"))
    g2.markdown("**Bland-Altman: " + ", ".join(f"model - {p.b}" for p in rep.model_vs_rater) + "**")
    g2.image(str(res.folder / "bland_altman.png"))
    from mgs_core.analysis.report import per_bin_table

    st.markdown("**Model error per human-score bin**")
    bins = per_bin_table(rep)
    for c in ("mae", "bias"):
        bins[c] = bins[c].map(fmt)
    st.table(bins.set_index(["human", "human_score_bin"]))
    st.caption(f"Same numbers from the command line, on the downloaded files: `{res.command}`")
    d1, d2, d3 = st.columns(3)
    d1.download_button("Report (printable HTML)", (res.folder / "agreement.html").read_bytes(),
                       f"{ls.name}_agreement.html", "text/html", key="ag_dl_html", on_click="ignore")
    d2.download_button("Report + plots + files (ZIP)", agreement.zip_bytes(res.folder), f"{ls.name}_agreement.zip",
                       "application/zip", key="ag_dl_zip", on_click="ignore")
    d3.download_button("Agreement statistics (CSV)", rep.table().to_csv(index=False), f"{ls.name}_agreement.csv",
                       "text/csv", key="ag_dl_csv", on_click="ignore")
