"""Batch scoring: several recorded videos at once, with progress, results, downloads and resumption."""
from pathlib import Path

import streamlit as st

from app_support import (charts, keyframe_strip, models, nwb_download, paths, pickers, roi_table, run_list, state,
                         user_names, workspace)
from mgs_core.analysis.coverage import run_warning
from mgs_core.analysis.curves import NO_GROUP, prepare
from mgs_core.batch.task import FAILED, RESUMED
from mgs_core.errors import MGSError
from mgs_core.io.results import load_scores

st.title("Batch scoring")
ws = workspace.current()
st.markdown("Score whole recorded videos. Every scored frame gets one row per mouse; frames where the eye is not "
            f"visible stay empty (never guessed). Every scoring is a **run** kept in the workspace **{ws.name}** "
            "(listed below after reloads and restarts, and on **Score curves**). Scoring a video again with other "
            "settings makes a new run; nothing is overwritten.")

videos = pickers.pick_many("Videos", paths.VIDEO_EXTS + paths.IMAGE_EXTS, key="batch_videos", default=["demo.mp4"])

roi_mode = st.radio("Regions of interest", ["Each video's own ROI file", "One ROI file for all videos"],
                    key="batch_roi_mode", horizontal=True,
                    help="Own file: the ROIs saved on the Regions of interest page, else NAME.rois.json next to the "
                         "video, else the whole frame as one ROI.")
shared_roi = None
if roi_mode == "One ROI file for all videos":
    shared_roi = pickers.pick_file("ROI file", paths.ROI_EXTS, key="batch_roi")

c1, c2, c3 = st.columns(3)
stride = c1.number_input("Score every n-th frame (stride)", 1, 300, 5, key="batch_stride",
                         help="1 scores every frame; 5 scores 6 frames per second of a 30 fps video.")
limit = c2.number_input("Frames per video (0 = all)", 0, 1_000_000, 0, key="batch_limit",
                        help="Stop after this many scored frames, e.g. for a quick look.")
annotate = c3.checkbox("Also write annotated videos", key="batch_annotate",
                       help="A copy of each video with the boxes, eye markers and scores drawn in (slower).")
replace = st.checkbox("Replace the earlier runs of these videos", key="batch_replace",
                      help="Off (the default): a new run is added and the earlier ones stay. On: once the new run "
                           "has finished, the earlier runs of the same videos are deleted.")

listing = workspace.runs(("batch",))
interrupted = [e for e in listing.runs if e.status == "interrupted"]
if interrupted:
    st.info(f"Interrupted run found for: {', '.join(e.record.input_names for e in interrupted)}. Press **Score** "
            "with the same videos and settings to continue where it stopped (already scored chunks are kept).")


def rois_for(video: Path):
    return shared_roi if shared_roi is not None else roi_table.scoring_file(video)


if not ws.writable:
    user_names.error(f"{ws.message}. Scoring is off until another workspace is chosen in the sidebar.")
score_clicked = st.button("Score", type="primary", key="batch_run", disabled=not videos or not ws.writable)
st.caption("Scoring runs while this page is open: another page or a closed tab stops it, and pressing the button "
           "again with the same videos and settings continues where it stopped. For long batches, `mgs score` on "
           "the command line keeps going on its own.")
if score_clicked:
    runner, err = models.active_runner_or_error()
    if err:
        user_names.error(f"The model could not be loaded: {err}")
    else:
        bar = st.progress(0.0, text="starting…")

        def on_status(s):
            frac = s.frames_done / s.frames_total if s.frames_total else s.inputs_finished / max(s.inputs_total, 1)
            bar.progress(min(1.0, frac), text=s.line())

        try:
            results = workspace.score_videos([(v, user_names.shown(v)) for v in videos], rois_for, int(stride),
                                             int(limit) or None, annotate, replace, runner, on_status)
        finally:
            models.release(runner)
        bar.empty()
        for r in results:
            if r["error"]:
                user_names.error(r["error"])
            elif r["state"] == FAILED:
                user_names.error(f"{r['video']}: {r['message']}")
            elif r["state"] == "reused":
                st.caption(f"{r['video']}: already scored with these settings (run {r['run']}); that run is shown. "
                           "Tick *Replace the earlier runs* to score it again.")
            elif r["state"] == RESUMED:
                st.caption(f"{r['video']}: resumed in run {r['run']}.")
            if r.get("problems"):
                user_names.warning(f"{r['video']}: {r['message']}")
        shown = [r["run"] for r in results if r["run"]]
        if shown:
            state.put("batch_show_run", shown[-1])
        listing = workspace.runs(("batch",))

st.subheader(f"Runs in workspace {ws.name}")
run_list.problems(listing)
entries = [e for e in listing.runs if e.usable and e.status == "done"]
if not listing.runs:
    st.caption("No runs yet: score a video above.")
else:
    run_list.table(listing.runs, key="batch_runs")
    run_list.delete_control(listing.runs, key="batch_runs")
if entries:
    ids = [e.id for e in entries]
    by_id = {e.id: e for e in entries}
    wanted = state.get("batch_show_run")
    pick = st.selectbox("Open run", ids, index=ids.index(wanted) if wanted in ids else 0,
                        format_func=lambda i: run_list.label(by_id[i]), key=f"batch_show_{wanted}")
    entry = by_id[pick]
    if st.button("Open on Score curves", key="batch_open_curves"):
        workspace.open_on_curves([entry.id])
        st.switch_page("pages/4_Curves.py")
    st.subheader("Results")
    info = {"video": entry.record.input_names, "csv": str(entry.path("csv")), "parquet": str(entry.path("parquet")),
            "annotated": str(entry.path("annotated") or "")}
    try:
        df = load_scores(info["csv"])
    except MGSError as exc:
        user_names.error(f"run {entry.id}: {exc}")
        st.stop()
    warning = run_warning(info["csv"], info["video"], df)  # whole frame as the ROI and no eye in most frames
    if warning:
        user_names.warning(warning)
    pieces = prepare(df, source=entry.record.source_name)
    pieces = pieces[pieces["score_0_9"].notna()].assign(
        piece=lambda d: d["animal"] + " #" + d["segment"].astype(str))
    st.altair_chart(charts.score_lines(pieces, y="score_0_9", detail="piece",
                                       title=f"Orbital tightening per mouse: {info['video']}"), width="stretch",
                    key="batch_chart")
    per_animal = (df.assign(group=df["group"].fillna("").replace("", NO_GROUP)).groupby(["animal", "group"], dropna=False)
                  .agg(frames=("frame", "nunique"), eye_visible=("eye_visible", "mean"), mean_score=("score", "mean"),
                       max_score=("score", "max")).reset_index()
                  .rename(columns={"frames": "n frames", "eye_visible": "fraction eye visible",
                                   "mean_score": "mean score (0-9)", "max_score": "max score (0-9)"}))
    st.dataframe(per_animal.style.format({"fraction eye visible": "{:.0%}", "mean score (0-9)": "{:.2f}",
                                          "max score (0-9)": "{:.2f}"}),
                 hide_index=True, key="batch_animals")
    keyframe_strip.show(info["csv"])
    with st.expander("All rows"):
        st.dataframe(df, hide_index=True, key="batch_rows")
    d1, d2, d3, d4 = st.columns(4)
    d1.download_button("CSV", Path(info["csv"]).read_bytes(), file_name=Path(info["csv"]).name, mime="text/csv",
                       key="batch_dl_csv", on_click="ignore")
    d2.download_button("Parquet", Path(info["parquet"]).read_bytes(), file_name=Path(info["parquet"]).name,
                       mime="application/octet-stream", key="batch_dl_parquet", on_click="ignore")
    nwb_download.download_button(d4, [Path(info["csv"])], key="batch_dl_nwb", name=f"{entry.id}.nwb")
    if info.get("annotated") and Path(info["annotated"]).is_file():
        d3.download_button("Annotated video", Path(info["annotated"]).read_bytes(),
                           file_name=Path(info["annotated"]).name, mime="video/mp4", key="batch_dl_video",
                           on_click="ignore")
        st.video(info["annotated"])
