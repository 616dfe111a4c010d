"""Turn trained checkpoints into the shipped default weights: copy them with the held-out metrics in their cards.

The checkpoint format is unchanged (``save_checkpoint`` rewrites ``NAME.pt`` + ``NAME.card.json`` + ``NAME.card.md``);
only the card grows: ``held_out_metrics`` (full-pipeline evaluation on a synthetic test set never used in
training), optional ``cross_validation`` summaries, and a plain statement of what the model was trained on.
"""
from __future__ import annotations

import json
from pathlib import Path

from mgs_core.models import load_checkpoint, save_checkpoint

SYNTHETIC_STATEMENT = (
    "Trained ONLY on synthetic images from the MGS Live procedural renderer (mgs_core/synth), never on real mice. "
    "Accuracy on real footage is unknown; treat scores on real videos as unvalidated until checked against "
    "human MGS raters (mgs keyframes + mgs agree)."
)
SEG_KEYS = ("n", "iou_eye", "iou_animal", "iou_ears", "iou_background", "eye_err_px_median", "eye_err_px_p95",
            "eye_visible_precision", "eye_visible_recall", "eye_visible_f1")
SCORE_KEYS = ("n", "n_scored", "mae", "rmse", "bias", "loa_low", "loa_high", "pearson_r", "icc", "baseline")


def _pick(d: dict, keys) -> dict:
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in d.items() if k in keys}


def _rate(entry) -> float | None:
    return None if not isinstance(entry, dict) or entry.get("rate") is None else round(float(entry["rate"]), 4)


def localisation_summary(metrics: dict) -> dict:
    """The localiser's held-out figures (match rule: within half the true eye length) for the U-Net's card."""
    loc = metrics.get("localisation") or {}
    if not loc:
        return {}
    out = {"eye_found_rate": _rate(loc.get("found")), "eye_scored_rate": _rate(loc.get("scored")),
           "wrong_eye": loc.get("wrong_eye"), "false_eye_rate_hidden": _rate(loc.get("false_eye_hidden")),
           "false_eye_rate_nomouse_crops": _rate(loc.get("false_eye_nomouse")),
           "found_rate_by_eye_length_px": {k: _rate(v) for k, v in (loc.get("found_by_eye_length") or {}).items()},
           "found_rate_true_score_ge_7": _rate(loc.get("found_true_score_ge_7"))}
    nomouse = metrics.get("nomouse") or {}
    if nomouse:
        out["nomouse_check_eye_rate"] = _rate(nomouse.get("eye_given"))
    return {k: v for k, v in out.items() if v not in (None, {})}


def release_weights(seg: str | Path, score: str | Path, eval_json: str | Path, dest: str | Path,
                    cv_jsons: list[str | Path] = (), test_set: str = "", extra: dict | None = None,
                    check: str | Path | None = None) -> tuple[Path, Path]:
    """Write ``dest/seg.pt`` and ``dest/score.pt`` (+ cards) with the held-out metrics from ``eval_json``; with
    ``check``, also ``dest/check.pt`` (the eye check the evaluation ran with). Without it an old ``dest/check.pt``
    is removed, so the shipped set is always the evaluated one."""
    metrics = json.loads(Path(eval_json).read_text())
    cvs = [json.loads(Path(p).read_text()) for p in cv_jsons]
    dest = Path(dest)
    common = {"trained_on": SYNTHETIC_STATEMENT, "held_out_test_set": test_set or str(metrics.get("data", "")),
              **(extra or {})}
    seg_model, seg_card = load_checkpoint(seg, kind="unet")
    score_model, score_card = load_checkpoint(score, kind="orbital")
    out = []
    for model, card, keys, name in ((seg_model, seg_card, SEG_KEYS, "seg.pt"), (score_model, score_card, SCORE_KEYS,
                                                                                   "score.pt")):
        card = {k: v for k, v in card.items() if k not in ("path", "sha256", "kind", "model_args", "parameters")}
        card.update(common)
        card["held_out_metrics"] = _pick(metrics, keys)
        if name == "seg.pt":
            card["held_out_metrics"].update(localisation_summary(metrics))
            if metrics.get("decision"):  # the thresholds the evaluation ran with: the runner reads them back
                card["decision"] = metrics["decision"]
        if name == "score.pt":
            card["held_out_metrics"]["note"] = "full pipeline: eye found by the shipped U-Net, patch at the found eye"
            card.pop("tta", None)
            if (metrics.get("score_tta") or {}).get("shift_px"):  # the score's test-time augmentation it ran with
                card["tta"] = {"shift_px": float(metrics["score_tta"]["shift_px"])}
            if cvs:
                card["cross_validation"] = [
                    {k: c.get(k) for k in ("data", "recipe", "patch", "folds", "n", "mae", "rmse", "bias", "icc",
                                           "pearson_r")}
                    | {"baseline_mae": c.get("baseline", {}).get("mae")} for c in cvs]
        out.append(save_checkpoint(model, dest / name, card))
    if check is not None:
        check_model, check_card = load_checkpoint(check, kind="eyecheck")
        card = {k: v for k, v in check_card.items() if k not in ("path", "sha256", "kind", "model_args", "parameters")}
        card.update(common)
        card["held_out_metrics"] = {"note": "full pipeline with this eye check (the U-Net card has the figures)",
                                    **localisation_summary(metrics)}
        save_checkpoint(check_model, dest / "check.pt", card)
    else:
        for suffix in (".pt", ".card.json", ".card.md"):
            (dest / f"check{suffix}").unlink(missing_ok=True)
    return out[0], out[1]
