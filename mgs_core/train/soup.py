"""A uniform model soup (Wortsman et al., 2022): the weight average of checkpoints fine-tuned from one parent.

Runs fine-tuned from the same checkpoint with different seeds stay in one basin of the loss, so the mean of their
weights is a single model of the same architecture (no extra inference cost) that is usually at least as good as
the best of them. :func:`make_soup` refuses checkpoints of different kinds, model arguments or parents.
"""
from __future__ import annotations

import time
from pathlib import Path

import torch

from mgs_core.access.who import os_user
from mgs_core.errors import InputError
from mgs_core.models.checkpoint import file_sha256, load_checkpoint, save_checkpoint
from mgs_core.train.provenance import code_version

# what describes one training run, not the soup
RUN_KEYS = ("sha256", "path", "training", "seed", "command", "date", "code_version", "user")


def _parent_sha(card: dict) -> str | None:
    parent = card.get("parent")
    return parent.get("sha256") if isinstance(parent, dict) else None


def make_soup(paths: list[str | Path], out: str | Path, note: str = "", command: str = "") -> tuple[Path, dict]:
    """Average the weights of ``paths`` (two or more checkpoints of one kind, model arguments and parent) into
    ``out``; returns (path, card). Integer buffers (BatchNorm's batch counter) are taken from the first."""
    paths = [Path(p) for p in paths]
    if len(paths) < 2:
        raise InputError("a soup needs at least two checkpoints")
    loaded = [load_checkpoint(p) for p in paths]  # CheckpointError (an InputError) names a file that is not one
    (first, card0), rest = loaded[0], loaded[1:]
    for p, (m, card) in zip(paths[1:], rest):
        if m.kind != first.kind or m.model_args != first.model_args:
            raise InputError(f"{p} ({m.kind}, {m.model_args}) and {paths[0]} ({first.kind}, {first.model_args}) are "
                             "not the same model: only the same model can be averaged")
        if _parent_sha(card) != _parent_sha(card0):
            raise InputError(f"{p} and {paths[0]} were not fine-tuned from the same parent checkpoint: their "
                             "weights need not lie in one basin, so their average is not a model")
    states = [m.state_dict() for m, _ in loaded]
    avg = {k: (torch.stack([s[k].float() for s in states]).mean(0).to(v.dtype) if v.is_floating_point() else v)
           for k, v in states[0].items()}
    first.load_state_dict(avg)
    card = {k: v for k, v in card0.items() if k not in RUN_KEYS}
    card.update(soup_of=[{"path": str(p), "sha256": file_sha256(p), "seed": c.get("seed"), "command": c.get("command"),
                          "final_loss": (c.get("training") or {}).get("final_loss")} for p, (_, c) in zip(paths, loaded)],
                command=command or "mgs train soup", date=time.strftime("%Y-%m-%d"), code_version=code_version(),
                user=os_user())
    if note:
        card["trained_on"] = note
    return save_checkpoint(first, out, card), card
