"""Checkpoints that rebuild their own model, with a model card beside each.

File layout: ``NAME.pt`` (torch.save of a dict: format, kind, model_args, state_dict, card) plus ``NAME.card.json``
and ``NAME.card.md`` written beside it by :func:`save_checkpoint`. ``load_checkpoint`` refuses a file of the wrong
kind or format version with a clear message.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from torch import nn

from mgs_core.errors import CheckpointError
from mgs_core.models.eyecheck import EyeCheckNet
from mgs_core.models.orbital import OrbitalNet
from mgs_core.models.unet import UNet

FORMAT = "mgs-live-checkpoint"
FORMAT_VERSION = 1
MODEL_KINDS: dict[str, type[nn.Module]] = {UNet.kind: UNet, OrbitalNet.kind: OrbitalNet, EyeCheckNet.kind: EyeCheckNet}
WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"


def default_weight_paths() -> tuple[Path, Path]:
    """The shipped default (segmentation, score) checkpoints."""
    return WEIGHTS_DIR / "seg.pt", WEIGHTS_DIR / "score.pt"


def default_check_path() -> Path:
    """The shipped eye check (:class:`~mgs_core.models.eyecheck.EyeCheckNet`); runners use it when the file exists."""
    return WEIGHTS_DIR / "check.pt"


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def card_markdown(card: dict) -> str:
    lines = [f"# Model card: {card.get('name', card.get('kind', 'model'))}", ""]
    for key, value in card.items():
        if isinstance(value, dict):
            lines.append(f"- **{key}**:")
            lines += [f"  - {k}: {v}" for k, v in value.items()]
        else:
            lines.append(f"- **{key}**: {value}")
    return "\n".join(lines) + "\n"


def save_checkpoint(model: nn.Module, path: str | Path, card: dict | None = None) -> Path:
    """Save the plain model (never a compiled wrapper) with its constructor args and card; write the card files."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = getattr(model, "_orig_mod", model)
    n_params = sum(p.numel() for p in model.parameters())
    card = {"kind": model.kind, "model_args": model.model_args, "parameters": n_params, **(card or {})}
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": model.kind,
        "model_args": model.model_args,
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "card": card,
    }
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)
    stem = path.with_suffix("")
    Path(f"{stem}.card.json").write_text(json.dumps(card, indent=2, default=str) + "\n")
    Path(f"{stem}.card.md").write_text(card_markdown(card))
    return path


def load_checkpoint(path: str | Path, kind: str | None = None, device: str | torch.device = "cpu"):
    """Rebuild a model from a checkpoint. Returns ``(model in eval mode, card dict)``.

    ``kind`` ("unet", "orbital" or "eyecheck"), when given, must match the file; anything else raises CheckpointError.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means "not our checkpoint"
        raise CheckpointError(f"{path} is not a readable MGS Live checkpoint ({type(exc).__name__}: {exc})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an MGS Live checkpoint")
    if payload.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{path} has checkpoint format version {payload.get('format_version')}, this MGS Live reads {FORMAT_VERSION}"
        )
    file_kind = payload.get("kind")
    if file_kind not in MODEL_KINDS:
        raise CheckpointError(f"{path} holds an unknown model kind {file_kind!r}")
    if kind is not None and file_kind != kind:
        raise CheckpointError(f"{path} holds a {file_kind!r} model, expected a {kind!r} model")
    model = MODEL_KINDS[file_kind](**payload["model_args"])
    try:
        model.load_state_dict(payload["state_dict"])
    except RuntimeError as exc:
        raise CheckpointError(f"{path}: weights do not fit the stored model arguments ({exc})") from None
    card = dict(payload.get("card") or {})
    card.setdefault("sha256", file_sha256(path))
    card["path"] = str(path)
    return model.to(device).eval(), card
