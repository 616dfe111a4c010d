"""Score curves: per-animal curves with smoothing and time bins, group overlays, a threshold, summaries, downloads."""
import io
import zipfile
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from app_support import (audit_trail, charts, identity, models, nwb_download, paths, run_list, state, user_names,
                         workspace)
from mgs_core.analysis import ScaleConversion, Smoothing, analyze, load_results, prepare
from mgs_core.analysis.columns import human_columns
from mgs_core.analysis.curves import SEGMENT_COL, SMOOTH_COL, check_groups
from mgs_core.analysis.identity import check_animal_boxes
from mgs_core.analysis.report import line_pieces, write_analysis_report
from mgs_core.errors import MGSError

st.title("Score curves")
st.markdown("Follow each animal's orbital-tightening score over time. An animal is its id in the ROI files: its "
            "series from several files are pooled and it is counted once. Smoothing and time bins only use frames "
            "where the eye was visible; gaps (a STOP/START, missing frames, frames nobody could judge) stay gaps. "
            "The threshold line shows how long each animal spent above a score you choose (by default 3, the "
            "boundary between MGS 0 and 1 used here).")

ws = workspace.current()
listing = workspace.runs(("batch", "live"))
run_list.problems(listing)
openable = [e for e in listing.runs if e.usable and e.record.kind in ("batch", "live")
            and (e.status == "done" or (e.record.kind == "live" and e.record.rows))]
by_label = {run_list.label(e): e for e in openable}
opened, ver = workspace.take_opened()
newest = [e for e in openable if e.record.rows][:1] or openable[:1]  # the newest with rows to plot, if any
default = [run_list.label(e) for e in openable if e.id in opened] if opened else [run_list.label(e) for e in newest]
chosen_runs = st.multiselect(f"Runs in workspace {ws.name} (batch runs and live series)", list(by_label),
                             default=default, key=f"curves_runs_{ver}_{len(by_label)}")
everything = workspace.runs()  # batch runs, live series, reports and ROI sets
with st.expander(f"All runs of workspace {ws.name} ({len(everything.runs)})"):
    if everything.runs:
        run_list.table(everything.runs, key="curves_runlist")
        run_list.delete_control(everything.runs, key="curves_runlist")
    else:
        st.caption("No runs yet.")
data_files = [f for f in paths.list_files(paths.data_dir(), paths.RESULT_EXTS) if not f.endswith(".truth.csv")]
chosen_data = st.multiselect(f"Results from the data folder ({paths.data_dir().name}/)", data_files, key="curves_data")
ups = st.file_uploader("…or upload result files (CSV/Parquet from MGS Live)", type=["csv", "parquet"],
                       accept_multiple_files=True, key="curves_up", help=state.upload_note())

files: list[Path] = []
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

if not files and not chosen_runs:
    st.info("No results chosen yet. Score the sample video now (every 5th frame, about a minute on a laptop), or use "
            "**Batch scoring** / **Live scoring** first.")
    demo = paths.data_dir() / "demo.mp4"
    if st.button("Score the sample video", type="primary", key="curves_sample",
                 disabled=not demo.is_file() or not ws.writable):
        runner, err = models.active_runner_or_error()
        if err:
            user_names.error(f"The model could not be loaded: {err}")
        else:
            bar = st.progress(0.0, text="Scoring the sample video…")
            try:
                rf = demo.with_name("demo.rois.json")
                done = workspace.score_videos(
                    [(demo, demo.name)], lambda v: rf if rf.is_file() else None, 5, None, False, False, runner,
                    lambda s: bar.progress(min(1.0, s.frames_done / max(s.frames_total, 1)), text=s.line()))
            finally:
                models.release(runner)
            problems = [r["error"] or r["message"] for r in done if r["error"] or r["state"] == "failed"]
            for msg in problems:
                user_names.error(msg)
            if not problems:
                workspace.open_on_curves([r["run"] for r in done])
                st.rerun()
    st.stop()

try:
    loaded, scored_videos, nwb_files, sources = [], [], [], []
    for lab in chosen_runs:
        entry = by_label[lab]
        table, notes = workspace.load_entry(entry)
        for msg in notes:
            user_names.warning(msg)
        if not len(table):  # e.g. a live run stopped before its first scored frame: nothing to plot, said so
            user_names.warning(f"{lab}: no scored frames in this result, so it is left out of the curves.")
            continue
        loaded.append(prepare(table, source=entry.record.source_name))
        scored_videos.append(workspace.scored_video(entry))
        sources.append(entry.record.source_name)
        csv = entry.path("csv") if entry.record.kind == "batch" else entry.folder / f"{entry.folder.name}.csv"
        if csv is not None and csv.is_file():
            nwb_files.append(csv)
    check_animal_boxes(scored_videos)
    if files:
        loaded.append(load_results(files))
        sources += [f.name for f in files]
        nwb_files += files
    if not loaded:
        st.info("The chosen results hold no scored frames yet: choose another result above, or score a video on "
                "**Batch scoring** / **Live scoring**.")
        st.stop()
    df = pd.concat(loaded, ignore_index=True)
    check_groups(df)
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

n_animals, n_files = out.animals["animal"].nunique(), df["source"].nunique()
st.markdown(f"**{n_animals} animal{'s' if n_animals != 1 else ''} from {n_files} file{'s' if n_files != 1 else ''}**"
            " (an animal in several files is one animal; every group statistic counts animals)")

view = st.radio("Show", ["Per animal (smoothed)", "Per animal (time bins)", "Group averages (time bins)"],
                horizontal=True, key="curves_view")
if view == "Per animal (smoothed)":
    data = line_pieces(out.frames, SMOOTH_COL, ["animal", "source", SEGMENT_COL])
    data = data.assign(piece=data["animal"] + " · " + data["source"] + " #" + data[SEGMENT_COL].astype(str))
    data = data[["animal", "group", "source", SEGMENT_COL, "piece", "time_s", SMOOTH_COL]]
    chart = charts.score_lines(data, y=SMOOTH_COL, color="animal", detail="piece", threshold=threshold, height=380,
                               title=f"Smoothed scores ({smoothing.label()}); one line per stretch without a gap")
elif view == "Per animal (time bins)":
    data = line_pieces(out.bins[["animal", "group", "bin", "bin_mid_s", "n_files", "n_frames", "n_scored",
                                 "mean_score_0_9"]], "mean_score_0_9", ["animal"])
    chart = charts.score_lines(data, x="bin_mid_s", y="mean_score_0_9", color="animal", detail="piece",
                               threshold=threshold, height=380, title=f"Mean per {bin_s:g} s bin (empty bins: gaps)")
else:
    g = (out.bins.groupby(["group", "bin_mid_s"])["mean_score_0_9"].agg(["mean", "sem", "count"]).reset_index())
    g["lo"], g["hi"] = g["mean"] - g["sem"].fillna(0), g["mean"] + g["sem"].fillna(0)
    data = line_pieces(g.rename(columns={"count": "n_animals"}), "mean", ["group"])
    band = alt.Chart(data).mark_area(opacity=0.2).encode(x="bin_mid_s:Q", y=alt.Y("lo:Q", scale=charts.SCORE_SCALE),
                                                        y2="hi:Q", color="group:N", detail="piece:N")
    chart = alt.layer(band, charts.score_lines(data, x="bin_mid_s", y="mean", color="group", detail="piece",
                                               threshold=threshold, height=380,
                                               title="Group mean ± SEM over animals"))
st.altair_chart(chart, width="stretch", key="curves_chart")

st.subheader("Per animal")
animals = out.animals.copy()
animals["time_above_s"] = animals["frac_above"] * animals["scored_time_s"]
show = animals[["animal", "group", "source", "n_files", "n_frames", "frac_visible", "mean_score_0_9",
                "median_score_0_9", "auc_score_s", "frac_above", "time_above_s"]]
st.dataframe(human_columns(show).rename(columns={"fraction above threshold": f"fraction > {threshold:g}",
                                                 "seconds above threshold": f"seconds > {threshold:g}"}),
             hide_index=True, key="curves_animals")
st.subheader("Groups")
groups = out.groups[[c for c in ("group", "n_animals", "n_files", "mean_score_0_9_mean", "mean_score_0_9_sd",
                                 "median_score_0_9_median", "frac_visible_mean") if c in out.groups.columns]]
st.dataframe(human_columns(groups), hide_index=True, key="curves_groups")
overall = out.tests[out.tests["bin"] == -1]
if len(overall):
    st.caption("Group comparison over each animal's mean (Mann-Whitney U, Cliff's delta; with few animals per "
               "group no test can reach p < 0.05, so read the effect size).")
    st.dataframe(human_columns(overall[["group_a", "group_b", "n_a", "n_b", "median_a", "median_b", "p",
                                        "cliffs_delta", "leading_group"]]), hide_index=True, key="curves_tests")

st.subheader("Downloads")
d1, d2, d3, d4, d5 = st.columns(5)
d1.download_button("Per-animal summary (CSV)", human_columns(animals).to_csv(index=False), "animals.csv", "text/csv",
                   key="curves_dl_animals", on_click="ignore")
d5.download_button("Groups (CSV)", human_columns(out.groups).to_csv(index=False), "groups.csv", "text/csv",
                   key="curves_dl_groups", on_click="ignore")
d2.download_button("Time bins (CSV)", human_columns(out.bins).to_csv(index=False), "bins.csv", "text/csv",
                   key="curves_dl_bins", on_click="ignore")
d3.download_button("Chart data (CSV)", human_columns(data).to_csv(index=False), "chart_data.csv", "text/csv",
                   key="curves_dl_chart_data", on_click="ignore")
d4.download_button("This chart (HTML)", chart.to_html(), "curves_chart.html", "text/html", key="curves_dl_html",
                   on_click="ignore")
nwb_download.download_button(st, nwb_files, key="curves_dl_nwb", name="mgs_curves.nwb")  # the chosen results as NWB
if st.button("Build the full report (PNG figure, Markdown, all tables)", key="curves_report"):
    rep_dir = state.work_dir("analysis")
    with st.spinner("Writing the report…"):
        for name, table in (("frames", out.frames), ("bins", out.bins), ("animals", animals), ("groups", out.groups),
                            ("group_tests", out.tests)):
            human_columns(table).to_csv(rep_dir / f"{name}.csv", index=False)
        write_analysis_report(out, rep_dir, float(bin_s), smoothing, float(threshold), ScaleConversion(), sources,
                              user=identity.current_user())
    audit_trail.record("report.curves", ", ".join(sources))
    try:
        rec = workspace.store_report(rep_dir, sources, {"bin_s": float(bin_s), "smoothing": smoothing.label(),
                                                        "threshold": float(threshold)})
        st.caption(f"Kept in workspace {ws.name} as run {rec.id}.")
    except MGSError as exc:
        user_names.warning(f"The report was not kept in the workspace: {exc}")
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
                       key="curves_dl_zip", on_click="ignore")
