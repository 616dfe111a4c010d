"""Home: what MGS Live does, the pipeline, a one-click demo on the sample video, honest notes on the weights."""
import streamlit as st

from app_support import charts, jobs, models, paths, state, user_names

st.title("MGS Live: Mouse Grimace Scale from video")
st.markdown(
    "MGS Live watches video of laboratory mice and scores **orbital tightening**, the eye-narrowing item of the "
    "Mouse Grimace Scale, continuously from **0 (eye fully open) to 9 (eye squeezed shut)** for every mouse in every "
    "frame. It finds each mouse's eye with a segmentation network, cuts a small patch around it and rates it with the "
    "regression network of the paper MGS Live reimplements, live from a camera or in batch over recorded videos. "
    "The score curves then show when and for how long each animal was likely in pain, per animal and per group."
)

st.graphviz_chart("""
digraph {
  rankdir=LR; node [shape=box, style="rounded,filled", fillcolor="#f6f1f0", color="#b3261e", fontname="sans-serif"];
  video [label="Video frame\\n(camera or file)"]; rois [label="ROIs\\none box per mouse"];
  crop [label="Square crop\\n256 x 256"]; seg [label="U-Net\\nfinds the eye"];
  patch [label="eye patch\\n(1.5 eye lengths -> 50 x 50)"]; reg [label="Regression CNN\\n(paper Table 1)"];
  out [label="Score 0-9\\nper mouse per frame"]; curves [label="Curves, summaries,\\ngroup comparison"];
  video -> crop; rois -> crop; crop -> seg -> patch -> reg -> out -> curves;
  seg -> out [label="no eye visible:\\nnot scored", style=dashed, fontsize=10];
}
""")

st.subheader("Try it: score the sample video")
demo = paths.data_dir() / "demo.mp4"
st.caption(f"Scores the first few seconds of `{demo.name}` (a synthetic 4-mouse recording) with the active model.")
seconds = st.select_slider("Seconds to score", options=[1, 2, 3, 5, 10], value=2, key="home_seconds")
if st.button("Run the demo", type="primary", key="home_demo", disabled=not demo.is_file()):
    runner, err = models.active_runner_or_error()
    if err:
        user_names.error(f"The model could not be loaded: {err}")
    else:
        bar = st.progress(0.0, text="Scoring…")
        try:
            df = jobs.quick_score(demo, runner, seconds=seconds, stride=3,
                                  progress=lambda done, total: bar.progress(min(1.0, done / max(total, 1)),
                                                                            text=f"Scored {done} of {total} frames"))
            state.put("home_demo_result", df)
        except Exception as exc:  # noqa: BLE001 - shown in the page, app keeps working
            user_names.error(f"The demo failed: {exc}")
        finally:
            models.release(runner)
            bar.empty()
if not demo.is_file():
    user_names.warning(f"The sample video is missing from the data folder `{paths.data_dir()}`.")
result = state.get("home_demo_result")
if result is not None and len(result):
    st.altair_chart(charts.score_lines(result, title="Orbital tightening per mouse (sample video)"), width="stretch")
    scored = result["score"].notna().mean()
    st.caption(f"{len(result)} ROI-frames, {scored:.0%} with a visible eye. Frames without a visible eye are left "
               "unscored, never guessed. For the full video and downloads use **Batch scoring**.")

st.subheader("Honest notes on the shipped model")
st.markdown(
    "- **No real labelled mouse data was used.** The shipped weights were trained only on images from our own "
    "procedural renderer of the paper's imaging setup (red background, transparent boxes, black C57BL/6-like mice "
    "whose eyes narrow with the score). The sample video and the sample labelled dataset come from the same renderer.\n"
    "- Good numbers on synthetic data do **not** prove accuracy on your mice. Before relying on scores, have trained "
    "raters label a set of your own frames blind on **Label your frames** and compare them with the model on "
    "**Agreement** (or upload a labelled dataset on **Model evaluation**).\n"
    "- If the agreement is poor, **fine-tune** both networks on your labels (step 4 of **Label your frames**, or "
    "`mgs train seg|score --init default`) and make the new weights the active model; the model card in the sidebar "
    "tells you what is active.\n"
    "- The score is the orbital-tightening item only, not the full five-item MGS."
)
st.subheader("Where to go next")
st.markdown("1. **Regions of interest**: draw one box per mouse on your video.\n"
            "2. **Live scoring**: a webcam or a video file played in real time.\n"
            "3. **Batch scoring**: many recorded videos at once, with downloads.\n"
            "4. **Score curves**: smoothing, time bins, thresholds, group overlays.\n"
            "5. **Model evaluation**: how well the model agrees with labelled data; retrain.\n"
            "6. **Label your frames** and **Agreement**: blind labelling by your raters, agreement report, fine-tuning.")
