"""Orbital-tightening regressor training. The default is the paper's recipe, exactly:

rotation +-30 deg about the eye centre, 60 x 60 window at the eye, random 50 x 50 sub-window (shift up to 5 px),
items drawn with probability inversely proportional to their label's frequency (scores binned to 0-9),
SGD lr 0.001 momentum 0.9, batch 32, 35 epochs, MSE loss, on the Table 1 network (:class:`OrbitalNet`).

``recipe="improved"`` (ours, must win on the same cross-validation to be used): Adam with a one-cycle schedule,
60 epochs, photometric jitter (incl. greyscale, for infrared footage) and Gaussian shift jitter of 1.5 px on top of
the paper's shifts. Same network, same sampler.

``patch="scaled"`` trains on scale-normalised patches (a window of ``patch_k`` x the eye length resized to 50 x 50;
:mod:`mgs_core.patches`); the source must then be built with ``patch_source(..., mode="scaled", k=patch_k)``, and
the checkpoint records the mode so inference cuts the same patches. ``init`` ("default" = the shipped regressor, or a
checkpoint path) fine-tunes from that model (same patch mode) and the card names it as ``parent``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np

from mgs_core.train.augment import PatchAug, augment_patch
from mgs_core.train.data import PatchSource
from mgs_core.train.progress import EpochStats, EtaClock
from mgs_core.train.sampler import inverse_frequency_weights, sample_epoch

RECIPES = ("paper", "improved")


@dataclass(frozen=True)
class ScoreConfig:
    recipe: str = "paper"
    epochs: int = 35
    batch: int = 32
    lr: float = 1e-3
    momentum: float = 0.9
    optimizer: str = "sgd"  # "sgd" or "adam"
    schedule: str = "constant"  # "constant" or "onecycle"
    balanced: bool = True  # inverse-frequency sampling
    seed: int = 0
    threads: int = 2
    patch: str = "fixed"  # "fixed" (the paper) or "scaled"
    patch_k: float = 2.5
    width: int = 1  # OrbitalNet width multiplier (1 = Table 1)
    loss: str = "mse"  # "mse" (the paper) or "l1" (fits the conditional median, which minimises MAE)
    aug: PatchAug = field(default_factory=PatchAug)


def recipe_config(recipe: str = "paper", **overrides) -> ScoreConfig:
    """The named recipe's config with optional overrides (None values are ignored)."""
    if recipe not in RECIPES:
        raise ValueError(f"recipe must be one of {RECIPES}, got {recipe!r}")
    cfg = ScoreConfig()
    if recipe == "improved":
        cfg = ScoreConfig(recipe="improved", epochs=60, lr=3e-3, optimizer="adam", schedule="onecycle",
                          aug=PatchAug(jitter_sd=1.5, photometric=True))
    cfg = replace(cfg, **{k: v for k, v in overrides.items() if v is not None})
    if cfg.patch == "scaled" and cfg.aug.scale_sd == 0:  # imitate the error of the predicted eye length
        cfg = replace(cfg, aug=replace(cfg.aug, scale_sd=0.12))
    return cfg


def load_score_init(init: str | Path):
    """The parent regressor of a fine-tuning run: ``"default"`` (shipped) or a checkpoint path (kind checked)."""
    from mgs_core.models import default_weight_paths, load_checkpoint

    path = default_weight_paths()[1] if str(init) == "default" else Path(init)
    return load_checkpoint(path, kind="orbital")


@dataclass(frozen=True)
class ScoreTrainResult:
    path: Path | None
    history: tuple[EpochStats, ...]
    train_mean: float  # mean training score: the trivial baseline's prediction
    n_train: int


def predict_patches(model, patches: np.ndarray, batch: int = 512) -> np.ndarray:
    """Raw regressor outputs for (N, 50, 50, 3) uint8 patches."""
    import torch

    model.eval()
    out = np.empty(len(patches), np.float32)
    with torch.inference_mode():
        for i in range(0, len(patches), batch):
            x = torch.from_numpy(np.ascontiguousarray(patches[i : i + batch])).permute(0, 3, 1, 2).float() / 255.0
            out[i : i + batch] = model(x).numpy().reshape(-1)
    return out


def center_patches(source: PatchSource) -> np.ndarray:
    """The inference patch of every item: the 50 x 50 window at the eye centre of its (fixed or scale-normalised)
    window, as :func:`mgs_core.eyes.cut_patch` / :func:`mgs_core.patches.scaled_window` cut it."""
    from mgs_core.eyes import cut_patches

    return cut_patches(source.crops, list(zip(source.eye_x, source.eye_y)), 50)


def train_score(source: PatchSource, out: str | Path | None = None, config: ScoreConfig = ScoreConfig(),
                init_features: dict | None = None, card: dict | None = None,
                progress: Callable[[EpochStats], None] | None = None, max_steps: int | None = None,
                init: str | Path | None = None):
    """Train the Table 1 regressor on ``source``; returns ``(model, ScoreTrainResult)``.

    ``init_features``: a state dict of conv weights (``features.*``) to start from (CIFAR-10 pretraining).
    ``init``: a whole regressor to fine-tune ("default" or a checkpoint path); its patch mode must be ``config.patch``.
    """
    import torch
    import torch.nn.functional as F

    from mgs_core.models import OrbitalNet, save_checkpoint

    if len(source) < 2:
        raise ValueError("training the regressor needs at least 2 visible-eye items")
    if config.loss not in ("mse", "l1"):
        raise ValueError(f"loss must be 'mse' or 'l1', got {config.loss!r}")
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    parent = None
    if init is not None:
        from mgs_core.errors import CheckpointError
        from mgs_core.train.seg import parent_entry

        pmodel, pcard = load_score_init(init)
        if pmodel.patch != config.patch or (config.patch == "scaled" and abs(pmodel.patch_k - config.patch_k) > 1e-9):
            raise CheckpointError(f"{pcard.get('path')}: the parent regressor uses {pmodel.patch} patches"
                                  f"{' (k=%g)' % pmodel.patch_k if pmodel.patch == 'scaled' else ''}; "
                                  f"fine-tune it with the same patches")
        model = OrbitalNet(**{**pmodel.model_args, **({"flip_tta": True} if config.aug.flip else {})})
        model.load_state_dict(pmodel.state_dict())
        parent = parent_entry(pcard)
    else:
        model = OrbitalNet(patch=config.patch, patch_k=config.patch_k, flip_tta=config.aug.flip, width=config.width)
    if init_features:
        model.load_state_dict(init_features, strict=False)
    if config.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum)
    n = len(source)
    steps_per_epoch = max(1, int(np.ceil(n / config.batch)))
    sched = None
    if config.schedule == "onecycle":
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config.lr, total_steps=config.epochs * steps_per_epoch)
    weights = inverse_frequency_weights(source.scores) if config.balanced else np.full(n, 1.0 / n)
    clock, history, steps = EtaClock(config.epochs), [], 0
    for epoch in range(1, config.epochs + 1):
        model.train()
        order = sample_epoch(weights, steps_per_epoch * config.batch, rng)
        losses = []
        for b in range(steps_per_epoch):
            idx = order[b * config.batch : (b + 1) * config.batch]
            patches = np.stack([augment_patch(source.crops[i], source.eye_x[i], source.eye_y[i], rng, config.aug)
                                for i in idx])
            x = torch.from_numpy(patches).permute(0, 3, 1, 2).float() / 255.0
            y = torch.from_numpy(source.scores[idx])
            loss = F.l1_loss(model(x), y) if config.loss == "l1" else F.mse_loss(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            losses.append(loss.item())
            steps += 1
            if max_steps is not None and steps >= max_steps:
                break
        clock.end_epoch(epoch, losses, history, progress)
        if max_steps is not None and steps >= max_steps:
            break
    model.eval()
    train_mean = float(np.mean(source.scores))
    if out is not None:
        info = {"training": {"recipe": config.recipe, "config": asdict(config), "n_train": n,
                             "final_loss": history[-1].loss, "pretrained": bool(init_features)},
                "patch": {"mode": config.patch, "k": config.patch_k if config.patch == "scaled" else None},
                "train_score_mean": train_mean}
        if parent:
            info["parent"] = parent
        save_checkpoint(model, out, {**(card or {}), **info})
    return model, ScoreTrainResult(Path(out) if out else None, tuple(history), train_mean, n)
