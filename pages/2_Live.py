"""Live scoring: a video file scored on the server while it plays at its real frame rate, or a webcam (WebRTC)."""
import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from app_support import live, models, paths, pickers, roi_table, state, user_names
from app_support.live_process import FileProcess
from app_support.live_worker import CameraWorker
from mgs_core.errors import MGSError
from mgs_core.io.rois import load_rois, validate_rois
from mgs_core.io.video import probe_video

RTC = {"iceServers": []}  # no STUN/TURN: the browser and this server talk directly (same machine or LAN)
SPEEDS = {"1x (real time)": 1.0, "As fast as possible": None}

st.title("Live scoring")
st.markdown("Scores every mouse **while the video plays**: the picture shows each box with its eye marker and current "
            "score, the chart grows as scores arrive. Scoring runs in the background on the newest frame and skips "
            "frames it cannot keep up with (counted below) instead of falling behind. Every scored frame is written "
            "to disk as it is scored; the series appears on **Score curves**, also after a closed tab.")

source = st.radio("Source", ["Video file played in real time", "Webcam"], horizontal=True, key="live_source",
                  help="A recorded video replayed at its own frame rate (as in the paper's GUI), or a camera "
                       "attached to the computer running this browser.")
worker = live.current()
snap = worker.snapshot() if worker is not None else None
running = worker is not None and worker.running  # the thread is alive (scoring, paused, or saving at the end)


def load_roi_file(path):
    try:
        return load_rois(path)
    except MGSError as exc:
        user_names.error(str(exc))
        st.stop()


def act(fn, *args) -> None:
    """Run a control action; a problem the user can fix is shown, not raised."""
    try:
        fn(*args)
    except MGSError as exc:
        state.put("live_action_error", str(exc))
    st.rerun()


if source == "Webcam":
    st.caption("The camera picture goes to the server only (nothing is streamed back); the scored picture is shown "
               "below. By default the whole camera picture is one ROI; an ROI file must be made for the camera's "
               "frame size.")
    up = st.file_uploader("ROI file for the camera (optional)", type=["json"], key="live_roi_up", help=state.upload_note())
    roiset, roi_file = None, None
    if up is not None:
        try:
            roi_file = state.save_upload(up, "rois")
        except MGSError as exc:
            user_names.error(str(exc))
            st.stop()
        roiset = load_roi_file(roi_file)
        st.caption(f"{len(roiset)} ROIs for {roiset.frame_width}x{roiset.frame_height} frames.")
    relay = live.camera_relay()
    ctx = webrtc_streamer(key="live_cam", mode=WebRtcMode.SENDONLY, rtc_configuration=RTC,
                          media_stream_constraints={"video": {"width": {"ideal": 640}, "height": {"ideal": 480}},
                                                    "audio": False},
                          video_frame_callback=relay.callback, async_processing=False)
    playing = bool(ctx.state.playing)
    was_playing = bool(state.get("live_cam_playing"))
    state.put("live_cam_playing", playing)
    if playing and not was_playing:
        runner, err = models.active_runner_or_error()
        if err:
            user_names.error(f"The model could not be loaded: {err}")
            st.stop()
        try:
            relay.worker = live.start_camera(runner, roiset, roi_file)
        except MGSError as exc:  # e.g. a workspace that cannot be written
            st.error(str(exc))
            st.stop()
        st.rerun()
    if not playing and was_playing and isinstance(worker, CameraWorker):
        worker.end_of_feed()
        worker.join(timeout=20.0)  # let it finish saving, so this run already shows the summary (no race)
        snap, running = worker.snapshot(), worker.running
    if not isinstance(worker, CameraWorker):
        worker, snap, running = None, None, False
else:
    video = pickers.pick_file("Video", paths.VIDEO_EXTS, key="live_video", default="demo.mp4")
    if video is None:
        st.stop()
    rf = roi_table.scoring_file(video)
    roiset = None
    try:
        info = probe_video(video)
        if info.is_image:
            raise MGSError(f"{video.name} is an image; live scoring needs a video (use Batch scoring for images)")
        if rf is not None:  # the video's size first, so a file for another size is named as a size mismatch
            roiset = load_rois(rf, frame_size=(info.width, info.height))
            validate_rois(roiset, info.width, info.height, source=f"ROI file {rf.name}")
    except MGSError as exc:
        user_names.error(f"{exc}. Nothing was scored; choose another file" + (" or fix the ROIs on **Regions of "
                                                                        "interest**." if rf else "."))
        st.stop()
    st.caption((f"ROIs: `{rf.name}` ({len(roiset)} boxes); change them on **Regions of interest**." if roiset else
                "No ROI file for this video: the whole frame is one ROI. Draw boxes on **Regions of interest**.")
               + f" Video: {info.width}x{info.height}, {info.fps:.1f} frames/s, {info.duration_s:.1f} s.")
    mine = isinstance(worker, FileProcess) and worker.path == video
    running = running and mine
    c1, c2, c3, c4, c5 = st.columns([1, 1, 1, 2, 2])
    speed = SPEEDS[c4.radio("Playback speed", list(SPEEDS), key="live_speed",
                            help="1x plays the file like a camera; as fast as possible scores every frame.")]
    loop = c5.radio("At the end of the video", ["Loop", "Stop"], key="live_end", horizontal=True) == "Loop"
    s1, s2 = st.columns([1, 4], vertical_alignment="bottom")
    seek_t = s1.number_input("Go to time (s)", 0.0, max(0.0, info.duration_s), 0.0, 1.0, key="live_seek_t")
    if c1.button("Start", type="primary", key="live_start", disabled=running):
        runner, err = models.active_runner_or_error()
        if err:
            user_names.error(f"The model could not be loaded: {err}")
            st.stop()
        act(live.start_file, runner, video, roiset, rf, speed, loop)
    paused = running and worker.paused
    if c2.button("Resume" if paused else "Pause", key="live_pause", disabled=not running):
        act(worker.resume if paused else worker.pause)
    if c3.button("Stop", key="live_stop", disabled=not running):
        act(worker.stop)
    if s2.button("Go", key="live_seek", help="Jump there (starts playing from there when stopped)."):
        if running:
            act(worker.seek, seek_t)
        else:
            runner, err = models.active_runner_or_error()
            if err:
                user_names.error(f"The model could not be loaded: {err}")
                st.stop()
            act(live.start_file, runner, video, roiset, rf, speed, loop, seek_t)
    if running:
        worker.set_speed(speed)
        worker.set_loop(loop)
    if not mine:
        worker, snap = None, None

problem = state.get("live_action_error")
if problem:
    user_names.error(problem)
    state.put("live_action_error", None)
state.put("live_view_running", running)


def draw_view(w, disp) -> None:
    """The figures, the state and the live picture of the newest result (re-sent unchanged when nothing is new)."""
    s = w.snapshot()
    new_result = disp.shown(s)
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Scored frames / s", f"{s.stats.scored_fps:.1f}", help="frames scored per second over the last 2 s")
    m2.metric("Display frames / s", f"{disp.fps():.1f}", help="new results shown on this page per second")
    m3.metric("Dropped frames", f"{s.stats.dropped}", help="frames the source delivered while scoring was busy")
    m4.metric("Latency p95 (ms)", f"{disp.latency_p95():.0f}",
              help="frame decoded (or received from the camera) -> its result sent to your browser by this "
                   "page; the browser's own drawing comes on top (about 30 ms, 70 ms p95 on a 2-core machine with "
                   "the browser on it: docs/benchmarks.md, Live page)")
    where = (f"t = {s.stats.position_s:.1f} of {s.stats.duration_s:.1f} s" + (f", pass {s.stats.passes + 1}"
             if s.stats.passes else "")) if s.stats.duration_s else f"t = {s.stats.position_s:.1f} s"
    st.caption(f"**{s.state}** · {where} · {s.stats.scored} frames scored · {s.stats.rows_written} rows saved to "
               f"`{s.series.name}` · scoring {s.stats.score_ms_p50:.0f} ms/frame (median)")
    if s.message:
        (user_names.error if s.state == "failed" else st.info)(s.message)
    html = disp.html if not new_result else None  # nothing new since the last refresh: no drawing, no encoding
    if html is None:
        html = disp.html = live.view_html(s)
    if html is None and s.state == "starting":
        st.caption("Starting the scorer and loading the networks (a few seconds)…")
    if html:
        st.markdown(html, unsafe_allow_html=True)


@st.fragment(run_every=live.DISPLAY_EVERY_S if running else None)
def live_view():
    w = live.current()
    if w is None or w is not worker:
        st.info("Press **Start** (or **START** for the webcam). Scores appear here as soon as the first frame is "
                "scored.")
        return
    disp = live.display_stats()
    box, beat = st.empty(), st.empty()
    with box.container():
        draw_view(w, disp)
    for new in live.arrivals(w, disp):  # each result is drawn the moment it reaches this process (live.arrivals)
        if new:
            with box.container():
                draw_view(w, disp)
        else:
            beat.empty()  # nothing new: only give a click on a control the chance to interrupt this refresh
    if not w.running and state.get("live_view_running"):
        state.put("live_view_running", False)
        st.rerun(scope="app")  # the run ended: refresh the controls and show the summary


@st.fragment(run_every=live.CHART_EVERY_S if running else None)
def live_chart():
    w = live.current()
    if w is None or w is not worker:
        return
    pts = live.chart_table(w)
    if len(pts):
        st.vega_lite_chart(pts, live.CHART_SPEC, width="stretch")


live_view()
live_chart()

if worker is not None and snap is not None and not running:
    snap = worker.snapshot()
    csv = snap.series / f"{snap.series.name}.csv"
    if csv.is_file():
        st.success(f"Stopped. {snap.stats.scored} scored frames ({snap.stats.rows_written} rows) saved as "
                   f"`{snap.series.name}`; open **Score curves** to analyse them.")
        with open(csv, "rb") as f:
            st.download_button("Download the live series (CSV)", f.read(), file_name=csv.name, mime="text/csv",
                               key="live_dl", on_click="ignore")
