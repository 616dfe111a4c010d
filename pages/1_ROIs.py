"""ROIs: choose a video frame, draw/edit the regions of interest (one box per mouse), name animals and groups,
preview the crops the networks will see, and save/load the ROI file."""
import json

import streamlit as st

from app_support import charts, media, paths, pickers, roi_table, state, user_names, workspace
from mgs_core.errors import MGSError
from mgs_core.geometry import crop_roi
from mgs_core.io.rois import load_rois, rois_from_dict, rois_to_dict, save_rois

st.title("Regions of interest")
st.markdown("Each **region of interest (ROI)** is a rectangle around one box with one mouse. The networks only look "
            "inside these rectangles, so draw one per animal and give it the animal's id and group. "
            "**Drag on the picture** to draw a rectangle, then add it as a new ROI or use it to move an existing one.")

video = pickers.pick_file("Video or image", paths.VIDEO_EXTS + paths.IMAGE_EXTS, key="roi_video", default="demo.mp4")
if video is None:
    st.stop()
try:
    info = media.info(video)
except MGSError as exc:
    user_names.error(str(exc))
    st.stop()
state.put("roi_video", str(video))
W, H = info.width, info.height

index = 0
if info.n_frames > 1:
    index = st.slider(f"Frame (of {info.n_frames}, {info.fps:.1f} frames/s)", 0, info.n_frames - 1, 0, key="roi_frame")
try:
    frame = media.frame_at(video, index)
except MGSError as exc:
    user_names.error(str(exc))
    st.stop()

table = roi_table.current(video, W, H)

event = st.altair_chart(charts.frame_with_brush(frame, table, width=820), on_select="rerun",
                        key=f"roi_chart_{roi_table.version(video)}", width="content")
box = charts.brush_box(event, W, H)
st.caption(f"Frame {index} · {W} x {H} pixels · drag to draw; double-click the picture to clear the rectangle.")
col_draw, col_auto = st.columns(2, gap="large")
with col_draw:
    st.subheader("Drawn rectangle")
    if box is None:
        st.info("Drag on the picture to draw a rectangle.")
    else:
        x, y, w, h = box
        st.markdown(f"x **{x}**, y **{y}**, width **{w}**, height **{h}** (frame pixels)")
        if st.button("Add as a new ROI", type="primary", key="roi_add"):
            roi_table.replace(video, roi_table.add_box(table, box))
            st.rerun()
        if len(table):
            target = st.selectbox("…or move this ROI to the rectangle", list(table["id"]), key="roi_target")
            if st.button("Move ROI here", key="roi_move"):
                roi_table.replace(video, roi_table.move_box(table, target, box))
                st.rerun()
with col_auto.container(key="roi_proposal"):
    st.subheader("Automatic proposal")
    st.caption("Finds the boxes/mice in this frame; edit the result afterwards.")
    if st.button("Propose ROIs", key="roi_propose"):
        try:
            from mgs_core.roi_detect import propose_rois

            proposal = propose_rois(frame)
            if roi_table.ask_before_proposing(video, table):
                roi_table.hold_proposal(video, proposal)  # the table holds the user's work: ask first
            else:
                roi_table.replace(video, roi_table.from_roiset(proposal), proposed=True)
            st.rerun()
        except MGSError as exc:
            user_names.error(exc)
        except ImportError:
            user_names.error("Automatic ROI proposal is not available in this installation.")
    pending = roi_table.held_proposal(video)
    if pending is not None:
        st.warning(f"The table already holds {len(table)} ROIs of yours (ids, animals, groups, boxes). The proposal "
                   f"found {len(pending)} boxes. **Merge** keeps your names and groups where a proposed box overlaps "
                   "one of your boxes (and keeps your other boxes); **Replace** discards the table.")
        p1, p2, p3 = st.columns(3)
        if p1.button("Merge", type="primary", key="roi_propose_merge",
                     help="Keep your ids, animals and groups where a proposed box overlaps yours (IoU >= 0.3); keep "
                          "your other boxes; add the new ones."):
            try:
                from mgs_core.roi_detect import merge_proposal

                merged = merge_proposal(roi_table.to_roiset(table, W, H), pending)
                roi_table.replace(video, roi_table.from_roiset(merged))
                st.rerun()
            except MGSError as exc:
                user_names.error(f"Cannot merge: {exc}. Fix the table, or replace it.")
        if p2.button("Replace the table", key="roi_propose_replace"):
            roi_table.replace(video, roi_table.from_roiset(pending), proposed=True)
            st.rerun()
        if p3.button("Cancel", key="roi_propose_cancel"):
            roi_table.hold_proposal(video, None)
            st.rerun()

st.subheader("ROI table")
st.caption("Edit ids, animal names, groups and coordinates here; add or delete rows with the table's controls.")
edited = st.data_editor(table, num_rows="dynamic", key=f"roi_editor_{roi_table.version(video)}", hide_index=True,
                        column_config=roi_table.COLUMN_CONFIG, width="stretch")
roi_table.remember(video, edited)

try:
    roiset = roi_table.to_roiset(edited, W, H)
except MGSError as exc:
    user_names.error(str(exc))
    roiset = None

if roiset is not None and len(roiset):
    st.subheader("What the networks see")
    st.caption("Each ROI is scaled to a 256 x 256 square (the same crop is used for training and scoring).")
    cols = st.columns(min(len(roiset), 4))
    for i, roi in enumerate(roiset):
        with cols[i % len(cols)]:
            st.image(crop_roi(frame, roi, 256), caption=f"{roi.id} · {roi.animal} · {roi.group or 'no group'}", width=200)

st.subheader("Save or load")
c1, c2 = st.columns(2)
with c1:
    if roiset is not None and len(roiset):
        text = json.dumps(rois_to_dict(roiset), indent=2) + "\n"
        st.download_button("Download ROI file (.rois.json)", text, file_name=f"{video.stem}.rois.json",
                           mime="application/json", key="roi_download", on_click="ignore")
        if st.button("Use these ROIs for scoring in this session", key="roi_use"):
            path = save_rois(roiset, state.work_dir("rois") / f"{video.stem}.rois.json")
            roi_table.use_for_scoring(video, path)
            st.success(f"Saved. Live and Batch scoring of {user_names.shown(video)} will use these {len(roiset)} ROIs.")
    active = roi_table.scoring_file(video)
    saved, problem = roi_table.scoring_rois(video, W, H)
    if problem:
        user_names.error(f"{problem}. Scoring refuses this file: save the table above for this video instead.")
    status = roi_table.saved_state(roiset, saved)
    if status == "saved":
        st.caption(f"Scoring uses: `{user_names.shown(active)}` (the table above is saved in it).")
    elif status == "unsaved":
        user_names.warning(f"**Unsaved changes**: the table differs from `{user_names.shown(active)}`, which Live and "
                           "Batch scoring use. Press **Use these ROIs for scoring in this session** to save them.")
    elif not problem:
        st.caption("Not saved for scoring yet: until you press **Use these ROIs for scoring in this session**, "
                   "scoring uses the whole frame as one ROI.")
with c2:
    up = st.file_uploader("Load an ROI file (.json)", type=["json"], key="roi_load",
                          help="The MGS Live ROI format (docs/formats.md). " + state.upload_note())
    if up is not None and st.button("Load this ROI file", key="roi_load_btn"):
        try:
            try:
                data = json.loads(up.getvalue().decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise roi_table.RoiError(f"ROI file {up.name} is not valid JSON ({exc})") from None
            loaded = rois_from_dict(data, source=f"ROI file {up.name}", frame_size=(W, H))
            from mgs_core.io.rois import validate_rois

            validate_rois(loaded, W, H, source=f"ROI file {up.name}")
            roi_table.replace(video, roi_table.from_roiset(loaded))
            st.rerun()
        except MGSError as exc:
            user_names.error(str(exc))
    kept = workspace.roi_sets()
    if kept:  # every "Use these ROIs for scoring" also kept a copy in the workspace
        by_id = {e.id: e for e in kept}
        pick = st.selectbox("…or an ROI set kept in this workspace", list(by_id), key="roi_ws_pick",
                            format_func=lambda i: f"{by_id[i].record.settings.get('roi_file', i)} · "
                                                  f"{by_id[i].record.input_names} · {by_id[i].record.when} · "
                                                  f"{by_id[i].record.user}")
        if st.button("Load this ROI set", key="roi_ws_load"):
            try:
                roi_table.replace(video, roi_table.from_roiset(
                    load_rois(by_id[pick].path("rois"), frame_size=(W, H))))
                st.rerun()
            except MGSError as exc:
                user_names.error(str(exc))
