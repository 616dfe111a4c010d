"""Batch scoring: several recorded videos at once, with progress, results, downloads and resumption."""
from pathlib import Path

import pandas as pd
import streamlit as st

from app_support import charts, keyframe_strip, models, nwb_download, paths, pickers, roi_table, state, user_names
from mgs_core.analysis.coverage import run_warning
from mgs_core.errors import MGSError
from mgs_core.io.results import load_scores
from mgs_core.batch.inputs import build_tasks, discover_inputs
from mgs_core.batch.models import ModelSpec
from mgs_core.batch.run import run_batch
from mgs_core.batch.task import FAILED, RESUMED, SKIPPED

st.title("Batch scoring")
st.markdown("Score whole recorded videos. Every scored frame gets one row per mouse; frames where the eye is not "
            "visible stay empty (never guessed). Results are kept in this session and can be downloaded or analysed "
            "on **Score curves**.")

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

out_dir = state.work_dir("batch")
pending = sorted(p.name[1:-len(".partial")] for p in out_dir.glob(".*.partial"))
if pending:
    st.info(f"Interrupted job found for: {', '.join(pending)}. Press **Score** with the same videos and settings to "
            "continue where it stopped (already scored chunks are kept).")


def roi_file_for(video: Path):
    """The ROI file for ``video`` (build_tasks reads and checks it against the video's frame size)."""
    return shared_roi if shared_roi is not None else roi_table.scoring_file(video)


warned: set[str] = set()
if st.button("Score", type="primary", key="batch_run", disabled=not videos):
    runner, err = models.active_runner_or_error()
    if err:
        user_names.error(f"The model could not be loaded: {err}")
    else:
        done = state.get("batch_results", {})
        tasks = []
        for video in videos:  # the same tasks `mgs score` runs; problems found before scoring are shown per video
            try:
                roi_file = roi_file_for(video)
                tasks += build_tasks(discover_inputs([video]), out_dir, ModelSpec(), rois_file=roi_file,
                                     stride=int(stride), max_frames=int(limit) or None, chunk_frames=50,
                                     annotate=annotate)
            except MGSError as exc:
                user_names.error(str(exc))
        bar = st.progress(0.0, text="starting…")

        def on_status(s):
            frac = s.frames_done / s.frames_total if s.frames_total else s.inputs_finished / max(s.inputs_total, 1)
            bar.progress(min(1.0, frac), text=s.line())

        try:
            outcomes = run_batch(tasks, runner=runner, on_status=on_status) if tasks else []
        finally:
            models.release(runner)
        if not outcomes:
            bar.empty()
        for o in outcomes:
            name = user_names.shown(o.input)
            if o.state == FAILED:
                user_names.error(f"{name}: {o.message}")
                continue
            if o.state == SKIPPED:
                st.caption(f"{name}: already scored with these settings; the finished results are reused.")
            elif o.state == RESUMED:
                st.caption(f"{name}: resumed; {o.frames - o.frames_new} frames were already scored.")
            if o.problems:
                user_names.warning(f"{name}: {o.message}")
            whole_frame = run_warning(o.csv, name)  # said where the run ends, and whenever its results are shown
            if whole_frame:
                user_names.warning(whole_frame)
                warned.add(o.input)
            done[o.input] = {"video": name, "state": o.state, "csv": o.csv, "parquet": o.parquet,
                             "annotated": o.annotated, "frames": o.frames, "frames/s": o.frames_per_s}
        state.put("batch_results", done)

results = state.get("batch_results", {})
if results:
    st.subheader("Results")
    summary = pd.DataFrame(results.values())
    st.dataframe(summary[["video", "state", "frames", "frames/s"]], hide_index=True, key="batch_summary")
    pick = st.selectbox("Show video", list(results), format_func=lambda k: results[k]["video"], key="batch_show")
    info = results[pick]
    try:
        df = load_scores(info["csv"])
    except MGSError as exc:
        user_names.error(str(exc))
        st.stop()
    warning = run_warning(info["csv"], info["video"])  # whole frame as the ROI and no eye in most frames
    if warning and pick not in warned:
        user_names.warning(warning)
    st.altair_chart(charts.score_lines(df, title=f"Orbital tightening per mouse: {info['video']}"), width="stretch",
                    key="batch_chart")
    per_animal = (df.groupby(["animal", "group"], dropna=False)
                  .agg(frames=("frame", "nunique"), eye_visible=("eye_visible", "mean"), mean_score=("score", "mean"),
                       max_score=("score", "max")).reset_index())
    st.dataframe(per_animal.style.format({"eye_visible": "{:.0%}", "mean_score": "{:.2f}", "max_score": "{:.2f}"}),
                 hide_index=True, key="batch_animals")
    keyframe_strip.show(info["csv"])
    with st.expander("All rows"):
        st.dataframe(df, hide_index=True, key="batch_rows")
    d1, d2, d3, d4 = st.columns(4)
    d1.download_button("CSV", Path(info["csv"]).read_bytes(), file_name=Path(info["csv"]).name, mime="text/csv",
                       key="batch_dl_csv")
    d2.download_button("Parquet", Path(info["parquet"]).read_bytes(), file_name=Path(info["parquet"]).name,
                       mime="application/octet-stream", key="batch_dl_parquet")
    nwb_download.download_button(d4, [Path(r["csv"]) for r in results.values()], key="batch_dl_nwb",
                                 name="mgs_batch.nwb")
    if info.get("annotated") and Path(info["annotated"]).is_file():
        d3.download_button("Annotated video", Path(info["annotated"]).read_bytes(),
                           file_name=Path(info["annotated"]).name, mime="video/mp4", key="batch_dl_video")
        st.video(info["annotated"])
