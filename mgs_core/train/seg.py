"""U-Net training: segmentation + eye keypoint, Adam with warm-up + cosine decay, resumable, fine-tunable.

Losses: weighted cross-entropy + soft Dice on the items that have a mask; on every item the keypoint head's
CenterNet penalty-reduced focal loss on the eye-centre heatmap (a Gaussian at the labelled eye point, zero where no
eye is visible; :mod:`mgs_core.eye_heatmap`) and an L1 loss on log2 eye length around the centre where the length is
known. So a lab's clicks-only labels (eye points, no masks) train the localiser; masks stay optional.

Inputs are cached once at the U-Net's input size (see :mod:`mgs_core.train.data`); every epoch sees freshly
augmented copies (:func:`mgs_core.train.augment.augment_seg_matrix`; eye points follow the warp). After each epoch the
model is saved to ``out`` (a normal checkpoint) and the optimiser state to ``<out>.state.pt``, so ``resume=True``
continues an interrupted run. ``init`` ("default" = the shipped U-Net, or a checkpoint path) fine-tunes from that
model (its widths and input size are kept) and the new card names it as ``parent``.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np

from mgs_core.errors import DatasetError
from mgs_core.eye_heatmap import heatmap_target
from mgs_core.train.augment import SegAug, augment_seg_matrix, move_point
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
    keypoint: bool = True
    heat_weight: float = 1.0
    size_weight: float = 0.5
    vis_weight: float = 1.0  # image-level BCE on the heatmap's peak logit: the visibility decision, trained as one
    hidden_weight: float = 1.0  # sampling weight of items without a visible eye (>1 oversamples them)
    aug: SegAug = field(default_factory=SegAug)


MIN_FINETUNE_ITEMS = 8


@dataclass(frozen=True)
class SegTrainResult:
    path: Path | None
    epochs: int
    history: tuple[EpochStats, ...]
    val_iou: tuple[float, ...] | None  # per class after the last epoch (None without validation data or masks)
    val_found: float | None = None  # keypoint: share of visible val eyes found within half an eye length
    val_error_px: float | None = None  # keypoint: median eye-centre error of those, crop pixels


def heatmap_loss(logit, target):
    """CenterNet's penalty-reduced focal loss (alpha 2, beta 4), normalised by the number of eye centres."""
    import torch
    import torch.nn.functional as F

    p = torch.sigmoid(logit).clamp(1e-4, 1 - 1e-4)
    pos = (target >= 0.999).to(logit.dtype)
    neg_w = (1 - target).pow(4) * (1 - pos)
    log_p = F.logsigmoid(logit)
    log_1mp = F.logsigmoid(-logit)
    loss = -(pos * (1 - p).pow(2) * log_p).sum() - (neg_w * p.pow(2) * log_1mp).sum()
    return loss / pos.sum().clamp_min(1.0)


def size_loss(log2_pred, target_log2, weight):
    """L1 on log2 eye length, weighted (around the eye centre, where the length is known)."""
    w = weight.sum()
    if float(w) <= 0:
        return log2_pred.sum() * 0.0
    return ((log2_pred - target_log2).abs() * weight).sum() / w


def load_init(init: str | Path) -> tuple[object, dict]:
    """The parent U-Net of a fine-tuning run: ``"default"`` (shipped) or a checkpoint path (kind checked)."""
    from mgs_core.models import default_weight_paths, load_checkpoint

    path = default_weight_paths()[0] if str(init) == "default" else Path(init)
    model, card = load_checkpoint(path, kind="unet")
    return model, card


def parent_entry(card: dict) -> dict:
    return {k: card.get(k) for k in ("name", "path", "sha256", "trained_on", "data", "note") if card.get(k) is not None}


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
            out[i : i + batch] = model(x)[:, :N_CLASSES].argmax(1).to(torch.uint8).numpy()
    return out


def _state_path(out: Path) -> Path:
    return out.with_name(out.name + ".state.pt")


def _targets(train: SegArrays, idx, rng, config: SegConfig, crop_size: int = 256):
    """Augmented images, labels, heatmaps, log2-length maps and their weights for one batch."""
    s = config.input_size
    imgs, labs, heats, sizes, sw = [], [], [], [], []
    for i in idx:
        img, lab, (m, scale, (x0, y0, x1, y1)) = augment_seg_matrix(train.images[i], train.labels[i], rng, config.aug)
        imgs.append(img)
        labs.append(lab)
        px, py = train.points[i]
        x, y = move_point(m, float(px), float(py)) if np.isfinite(px) else (np.nan, np.nan)
        boxed = (x0, y0, x1, y1) != (0, 0, lab.shape[1], lab.shape[0])
        if boxed and np.isfinite(px) and not (x0 - 0.5 <= x < x1 - 0.5 and y0 - 0.5 <= y < y1 - 0.5):
            px = np.nan  # letterboxed: the eye was cut off with the scene (augment.letterbox)
        if np.isfinite(px):
            length = float(train.lengths[i]) * scale if np.isfinite(train.lengths[i]) else None
            heat = heatmap_target(s, x, y, length)
        else:
            heat, length = np.zeros((s, s), np.float32), None
        heats.append(heat)
        if length is not None:
            sizes.append(np.full((s, s), np.log2(length * crop_size / s), np.float32))
            sw.append((heat > 0.5).astype(np.float32))
        else:
            sizes.append(np.zeros((s, s), np.float32))
            sw.append(np.zeros((s, s), np.float32))
    return (np.stack(imgs), np.stack(labs).astype(np.int64), np.stack(heats), np.stack(sizes), np.stack(sw))


def seg_batch_loss(model, x, y, has_mask, heat, size_t, size_w, cw, dw, config: SegConfig):
    out = model(x)
    c = N_CLASSES
    loss = out.sum() * 0.0
    if bool(has_mask.any()):
        loss = loss + seg_loss(out[has_mask, :c], y[has_mask], cw, dw)
    if config.keypoint:
        loss = loss + config.heat_weight * heatmap_loss(out[:, c], heat)
        loss = loss + config.size_weight * size_loss(out[:, c + 1], size_t, size_w)
        if config.vis_weight > 0:
            loss = loss + config.vis_weight * visibility_loss(out[:, c], heat)
    return loss


def visibility_loss(logit, heat_target):
    """BCE of each image's peak heatmap logit against "an eye centre is in this image" (the target's peak is 1).

    The peak's probability is what decides "eye visible" at inference; the focal loss alone barely penalises a
    middling peak on a hidden eye, so the decision is trained as a classifier of its own."""
    import torch.nn.functional as F

    peak = logit.flatten(1).max(dim=1).values
    target = (heat_target.flatten(1).max(dim=1).values >= 0.999).to(logit.dtype)
    return F.binary_cross_entropy_with_logits(peak, target)


def validate_keypoint(model, val: SegArrays, crop_size: int = 256) -> tuple[float | None, float | None]:
    """(share of visible eyes found within half an eye length, median error in crop px) on validation arrays."""
    from mgs_core.eye_heatmap import decode_peak
    from mgs_core.localise import KeypointRules

    min_conf = KeypointRules().min_confidence  # the same visibility threshold inference uses

    vis = np.isfinite(val.points[:, 0])
    if not vis.any():
        return None, None
    _, heat, log2len = predict_maps(model, val.images[vis])
    scale = crop_size / val.images.shape[1]
    found, errs = [], []
    for k, i in enumerate(np.nonzero(vis)[0]):
        p = decode_peak(heat[k], log2len[k], crop_size)
        tx, ty = ((val.points[i] + 0.5) * scale - 0.5)
        length = float(val.lengths[i]) * scale if np.isfinite(val.lengths[i]) else 16.0
        e = float(np.hypot(p.x - tx, p.y - ty))
        ok = e <= 0.5 * length and p.confidence >= min_conf
        found.append(ok)
        if ok:
            errs.append(e)
    return float(np.mean(found)), (float(np.median(errs)) if errs else None)


def predict_maps(model, images: np.ndarray, batch: int = 32):
    """(labels uint8, heat probability float32, log2 length float32) maps of uint8 RGB images at input size."""
    import torch

    model.eval()
    n, s = len(images), images.shape[1]
    labels = np.empty((n, s, s), np.uint8)
    heat = np.zeros((n, s, s), np.float32)
    size = np.zeros((n, s, s), np.float32)
    c = N_CLASSES
    with torch.inference_mode():
        for i in range(0, n, batch):
            x = torch.from_numpy(np.ascontiguousarray(images[i : i + batch])).permute(0, 3, 1, 2).float() / 255.0
            out = model(x.contiguous(memory_format=torch.channels_last))
            labels[i : i + batch] = out[:, :c].argmax(1).to(torch.uint8).numpy()
            if out.shape[1] > c:
                heat[i : i + batch] = torch.sigmoid(out[:, c]).numpy()
                size[i : i + batch] = out[:, c + 1].numpy()
    return labels, heat, size


def epoch_order(train: SegArrays, rng, hidden_weight: float = 1.0) -> np.ndarray:
    """One epoch's item order: a permutation, or with ``hidden_weight`` != 1 a weighted draw (with replacement) in
    which items without a visible eye are ``hidden_weight`` times as likely."""
    n = len(train.images)
    if hidden_weight == 1.0:
        return rng.permutation(n)
    w = np.where(np.isfinite(train.points[:, 0]), 1.0, float(hidden_weight))
    return rng.choice(n, size=n, replace=True, p=w / w.sum())


def train_seg(train: SegArrays, val: SegArrays | None = None, out: str | Path | None = None,
              config: SegConfig = SegConfig(), resume: bool = False, card: dict | None = None,
              progress: Callable[[EpochStats], None] | None = None, max_steps: int | None = None,
              init: str | Path | None = None):
    """Train (or, with ``init``, fine-tune) a U-Net; returns ``(model, SegTrainResult)``. ``max_steps`` stops early."""
    import torch

    from mgs_core.evaluate import confusion_matrix, iou_per_class
    from mgs_core.models import UNet, save_checkpoint

    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    parent = None
    if init is not None:
        if len(train.images) < MIN_FINETUNE_ITEMS:
            raise DatasetError(f"fine-tuning needs at least {MIN_FINETUNE_ITEMS} labelled crops, got {len(train.images)}")
        pmodel, pcard = load_init(init)
        args = dict(pmodel.model_args)
        if args["input_size"] != config.input_size:  # fully convolutional: the same weights at another input size
            parent_size = args["input_size"]
            args["input_size"] = config.input_size
        else:
            parent_size = None
        args["keypoint"] = config.keypoint
        model = UNet(**args)
        missing, _ = model.load_state_dict(pmodel.state_dict(), strict=False)
        parent = {**parent_entry(pcard), "new_layers": sorted({k.split(".")[0] for k in missing})}
        if parent_size is not None:
            parent["input_size"] = parent_size
        config = replace(config, widths=tuple(args["widths"]))
    else:
        model = UNet(widths=tuple(config.widths), input_size=config.input_size, classes=N_CLASSES,
                     keypoint=config.keypoint)
    if not train.has_mask.any() and not config.keypoint:
        raise DatasetError("none of the training items has a mask, and without the keypoint head there is nothing "
                           "to learn from")
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
    val_iou, val_found, val_err, steps = None, None, None, 0
    epoch = start
    for epoch in range(start + 1, config.epochs + 1):
        model.train()
        order = epoch_order(train, rng, config.hidden_weight)
        losses = []
        for b in range(steps_per_epoch):
            idx = order[b * config.batch : (b + 1) * config.batch]
            imgs, labs, heat, size_t, size_w = _targets(train, idx, rng, config)
            x = torch.from_numpy(imgs).permute(0, 3, 1, 2).float() / 255.0
            x = x.contiguous(memory_format=torch.channels_last)
            loss = seg_batch_loss(model, x, torch.from_numpy(labs), torch.from_numpy(train.has_mask[idx]),
                                  torch.from_numpy(heat), torch.from_numpy(size_t), torch.from_numpy(size_w),
                                  cw, dw, config)
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
            if val.has_mask.any():
                pred = predict_labels(model, val.images[val.has_mask])
                val_iou = tuple(float(v) for v in iou_per_class(confusion_matrix(val.labels[val.has_mask], pred,
                                                                                   N_CLASSES)))
            if config.keypoint:
                val_found, val_err = validate_keypoint(model, val)
        label, value = "", float("nan")
        if val_found is not None:
            label, value = "val eyes found", val_found
        elif val_iou:
            label, value = "val eye IoU", val_iou[3]
        stats = clock.end_epoch(epoch, losses, history, progress, label, value)
        if out is not None:
            info = {"training": {"epochs_done": epoch, "config": asdict(config), "loss": stats.loss,
                                 "val_iou": list(val_iou) if val_iou else None, "val_eyes_found": val_found,
                                 "val_eye_error_px": val_err, "n_train": len(train.images),
                                 "n_with_masks": int(train.has_mask.sum()),
                                 "saved": time.strftime("%Y-%m-%d %H:%M:%S")}}
            if parent:
                info["parent"] = parent
            save_checkpoint(model, out, {**(card or {}), **info})
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "rng": rng.bit_generator.state,
                        "torch_rng": torch.get_rng_state(), "epoch": epoch, "history": history}, _state_path(out))
        if max_steps is not None and steps >= max_steps:
            break
    model.eval()
    return model, SegTrainResult(out, epoch, tuple(history), val_iou, val_found, val_err)
