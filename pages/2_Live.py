"""Live scoring: a webcam, or a video file played at its real frame rate, scored frame by frame as it plays."""
import time

import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from app_support import charts, models, paths, pickers, roi_table, state
from app_support.live import LiveScorer, LiveSeries
from mgs_core.draw import draw_results
from mgs_core.errors import MGSError
from mgs_core.geometry import crop_roi
from mgs_core.io.rois import load_rois

RTC = {"iceServers": []}  # no STUN/TURN: the browser and this server talk directly (same machine or LAN)

st.title("Live scoring")
st.markdown("Scores every mouse **while the video plays**: each box shows the eye marker and the current score, and "
            "the chart below grows as scores arrive. Scoring runs in the background and skips frames it cannot keep up "
            "with instead of falling behind. Press **START** to begin and **STOP** to end; the scored series is saved "
            "for the **Score curves** page.")

source = st.radio("Source", ["Video file played in real time", "Webcam"], horizontal=True, key="live_source",
                  help="A recorded video replayed at its own frame rate (as in the paper's GUI), or a camera "
                       "attached to the computer running this browser.")

roiset, video = None, None
if source == "Webcam":
    st.caption("By default the whole camera picture is one ROI. Load an ROI file made for the camera's frame size "
               "to score several boxes.")
    up = st.file_uploader("ROI file for the camera (optional)", type=["json"], key="live_roi_up", help=state.upload_note())
    if up is not None:
        try:
            roiset = load_rois(state.save_upload(up, "rois"))
            st.success(f"{len(roiset)} ROIs for {roiset.frame_width}x{roiset.frame_height} frames; a camera of "
                       "another size falls back to the whole frame.")
        except MGSError as exc:
            st.error(str(exc))
else:
    video = pickers.pick_file("Video", paths.VIDEO_EXTS, key="live_video", default="demo.mp4")
    if video is not None:
        rf = roi_table.scoring_file(video)
        if rf is not None:
            try:
                roiset = load_rois(rf)
                st.caption(f"ROIs: `{rf.name}` ({len(roiset)} boxes). Change them on the **Regions of interest** page.")
            except MGSError as exc:
                st.error(str(exc))
        else:
            st.caption("No ROI file for this video: the whole frame is one ROI. Draw boxes on **Regions of interest**.")

key = f"live::{source}::{video}"
scorer: LiveScorer | None = state.get("live_scorer")
if scorer is None or state.get("live_key") != key or scorer.roiset != roiset:
    runner, err = models.active_runner_or_error()
    if err:
        st.error(f"The model could not be loaded: {err}")
        st.stop()
    scorer = LiveScorer(runner, roiset)
    state.put("live_scorer", scorer)
    state.put("live_key", key)

if source == "Webcam":
    ctx = webrtc_streamer(key="live_cam", mode=WebRtcMode.SENDRECV, rtc_configuration=RTC,
                          media_stream_constraints={"video": True, "audio": False},
                          video_frame_callback=scorer.callback, async_processing=True)
elif video is not None:
    def player(path=str(video)):
        from aiortc.contrib.media import MediaPlayer

        return MediaPlayer(path, loop=True)

    ctx = webrtc_streamer(key="live_file", mode=WebRtcMode.RECVONLY, rtc_configuration=RTC,
                          media_stream_constraints={"video": True, "audio": False}, player_factory=player,
                          video_frame_callback=scorer.callback, async_processing=True)
else:
    st.stop()

c1, c2, c3 = st.columns([1, 1, 2])
paused = c1.toggle("Pause scoring", key="live_pause", help="Keep the video running but stop scoring.")
if paused:
    scorer.paused.set()
else:
    scorer.paused.clear()
fps_box = c2.empty()
status_box = c3.empty()
tiles_box = st.empty()
chart_box = st.empty()

series: LiveSeries | None = state.get("live_series")
playing = bool(ctx.state.playing)
if playing and (series is None or state.get("live_series_key") != (key, id(scorer))):
    stamp = time.strftime("%Y%m%d-%H%M%S")
    series = LiveSeries(state.work_dir("live") / f"live_{stamp}")
    state.put("live_series", series)
    state.put("live_series_key", (key, id(scorer)))


def show(series: LiveSeries, last, with_chart: bool = True) -> None:
    fps_box.metric("Scored frames / s", f"{scorer.fps():.1f}")
    if scorer.error:
        status_box.error(f"Scoring failed on a frame: {scorer.error}")
    elif series is not None and series.frames:
        status_box.caption(f"{len(series.frames)} frames scored · {scorer.dropped} results dropped (page busy) · "
                           f"saved to `{series.out_stem.name}.csv`")
    frame = scorer.snapshot()
    if last is not None and frame is not None:
        rs = scorer.roiset_for(frame)
        drawn = draw_results(frame, rs, last, show_time=False)
        with tiles_box.container():
            cols = st.columns(min(4, len(rs)))
            for i, (roi, res) in enumerate(zip(rs, last.rois)):
                with cols[i % len(cols)]:
                    st.image(crop_roi(drawn, roi, 192), width=192)
                    value = "no eye" if res.score is None else f"{res.score:.1f}"
                    st.metric(f"{roi.animal or roi.id}", value)
    if with_chart and series is not None and series.frames:
        # the last 60 s, as 0.5 s means per animal: a light chart the browser can redraw every second
        df = series.table(last=4000)
        recent = df[df["time_s"] >= df["time_s"].max() - 60].assign(time_s=lambda d: (d["time_s"] // 0.5) * 0.5)
        recent = recent.groupby(["animal", "time_s"], as_index=False)["score"].mean()
        chart_box.altair_chart(charts.score_lines(recent, title="Score over time (last 60 s, 0.5 s means)"),
                               width="stretch")


if playing:
    last, chart_at = None, 0.0
    while ctx.state.playing:
        new = scorer.drain()
        if new:
            series.extend(new)
            last = new[-1]
            now = time.monotonic()
            show(series, last, with_chart=now - chart_at >= 1.0)
            chart_at = now if now - chart_at >= 1.0 else chart_at
            series.save()
        elif last is None:
            fps_box.metric("Scored frames / s", "0.0")
            status_box.info("Waiting for frames…")
        time.sleep(0.25)
elif series is not None and series.frames:
    path = series.save(force=True)
    show(series, series.frames[-1])
    st.success(f"Stopped. {len(series.frames)} scored frames saved in this session; open **Score curves** to analyse "
               "them.")
    st.download_button("Download the live series (CSV)", series.table().to_csv(index=False),
                       file_name=series.out_stem.name + ".csv", mime="text/csv", key="live_dl")
else:
    st.info("Press **START** above. For a video file, scoring begins as soon as the first frames arrive.")
