"""Model evaluation: how well a model agrees with labelled data (ours or a lab's own), and retraining on it."""
import time

import numpy as np
import pandas as pd
import streamlit as st

from app_support import (audit_trail, auth, charts, datasets, evaluation_stamp, identity, limits, models, paths,
                         pickers, state, user_names, workspace)
from app_support.evaluation_stamp import CV, PIPELINE, EvalStamp
from mgs_core.errors import MGSError
from mgs_core.evaluation.caveats import caveats, trained_on
from mgs_core.io.dataset import dataset_digest, load_dataset

st.title("Model evaluation")
st.markdown("Compare the model's scores with labelled scores. **Pipeline evaluation** runs each labelled crop through "
            "the whole chain (the network must find the eye itself), so it measures what you get in practice. "
            "**Cross-validation** re-trains the score network k times on the other folds (the paper's protocol). "
            "The sample dataset is synthetic, like the shipped weights: evaluate on **your own labelled frames** "
            "before trusting scores on real mice.")

st.subheader("1. Model")
kept = workspace.trained_models()
sources = ["Active model (see sidebar)", "A checkpoint file"] + (["A model trained in this workspace"] if kept else [])
model_src = st.radio("Which model", sources, horizontal=True, key="ev_model")
choice = dict(models.model_choice())
if model_src == "A model trained in this workspace":
    by_id = {e.id: e for e in kept}
    pick = st.selectbox("Model", list(by_id), key="ev_ws_model",
                        format_func=lambda i: f"{by_id[i].record.models.get('name', i)} · {by_id[i].record.when} · "
                                              f"{by_id[i].record.user}")
    choice.update(score=str(by_id[pick].path("model")), server=None)
    if st.button("Make it the active model", key="ev_ws_activate"):
        models.activate(choice.get("seg"), by_id[pick].path("model"), by_id[pick].record.models.get("name", pick),
                        f"{by_id[pick].record.models.get('name', pick)} is now the active model.")
if model_src == "A checkpoint file":
    score_ck = pickers.pick_file("Score network checkpoint (.pt)", paths.CHECKPOINT_EXTS, key="ev_score_ck")
    seg_ck = None
    if st.checkbox("Also use a segmentation checkpoint", key="ev_seg_on"):
        seg_ck = pickers.pick_file("Segmentation checkpoint (.pt)", paths.CHECKPOINT_EXTS, key="ev_seg_ck")
    choice.update(score=str(score_ck) if score_ck else choice.get("score"),
                  seg=str(seg_ck) if seg_ck else choice.get("seg"), server=None)

seg_path, score_path = models.active_paths(choice)
score_card = models.card_of(score_path)
model_label = (f"{choice['label']} ({models.model_name(score_card, score_path.name)})"
               if model_src != "A checkpoint file" else f"checkpoint {user_names.shown(score_path)}")
model_now = evaluation_stamp.model_key(seg_path, score_path, choice.get("server"))

st.subheader("2. Labelled dataset")
st.caption("Format: a folder with 256 x 256 ROI crops and `labels.csv` (image, mask, eye_x, eye_y, eye_visible, "
           "score); see docs/dataset.md. Upload it as one ZIP.")
ds_src = st.radio("Dataset", ["From the data folder", "Upload a ZIP"], horizontal=True, key="ev_ds_src")
ds_dir = None
if ds_src == "From the data folder":
    found = datasets.find_datasets(paths.data_dir())
    if found:
        rel = st.selectbox("Dataset folder", found, index=found.index("labelled") if "labelled" in found else 0,
                           key="ev_ds")
        try:
            ds_dir = paths.safe_join(paths.data_dir(), rel)
        except MGSError as exc:
            user_names.error(str(exc))
    else:
        st.info("No folder with a labels.csv in the data folder.")
else:
    up = st.file_uploader("Dataset ZIP", type=["zip"], key="ev_zip", help=state.upload_note())
    st.caption(state.upload_note())
    if up is not None:
        try:
            ds_dir = datasets.unpack_zip(state.save_upload(up, "uploads"), state.work_dir("datasets"))
            user_names.remember(ds_dir, up.name)
        except MGSError as exc:
            user_names.error(str(exc))

dataset, digest = None, None
if ds_dir is not None:
    try:
        dataset = load_dataset(ds_dir)
        digest = dataset_digest(ds_dir)
        scores = np.array([it.score for it in dataset if it.score is not None], float)
        ds_name = user_names.shown(ds_dir)
        st.caption(f"`{ds_name}`: {len(dataset)} crops, {len(scores)} with a visible eye and a score "
                   f"(range {scores.min():.1f}-{scores.max():.1f})." if len(scores) else
                   f"`{ds_name}`: {len(dataset)} crops, none with a score.")
    except MGSError as exc:
        user_names.error(str(exc))

st.subheader("3. Run")
mode = st.radio("Evaluation", ["Pipeline evaluation", "k-fold cross-validation"], horizontal=True, key="ev_mode")
folds, epochs, limit = 5, 10, 0
c1, c2, c3 = st.columns(3)
if mode == "k-fold cross-validation":
    folds = c1.slider("Folds", 2, 30, 5, key="ev_folds", help="The paper used 30.")
    epochs = c2.number_input("Epochs per fold", 1, 100, 10, key="ev_epochs", help="The paper's recipe: 35.")
limit = c3.number_input("Use at most this many crops (0 = all)", 0, 100_000, 0, key="ev_limit")
ev_mode = CV if mode == "k-fold cross-validation" else PIPELINE
settings = f"{int(folds)} folds x {int(epochs)} epochs" if ev_mode == CV else ""
data_now = evaluation_stamp.data_key(digest, limit) if digest else None
ds_label = user_names.shown(ds_dir) if ds_dir is not None else ""
own_data = trained_on(score_card, digest or "", ds_label) if ev_mode == PIPELINE else None
if own_data:
    st.warning(own_data)

if st.button("Evaluate", type="primary", key="ev_run", disabled=dataset is None):
    items = dataset.items[: int(limit)] if limit else dataset.items
    bar = st.progress(0.0, text="starting…")
    t0 = time.monotonic()

    def progress(done, total, message="", bar=bar, t0=t0):
        rate = done / max(time.monotonic() - t0, 1e-6)
        eta = f", about {(total - done) / rate:.0f} s left" if rate > 0 and done else ""
        bar.progress(min(1.0, done / max(total, 1)), text=f"{message or 'working'}: {done} of {total}{eta}")

    try:
        from mgs_core.evaluate import cross_validate, evaluate_pipeline

        if mode == "Pipeline evaluation":
            runner = models.new_runner(choice)
            try:
                report = evaluate_pipeline(runner, items, progress=progress)
            finally:
                models.release(runner, choice)
        else:
            from mgs_core.train.score import recipe_config

            report = cross_validate(items, folds=int(folds), config=recipe_config("paper", epochs=int(epochs)),
                                    progress=progress)
        stamp = EvalStamp(ev_mode, model_now if ev_mode == PIPELINE else None, model_label, data_now, ds_label,
                          settings)
        state.put("ev_report", {"report": report, "dataset": ds_label, "mode": mode, "stamp": stamp,
                                "epochs": int(epochs) if ev_mode == CV else None, "own_data": own_data})
    except MGSError as exc:
        user_names.error(str(exc))
    except ValueError as exc:
        user_names.error(f"Cannot evaluate on this dataset: {exc}")
    finally:
        bar.empty()

res = state.get("ev_report")
stale = None
if res:
    stale = evaluation_stamp.stale_reason(res["stamp"], model_now, model_label, data_now, ds_label or "no dataset",
                                          settings) if res.get("stamp") else "They predate this version of the page."
    if stale:  # cleared from the screen: figures of another model or dataset must not sit under this one's name
        st.subheader("Results")
        st.info(f"Earlier results cleared: {stale}")
if res and not stale:
    rep = res["report"]
    s = rep.score
    st.subheader(f"Results: {res['mode'].lower()} on `{res['dataset']}`")
    st.caption(f"Model: {res['stamp'].model_name} · data: {res['stamp'].data_name}"
               + (f" · {res['stamp'].settings}" if res['stamp'].settings else "")
               + (f" · model {res['stamp'].model_key}" if res['stamp'].model_key else ""))
    from mgs_core.train.score import recipe_config as _recipe

    for warning in ([res["own_data"]] if res.get("own_data") else []) + caveats(
            rep, res.get("epochs"), _recipe("paper").epochs if res.get("epochs") is not None else None):
        st.warning(warning)
    def fmt(v, spec=".3f"):
        return "n/a" if v is None or not np.isfinite(v) else format(v, spec)

    if s.n == 0:
        user_names.warning("The model found no scorable eye in these crops, so there is nothing to compare. Check that the "
                   "model and the dataset match (crop size, imaging setup) or retrain below.")
    m = st.columns(6)
    m[0].metric("MAE", fmt(s.mae), help="Mean absolute error on the 0-9 scale (paper: 0.871)")
    m[1].metric("RMSE", fmt(s.rmse))
    m[2].metric("Pearson r", fmt(s.pearson_r))
    m[3].metric("ICC(2,1)", fmt(s.icc), help="Absolute agreement, single rater")
    m[4].metric("Bias", fmt(s.bias, "+.3f"), help="Mean of predicted - true (paper: -0.18)")
    m[5].metric("Scored items", f"{s.n} / {rep.n}")
    st.caption(f"Trivial baseline (always predict {rep.baseline_value:.2f}): MAE {rep.baseline.mae:.3f}, "
               f"RMSE {rep.baseline.rmse:.3f}. The model must beat this to have learned anything.")
    if rep.detection is not None and np.isfinite(rep.eye_err_px_median):
        st.caption(f"Eye found: F1 {rep.detection.f1:.3f} · eye-centre error median {rep.eye_err_px_median:.2f} px, "
                   f"95th percentile {rep.eye_err_px_p95:.2f} px" +
                   (" · IoU " + ", ".join(f"{k} {v:.2f}" for k, v in rep.iou.items()) if rep.iou else ""))
    pred = rep.predictions.to_frame().rename(columns={"true_score": "true", "pred_score": "pred"})
    pred = pred.dropna(subset=["true", "pred"])
    g1, g2 = st.columns(2)
    g1.altair_chart(charts.pred_vs_true(pred), width="stretch", key="ev_scatter")
    g2.altair_chart(charts.bland_altman(((pred["pred"] + pred["true"]) / 2).to_numpy(),
                                        (pred["pred"] - pred["true"]).to_numpy(), s.bias, s.loa_low, s.loa_high),
                    width="stretch", key="ev_ba")
    bins = pd.DataFrame([{"true score bin": f"{k}-{k + 1}", "MAE": v.mae, "n": v.n} for k, v in sorted(rep.per_bin.items())])
    if len(bins):
        st.altair_chart(charts.bars(bins, "true score bin", "MAE", "true score", "mean absolute error",
                                    "Error per true-score bin"), width="stretch", key="ev_bins")
    if rep.fold_mae:
        st.caption("MAE per fold: " + ", ".join(f"{v:.2f}" for v in rep.fold_mae))
    st.download_button("Metrics (JSON)", pd.Series(rep.to_dict()).to_json(indent=2, default_handler=str),
                       "evaluation.json", "application/json", key="ev_dl_json", on_click="ignore")
    st.download_button("Per-item predictions (CSV)", rep.predictions.to_frame().to_csv(index=False),
                       "predictions.csv", "text/csv", key="ev_dl_csv", on_click="ignore")

st.subheader("4. Retrain on this dataset (optional)")
st.caption("Trains the paper's score network (Table 1 recipe) on the dataset's eye patches and makes it the active "
           "model for this browser session. The segmentation network is kept. The trained model is kept in the "
           "workspace (pick it again under *A model trained in this workspace*, also after a restart).")
t1, t2 = st.columns(2)
tr_epochs = t1.number_input("Epochs", 1, 200, 35, key="tr_epochs", help="The paper's recipe: 35.")
if t2.button("Train the score network", key="tr_run", disabled=dataset is None):
    from mgs_core.train.data import patch_source
    from mgs_core.train.score import recipe_config, train_score

    bar = st.progress(0.0, text="preparing patches…")
    try:
        auth.require(auth.ADMIN, "train a model")
        src = patch_source(dataset.items)
        out = state.work_dir("models") / f"score_{time.strftime('%Y%m%d-%H%M%S')}.pt"
        card = {"name": f"score net retrained on {ds_label}", "training_data": ds_label,
                "training_data_sha256": digest, "user": identity.current_user()}
        with limits.slot(limits.training_slots(), f"training on {ds_label}"):  # one training job at a time
            _, result = train_score(src, out, recipe_config("paper", epochs=int(tr_epochs)), card=card,
                                    progress=lambda e: bar.progress(e.epoch / e.epochs, text=e.line()))
        bar.empty()
        kept_path, kept_rec = workspace.store_model(result.path or out, ds_label)  # outlives this session
        audit_trail.record("train", str(kept_path), data=ds_label, epochs=int(tr_epochs),
                           run=kept_rec.id if kept_rec else None)
        models.activate(models.model_choice().get("seg"), kept_path, f"retrained on {ds_label}",
                        f"Trained on {result.n_train} patches. It is now the active model (see the sidebar); "
                        "evaluate it on frames it was not trained on, or go back to the shipped weights from the "
                        "sidebar.")
    except (MGSError, ValueError) as exc:
        user_names.error(f"Training failed: {exc}")
    finally:
        bar.empty()
