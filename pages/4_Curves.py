"""Score curves: per-animal curves with smoothing and time bins, group overlays, a threshold, summaries, downloads."""
import io
import zipfile
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from app_support import charts, live, models, nwb_download, paths, state, user_names
from mgs_core.analysis import ScaleConversion, Smoothing, analyze, load_results, prepare
from mgs_core.io.series import list_series, load_series
from mgs_core.analysis.report import write_analysis_report
from mgs_core.errors import MGSError
from mgs_core.scoring import score_video

st.title("Score curves")
st.markdown("Follow each animal's orbital-tightening score over time. Smoothing and time bins only use frames where "
            "the eye was visible; gaps stay gaps. The threshold line shows how long each animal spent above a score "
            "you choose (by default 3, the boundary between MGS 0 and 1 used here).")

session_files = sorted(state.work_dir("batch").glob("*.csv"), key=lambda p: p.stat().st_mtime)
labels = {f"{p.parent.name}: {p.name}": p for p in session_files}
chosen = st.multiselect("Results from this session (Batch scoring)", list(labels), default=list(labels)[-4:],
                        key=f"curves_session_{len(labels)}")  # new results -> fresh default selection
# live series of every session of this server (a closed or crashed tab's series stays listed), newest first
series = [s for s in reversed(list_series(live.series_root())) if s.rows]
series_labels = {s.label: s for s in series}
mine = [s.label for s in series if s.provenance.get("session") == state.session_id()][:4]
chosen_series = st.multiselect("Live series (Live scoring, saved as they were scored)", list(series_labels),
                               default=mine, key=f"curves_live_{len(series_labels)}")
data_files = [f for f in paths.list_files(paths.data_dir(), paths.RESULT_EXTS) if not f.endswith(".truth.csv")]
chosen_data = st.multiselect(f"Results from the data folder ({paths.data_dir().name}/)", data_files, key="curves_data")
ups = st.file_uploader("…or upload result files (CSV/Parquet from MGS Live)", type=["csv", "parquet"],
                       accept_multiple_files=True, key="curves_up", help=state.upload_note())

files: list[Path] = [labels[c] for c in chosen]
for rel in chosen_data:
    try:
        files.append(paths.safe_join(paths.data_dir(), rel))
    except MGSError as exc:
        user_names.error(str(exc))
for up in ups or []:
    try:
        files.append(state.save_upload(up, "results"))
    except MGSError as exc:
        user_names.error(str(exc))

if not files and not chosen_series:
    st.info("No results chosen yet. Score the sample video now (every 5th frame, about a minute on a laptop), or use "
            "**Batch scoring** / **Live scoring** first.")
    if st.button("Score the sample video", type="primary", key="curves_sample",
                 disabled=not (paths.data_dir() / "demo.mp4").is_file()):
        runner, err = models.active_runner_or_error()
        if err:
            user_names.error(f"The model could not be loaded: {err}")
        else:
            bar = st.progress(0.0, text="Scoring the sample video…")
            try:
                from mgs_core.io.rois import load_rois

                demo = paths.data_dir() / "demo.mp4"
                rf = demo.with_name("demo.rois.json")
                score_video(demo, load_rois(rf) if rf.is_file() else None, runner, state.work_dir("batch"),
                                      stride=5, roi_source=rf if rf.is_file() else None,
                                      progress=lambda n, t: bar.progress(min(1.0, n / max(t, 1)), text=f"{n} of {t} frames"))
                st.rerun()
            except MGSError as exc:
                user_names.error(str(exc))
            finally:
                models.release(runner)
    st.stop()

try:
    loaded = []
    for f in files:
        loaded.append(load_results([f]))
    for label in chosen_series:
        info = series_labels[label]
        loaded.append(prepare(load_series(info.folder), source=info.name))
        for msg in info.messages:
            user_names.warning(msg)
    df = pd.concat(loaded, ignore_index=True)
except MGSError as exc:
    user_names.error(str(exc))
    st.stop()

c1, c2, c3, c4 = st.columns(4)
method = c1.selectbox("Smoothing", ["rolling median", "exponential (EMA)", "none"], key="curves_smooth")
if method == "rolling median":
    window = c2.slider("Window (scored frames)", 1, 151, 15, step=2, key="curves_window")
    smoothing = Smoothing("median", window=window)
elif method == "exponential (EMA)":
    alpha = c2.slider("Weight of the newest frame", 0.01, 1.0, 0.2, key="curves_alpha")
    smoothing = Smoothing("ema", alpha=alpha)
else:
    smoothing = Smoothing("none")
    c2.caption("Raw per-frame scores.")
bin_s = c3.number_input("Time bin (seconds)", 0.5, 86400.0, 5.0 if df["time_s"].max() < 120 else 60.0, key="curves_bin")
threshold = c4.slider("Threshold (0-9)", 0.0, 9.0, float(ScaleConversion().cut1), 0.5, key="curves_threshold")

try:
    out = analyze(df, bin_s=float(bin_s), smoothing=smoothing, threshold=float(threshold))
except MGSError as exc:
    user_names.error(str(exc))
    st.stop()

frames = out.frames.assign(unit=out.frames["source"] + " · " + out.frames["animal"])
bins = out.bins.assign(unit=out.bins["source"] + " · " + out.bins["animal"])
view = st.radio("Show", ["Per animal (smoothed)", "Per animal (time bins)", "Group averages (time bins)"],
                horizontal=True, key="curves_view")
if view == "Per animal (smoothed)":
    chart = charts.score_lines(frames.dropna(subset=["score_smooth_0_9"]), y="score_smooth_0_9", color="unit",
                               threshold=threshold, height=380, title=f"Smoothed scores ({smoothing.label()})")
elif view == "Per animal (time bins)":
    chart = charts.score_lines(bins.dropna(subset=["mean_score_0_9"]), x="bin_mid_s", y="mean_score_0_9",
                               color="unit", threshold=threshold, height=380, title=f"Mean per {bin_s:g} s bin")
else:
    g = (bins.dropna(subset=["mean_score_0_9"]).groupby(["group", "bin_mid_s"])["mean_score_0_9"]
         .agg(["mean", "sem", "count"]).reset_index())
    g["group"] = g["group"].replace("", "(no group)")
    g["lo"], g["hi"] = g["mean"] - g["sem"].fillna(0), g["mean"] + g["sem"].fillna(0)
    band = alt.Chart(g).mark_area(opacity=0.2).encode(x="bin_mid_s:Q", y=alt.Y("lo:Q", scale=charts.SCORE_SCALE),
                                                     y2="hi:Q", color="group:N")
    chart = alt.layer(band, charts.score_lines(g, x="bin_mid_s", y="mean", color="group", threshold=threshold,
                                               height=380, title="Group mean ± SEM over animals"))
st.altair_chart(chart, width="stretch", key="curves_chart")

st.subheader("Per animal")
animals = out.animals.copy()
animals["time_above_s"] = animals["frac_above"] * animals["scored_time_s"]
show = animals[["source", "animal", "group", "n_frames", "frac_visible", "mean_score_0_9", "median_score_0_9",
                "auc_score_s", "frac_above", "time_above_s"]]
st.dataframe(show.rename(columns={"frac_visible": "eye visible", "mean_score_0_9": "mean score",
                                  "median_score_0_9": "median score", "auc_score_s": "area under curve (score·s)",
                                  "frac_above": f"fraction > {threshold:g}", "time_above_s": f"seconds > {threshold:g}"}),
             hide_index=True, key="curves_animals")
if out.groups["group"].nunique() > 1:
    st.subheader("Groups")
    st.dataframe(out.groups, hide_index=True, key="curves_groups")
    overall = out.tests[out.tests["bin"] == -1]
    if len(overall):
        st.caption("Group comparison over each animal's mean (Mann-Whitney U, Cliff's delta; with few animals per "
                   "group no test can reach p < 0.05, so read the effect size).")
        st.dataframe(overall[["group_a", "group_b", "n_a", "n_b", "median_a", "median_b", "p", "cliffs_delta",
                              "leading_group"]], hide_index=True, key="curves_tests")

st.subheader("Downloads")
d1, d2, d3 = st.columns(3)
d1.download_button("Per-animal summary (CSV)", animals.to_csv(index=False), "animals.csv", "text/csv", key="curves_dl_animals")
d2.download_button("Time bins (CSV)", out.bins.to_csv(index=False), "bins.csv", "text/csv", key="curves_dl_bins")
d3.download_button("This chart (HTML)", chart.to_html(), "curves_chart.html", "text/html", key="curves_dl_html")
nwb_download.download_button(st, files, key="curves_dl_nwb", name="mgs_curves.nwb")  # the chosen results as NWB
if st.button("Build the full report (PNG figure, Markdown, all tables)", key="curves_report"):
    rep_dir = state.work_dir("analysis")
    with st.spinner("Writing the report…"):
        for name, table in (("frames", out.frames), ("bins", out.bins), ("animals", animals), ("groups", out.groups),
                            ("group_tests", out.tests)):
            table.to_csv(rep_dir / f"{name}.csv", index=False)
        write_analysis_report(out, rep_dir, float(bin_s), smoothing, float(threshold), ScaleConversion(),
                              [f.name for f in files] + [series_labels[c].name for c in chosen_series])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(rep_dir.iterdir()):
            if p.is_file():
                z.write(p, p.name)
    state.put("curves_report_zip", buf.getvalue())
    png = rep_dir / "curves.png"
    if png.is_file():
        st.image(str(png), caption="curves.png")
if state.get("curves_report_zip"):
    st.download_button("Report (ZIP)", state.get("curves_report_zip"), "mgs_analysis_report.zip", "application/zip",
                       key="curves_dl_zip")
