"""The sidebar shown on every page: active model (name + card) and inference backend (local / remote server)."""
from __future__ import annotations

import streamlit as st

from app_support import auth, models, workspace
from mgs_core.models import default_weight_paths


def _card_summary(card: dict) -> str:
    keys = ("name", "kind", "trained_on", "training_data", "data", "parameters", "date", "metrics", "held_out")
    lines = []
    for key in keys:
        if key in card:
            value = card[key]
            if isinstance(value, dict):
                value = ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in list(value.items())[:6])
            lines.append(f"- **{key}**: {value}")
    return "\n".join(lines) or "No model card found beside this checkpoint."


def render() -> None:
    choice = models.model_choice()
    seg_default, score_default = default_weight_paths()
    seg_path = choice.get("seg") or seg_default
    score_path = choice.get("score") or score_default
    with st.sidebar:
        workspace.render_picker()
        st.markdown("### Active model")
        score_card, seg_card = models.card_of(score_path), models.card_of(seg_path)
        st.markdown(f"**{choice['label']}**  \nscore net: `{models.model_name(score_card, score_path.name if hasattr(score_path, 'name') else str(score_path))}`"
                    f"  \nsegmentation: `{models.model_name(seg_card, str(seg_path).rsplit('/', 1)[-1])}`")
        if choice.get("seg") is None and choice.get("score") is None:
            st.caption("Shipped weights were trained on synthetic renderer images only, never on real mice.")
        with st.expander("Model card"):
            st.markdown("**Orbital-tightening regressor**\n\n" + _card_summary(score_card))
            st.markdown("**Eye segmentation (U-Net)**\n\n" + _card_summary(seg_card))
        if choice.get("seg") or choice.get("score"):
            if st.button("Back to shipped weights", key="sb_reset_model"):
                models.set_model(None, None, "shipped weights")
                st.rerun()

        st.markdown("### Inference backend")
        backend = st.radio("Where the networks run", ["This computer", "Remote server"],
                           index=1 if choice.get("server") else 0, key="sb_backend", horizontal=True,
                           help="Remote: an `mgs serve` process on a stronger machine (the paper's client-server split).")
        if backend == "Remote server":
            address = auth.server_input(choice.get("server"))  # shared mode: only the admin's list
            if address and address.strip() != (choice.get("server") or ""):
                models.set_server(address)
            if address:
                st.caption(f"Scoring sends ROI crops to `{address}`. Frames it cannot answer stay unscored.")
        elif choice.get("server"):
            models.set_server(None)
        st.divider()
        st.caption("MGS Live scores the Mouse Grimace Scale orbital-tightening item (0 = open eye, 9 = closed slit).")
    flash = models.pop_flash()  # after an activation: shown at the top of the page, under the same sidebar
    if flash:
        st.success(flash)
