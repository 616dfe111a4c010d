"""Label your own frames: choose frames to label (active learning), label them blind, export/import, fine-tune."""
import time

import streamlit as st

from app_support import label_views, labelling, models, paths, user_names
from mgs_core.errors import MGSError

STEPS = ["1. Frames to label", "2. Label", "3. Dataset", "4. Fine-tune"]

st.title("Label your own frames")
st.markdown("Teach the model your own mice: choose frames from your videos, label them in the browser (blind: no "
            "model score, no video or time, shuffled neutral names), export them as a dataset, compare raters and "
            "model on the **Agreement** page, and fine-tune the model on your labels. Every label is saved the "
            "moment it is given.")
q_step = st.query_params.get("step")
step = st.radio("Step", STEPS, index=STEPS.index(q_step) if q_step in STEPS else 0, horizontal=True, key="lab_step",
                label_visibility="collapsed")
st.query_params["step"] = step
set_name, rater, blind = labelling.url_state()
all_sets = labelling.sets()

if step == STEPS[0]:
    videos = paths.list_files(paths.data_dir(), paths.VIDEO_EXTS)
    chosen = st.multiselect("Videos to choose frames from", videos, default=videos[:1], key="lab_videos")
    inputs = labelling.video_inputs(chosen)
    for rel, (inp, note) in zip(chosen, inputs):
        st.caption(f"`{rel}`: {note}")
    c1, c2, c3 = st.columns(3)
    n = c1.number_input("Number of frames to label", 1, 5000, 60, key="lab_n")
    gap = c2.number_input("At least this many seconds apart (per animal)", 0.0, 600.0, 2.0, key="lab_gap")
    weight = c3.slider("Prefer frames the model is unsure of", 0.0, 2.0, 0.5, 0.1, key="lab_weight",
                       help="0 = spread only; higher = more of the frames the model finds hard (active learning)")
    new_name = st.text_input("Name of the label set", value=time.strftime("lab-%Y%m%d-%H%M"), key="lab_new_name")
    if st.button("Choose the frames", type="primary", disabled=not chosen, key="lab_pick"):
        bar = st.progress(0.0, text="starting…")
        try:
            runner = models.new_runner()
            try:
                ls = labelling.create_set(new_name, [i for i, _ in inputs], runner, int(n), float(gap), float(weight),
                                          lambda s, d, t: bar.progress(min(1.0, d / max(t, 1)), text=f"{s}: {d} of {t}"))
            finally:
                models.release(runner)
            labelling.set_url_state(ls.name, None, blind)
            st.success(f"Label set `{ls.name}`: {len(ls)} frames. Go to step 2 to label them.")
        except MGSError as exc:
            user_names.error(str(exc))
        finally:
            bar.empty()

elif step == STEPS[1]:
    ls, rater = label_views.choose_set_and_rater(all_sets, set_name, rater, blind)
    if ls is not None and rater:
        label_views.labelling_view(ls, rater, blind)

elif step == STEPS[2]:
    ls, rater = label_views.choose_set_and_rater(all_sets, set_name, rater, blind, allow_new=False)
    if ls is not None:
        label_views.dataset_view(ls, rater)

else:
    label_views.finetune_view(all_sets, set_name)
