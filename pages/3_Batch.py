"""Batch scoring: several recorded videos at once, with progress, results, downloads and resumption."""
import time
from pathlib import Path

import pandas as pd
import streamlit as st

from app_support import charts, models, paths, pickers, roi_table, state
from mgs_core.errors import MGSError
from mgs_core.io.results import load_scores
from mgs_core.io.rois import load_rois
from mgs_core.scoring import score_video

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


def rois_for(video: Path):
    if shared_roi is not None:
        return load_rois(shared_roi), shared_roi
    rf = roi_table.scoring_file(video)
    return (load_rois(rf), rf) if rf is not None else (None, None)


if st.button("Score", type="primary", key="batch_run", disabled=not videos):
    runner, err = models.active_runner_or_error()
    if err:
        st.error(f"The model could not be loaded: {err}")
    else:
        done = state.get("batch_results", {})
        try:
            for video in videos:
                st.markdown(f"**{video.name}**")
                bar = st.progress(0.0, text="starting…")
                t0 = time.monotonic()

                def progress(n, total, bar=bar, t0=t0):
                    frac = min(1.0, n / max(total, 1))
                    rate = n / max(time.monotonic() - t0, 1e-6)
                    eta = (total - n) / rate if rate > 0 and n else float("nan")
                    eta_text = f", about {eta:.0f} s left" if eta == eta else ""
                    bar.progress(frac, text=f"{n} of {total} frames ({rate:.1f} frames/s{eta_text})")

                try:
                    roiset, roi_file = rois_for(video)
                    summary = score_video(video, roiset, runner, out_dir, stride=int(stride), annotate=annotate,
                                          progress=progress, max_frames=int(limit) or None, chunk_frames=50,
                                          roi_source=roi_file)
                except MGSError as exc:
                    bar.empty()
                    st.error(str(exc))
                    continue
                bar.progress(1.0, text=f"done: {summary.frames_scored} frames, {summary.frames_per_s:.1f} frames/s")
                if summary.frames_resumed:
                    st.caption(f"Resumed: {summary.frames_resumed} frames were already scored.")
                if summary.decode_error:
                    st.warning(f"{video.name}: {summary.decode_error} (the frames before it are scored)")
                for msg in summary.messages:
                    st.caption(msg)
                done[str(video)] = {"video": video.name, "csv": str(summary.csv), "parquet": str(summary.parquet),
                                    "annotated": str(summary.annotated) if summary.annotated else "",
                                    "frames": summary.frames_scored, "unscored frames": summary.frames_failed,
                                    "frames/s": summary.frames_per_s}
        finally:
            models.release(runner)
        state.put("batch_results", done)

results = state.get("batch_results", {})
if results:
    st.subheader("Results")
    summary = pd.DataFrame(results.values())
    st.dataframe(summary[["video", "frames", "unscored frames", "frames/s"]], hide_index=True, key="batch_summary")
    pick = st.selectbox("Show video", list(results), format_func=lambda k: results[k]["video"], key="batch_show")
    info = results[pick]
    try:
        df = load_scores(info["csv"])
    except MGSError as exc:
        st.error(str(exc))
        st.stop()
    st.altair_chart(charts.score_lines(df, title=f"Orbital tightening per mouse: {info['video']}"), width="stretch",
                    key="batch_chart")
    per_animal = (df.groupby(["animal", "group"], dropna=False)
                  .agg(frames=("frame", "nunique"), eye_visible=("eye_visible", "mean"), mean_score=("score", "mean"),
                       max_score=("score", "max")).reset_index())
    st.dataframe(per_animal.style.format({"eye_visible": "{:.0%}", "mean_score": "{:.2f}", "max_score": "{:.2f}"}),
                 hide_index=True, key="batch_animals")
    with st.expander("All rows"):
        st.dataframe(df, hide_index=True, key="batch_rows")
    d1, d2, d3 = st.columns(3)
    d1.download_button("CSV", Path(info["csv"]).read_bytes(), file_name=Path(info["csv"]).name, mime="text/csv",
                       key="batch_dl_csv")
    d2.download_button("Parquet", Path(info["parquet"]).read_bytes(), file_name=Path(info["parquet"]).name,
                       mime="application/octet-stream", key="batch_dl_parquet")
    if info.get("annotated") and Path(info["annotated"]).is_file():
        d3.download_button("Annotated video", Path(info["annotated"]).read_bytes(),
                           file_name=Path(info["annotated"]).name, mime="video/mp4", key="batch_dl_video")
        st.video(info["annotated"])
