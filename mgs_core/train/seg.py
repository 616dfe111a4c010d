"""Segmentation training: U-Net, Adam with warm-up + cosine decay, weighted cross-entropy + soft Dice, resumable.

Inputs are cached once at the U-Net's input size (see :mod:`mgs_core.train.data`); every epoch sees freshly
augmented copies (:func:`mgs_core.train.augment.augment_seg`). After each epoch the model is saved to ``out``
(a normal checkpoint) and the optimiser state to ``<out>.state.pt``, so ``resume=True`` continues an interrupted run.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from mgs_core.train.augment import SegAug, augment_seg
from mgs_core.train.data import N_CLASSES, SegArrays
from mgs_core.train.progress import EpochStats, EtaClock


@dataclass(frozen=True)
class SegConfig:
    widths: tuple[int, ...] = (8, 16, 32, 64)
    input_size: int = 96
    epochs: int = 10
    batch: int = 16
    lr: float = 3e-3
    weight_decay: float = 1e-5
    seed: int = 0
    class_weights: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0)  # background, animal, ears, eyes
    dice_weights: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0)
    threads: int = 2
    aug: SegAug = field(default_factory=SegAug)


@dataclass(frozen=True)
class SegTrainResult:
    path: Path | None
    epochs: int
    history: tuple[EpochStats, ...]
    val_iou: tuple[float, ...] | None  # per class after the last epoch (None without validation data)


def seg_loss(logits, target, class_weights, dice_weights):
    """Weighted cross-entropy plus weighted soft Dice (1 - Dice per class, summed with ``dice_weights``)."""
    import torch
    import torch.nn.functional as F

    ce = F.cross_entropy(logits, target, weight=class_weights)
    prob = torch.softmax(logits, dim=1)
    onehot = F.one_hot(target, logits.shape[1]).permute(0, 3, 1, 2).to(prob.dtype)
    inter = (prob * onehot).sum(dim=(0, 2, 3))
    denom = prob.sum(dim=(0, 2, 3)) + onehot.sum(dim=(0, 2, 3))
    dice = (2 * inter + 1.0) / (denom + 1.0)
    return ce + ((1 - dice) * dice_weights).sum() / dice_weights.sum().clamp_min(1e-6)


def lr_at(step: int, total: int, peak: float, warmup: float = 0.05) -> float:
    """Linear warm-up over the first ``warmup`` fraction of the steps, then cosine decay to 0."""
    w = max(1, int(warmup * total))
    if step < w:
        return peak * (step + 1) / w
    t = min(1.0, (step - w) / max(1, total - w))
    return peak * 0.5 * (1.0 + np.cos(np.pi * t))


def predict_labels(model, images: np.ndarray, batch: int = 32) -> np.ndarray:
    """Argmax class map (N, S, S) uint8 of uint8 RGB images already at the model's input size."""
    import torch

    model.eval()
    out = np.empty(images.shape[:3], np.uint8)
    with torch.inference_mode():
        for i in range(0, len(images), batch):
            x = torch.from_numpy(np.ascontiguousarray(images[i : i + batch])).permute(0, 3, 1, 2).float() / 255.0
            x = x.contiguous(memory_format=torch.channels_last)
            out[i : i + batch] = model(x).argmax(1).to(torch.uint8).numpy()
    return out


def _state_path(out: Path) -> Path:
    return out.with_name(out.name + ".state.pt")


def train_seg(train: SegArrays, val: SegArrays | None = None, out: str | Path | None = None,
              config: SegConfig = SegConfig(), resume: bool = False, card: dict | None = None,
              progress: Callable[[EpochStats], None] | None = None, max_steps: int | None = None):
    """Train a U-Net; returns ``(model, SegTrainResult)``. ``max_steps`` stops early (tests)."""
    import torch

    from mgs_core.evaluate import confusion_matrix, iou_per_class
    from mgs_core.models import UNet, save_checkpoint

    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    model = UNet(widths=tuple(config.widths), input_size=config.input_size, classes=N_CLASSES)
    model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    steps_per_epoch = max(1, len(train.images) // config.batch)
    total_steps = config.epochs * steps_per_epoch
    cw = torch.tensor(config.class_weights, dtype=torch.float32)
    dw = torch.tensor(config.dice_weights, dtype=torch.float32)
    out = Path(out) if out else None
    start, history = 0, []
    if resume and out is not None and _state_path(out).is_file():
        state = torch.load(_state_path(out), map_location="cpu", weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])
        start, history = state["epoch"], list(state["history"])
    clock = EtaClock(config.epochs, start_epoch=start)
    val_iou, steps = None, 0
    epoch = start
    for epoch in range(start + 1, config.epochs + 1):
        model.train()
        order = rng.permutation(len(train.images))
        losses = []
        for b in range(steps_per_epoch):
            idx = order[b * config.batch : (b + 1) * config.batch]
            pairs = [augment_seg(train.images[i], train.labels[i], rng, config.aug) for i in idx]
            x = torch.from_numpy(np.stack([p[0] for p in pairs])).permute(0, 3, 1, 2).float() / 255.0
            x = x.contiguous(memory_format=torch.channels_last)
            y = torch.from_numpy(np.stack([p[1] for p in pairs]).astype(np.int64))
            loss = seg_loss(model(x), y, cw, dw)
            for group in opt.param_groups:
                group["lr"] = lr_at((epoch - 1) * steps_per_epoch + b, total_steps, config.lr)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.item())
            steps += 1
            if max_steps is not None and steps >= max_steps:
                break
        if val is not None:
            pred = predict_labels(model, val.images)
            val_iou = tuple(float(v) for v in iou_per_class(confusion_matrix(val.labels, pred, N_CLASSES)))
        took, eta = clock.tick(epoch)
        stats = EpochStats(epoch, config.epochs, float(np.mean(losses)), "val eye IoU" if val is not None else "",
                           val_iou[3] if val_iou else float("nan"), took, eta)
        history.append(stats)
        if progress:
            progress(stats)
        if out is not None:
            info = {"training": {"epochs_done": epoch, "config": asdict(config), "loss": stats.loss,
                                 "val_iou": list(val_iou) if val_iou else None, "n_train": len(train.images),
                                 "saved": time.strftime("%Y-%m-%d %H:%M:%S")}}
            save_checkpoint(model, out, {**(card or {}), **info})
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state(), "epoch": epoch,
                        "history": history}, _state_path(out))
        if max_steps is not None and steps >= max_steps:
            break
    model.eval()
    return model, SegTrainResult(out, epoch, tuple(history), val_iou)
