"""Training the eye check (:class:`mgs_core.models.eyecheck.EyeCheckNet`) on the localiser's own mistakes.

Data (:func:`mine_check_source`): every labelled crop goes through the runner's localiser (keypoint U-Net + zoom pass,
:meth:`LocalRunner.locate`), and windows are cut exactly as the check's inference patch is (scale-normalised to the
*located* eye length, :func:`mgs_core.patches.scaled_window`), larger by a margin for augmentation:

- positives: the truth eye (visible) at its labelled length; the located eye when it lies within half an eye length
  of the truth (what the check sees at inference);
- negatives (hard): the located "eye" of a crop whose eye is hidden or that has no mouse; a located eye more than one
  eye length from the truth; and the heatmap's next-strongest local maxima away from the truth (nostrils, fur folds,
  droppings, reflections the renderer draws as distractors); random fur points near the located peak of a
  hidden-eye crop (the turned-away head).

Training (:func:`train_eyecheck`): binary cross-entropy on class-balanced batches, Adam with a one-cycle schedule,
rotation +-30 deg, shifts, scale jitter of the length estimate, photometric jitter, horizontal flips. The decision
threshold is then chosen on *validation* crops (:func:`choose_threshold`): the largest one that keeps at least
``keep`` of the validation eyes the localiser found correctly, and stored in the checkpoint.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from mgs_core.eyes import seg_to_crop
from mgs_core.patches import PATCH, scaled_window
from mgs_core.train.augment import PatchAug, augment_patch
from mgs_core.train.data import item_eye_length, item_image
from mgs_core.train.progress import EpochStats, EtaClock
from mgs_core.types import SCORED

CHECK_WINDOW = 80  # side of the normalised window kept per item: room for +-30 deg rotation of the 50-px patch
MATCH = 0.5  # a located eye within MATCH x the true eye length of the truth is the eye
FAR = 1.0  # a peak further than FAR x the true eye length from the truth is not the eye


@dataclass(frozen=True)
class CheckSource:
    """Windows for the eye check: (N, W, W, 3) uint8, the candidate at the centre, label 1 = eye, 0 = not an eye."""

    windows: np.ndarray
    labels: np.ndarray  # float32 0/1
    origin: np.ndarray  # str: truth | located_eye | located_false | hidden_peak | side_peak | fur

    def __len__(self) -> int:
        return len(self.labels)

    @classmethod
    def concat(cls, parts: list["CheckSource"]) -> "CheckSource":
        return cls(np.concatenate([p.windows for p in parts]), np.concatenate([p.labels for p in parts]),
                   np.concatenate([p.origin for p in parts]))

    def counts(self) -> dict[str, int]:
        names, n = np.unique(self.origin, return_counts=True)
        return {str(k): int(v) for k, v in zip(names, n)}


@dataclass(frozen=True)
class CheckConfig:
    epochs: int = 30
    batch: int = 64
    lr: float = 3e-3
    seed: int = 0
    threads: int = 2
    patch_k: float = 1.5
    widths: tuple[int, int] = (16, 32)
    side_peaks: int = 3  # secondary heatmap maxima per crop taken as negatives
    fur_points: int = 2  # random animal points near the located peak of a hidden-eye crop, as negatives
    aug: PatchAug = PatchAug(max_rotation=30.0, max_shift=3, jitter_sd=1.0, photometric=True, scale_sd=0.15)


def side_peaks(heat: np.ndarray, log2len: np.ndarray, n: int, crop_size: int = 256, min_prob: float = 0.02,
               away: list[tuple[float, float, float]] = ()) -> list[tuple[float, float, float]]:
    """Up to ``n`` strongest local maxima of a heatmap (crop px x, y, length) at least ``FAR`` eye lengths from each
    ``away`` point (x, y, length)."""
    s = heat.shape[0]
    peaks = (heat >= cv2.dilate(heat, np.ones((5, 5), np.uint8))) & (heat >= min_prob)
    ys, xs = np.nonzero(peaks)
    order = np.argsort(-heat[ys, xs])
    out = []
    for k in order:
        x, y = seg_to_crop(float(xs[k]), s, crop_size), seg_to_crop(float(ys[k]), s, crop_size)
        length = float(np.clip(2.0 ** float(log2len[ys[k], xs[k]]), 2.0, crop_size))
        if any(np.hypot(x - ax, y - ay) <= FAR * max(al, length) for ax, ay, al in away):
            continue
        out.append((x, y, length))
        away = [*away, (x, y, length)]
        if len(out) >= n:
            break
    return out


def fur_points(labels: np.ndarray, x: float, y: float, length: float, n: int, crop_size: int,
               rng: np.random.Generator) -> list[tuple[float, float]]:
    """Up to ``n`` random animal-class points (crop px) within 4 eye lengths of (x, y) and at least one away."""
    from mgs_core.models.unet import CLASSES

    s = labels.shape[0]
    ys, xs = np.nonzero(labels == CLASSES.index("animal"))
    if not len(xs) or n < 1:
        return []
    cx, cy = (xs + 0.5) * crop_size / s - 0.5, (ys + 0.5) * crop_size / s - 0.5
    d = np.hypot(cx - x, cy - y)
    ok = np.flatnonzero((d >= length) & (d <= 4 * length))
    if not len(ok):
        return []
    pick = rng.choice(ok, min(n, len(ok)), replace=False)
    return [(float(cx[i]), float(cy[i])) for i in pick]


def _window(img: np.ndarray, x: float, y: float, length: float, k: float) -> np.ndarray:
    return scaled_window(img, x, y, length, k, out=CHECK_WINDOW)


def mine_check_source(items, runner, config: CheckConfig = CheckConfig(), batch: int = 64,
                      progress: Callable[[int, int], None] | None = None) -> CheckSource:
    """Candidates of ``items`` (labelled crops with eye_length) as the check sees them; see the module docstring."""
    windows, labels, origin = [], [], []
    rng = np.random.default_rng(config.seed)

    def add(img, x, y, length, label, why):
        windows.append(_window(img, x, y, length, config.patch_k))
        labels.append(label)
        origin.append(why)

    for start in range(0, len(items), batch):
        part = items[start : start + batch]
        crops = np.stack([item_image(it) for it in part])
        maps = runner.segment(crops)
        decisions = runner.locate(crops, maps)
        for it, img, d, lab, hm, ll in zip(part, crops, decisions, *maps):
            truth = None
            if bool(it.eye_visible) and it.eye_x is not None:
                length = item_eye_length(it)
                if length is not None:
                    truth = (float(it.eye_x), float(it.eye_y), length)
                    add(img, *truth, 1.0, "truth")
            p = d.peak
            if p is not None and (d.status == SCORED or truth is None):
                if truth is None:
                    add(img, p.x, p.y, p.length, 0.0, "hidden_peak" if d.status != SCORED else "located_false")
                else:
                    dist = float(np.hypot(p.x - truth[0], p.y - truth[1]))
                    if dist <= MATCH * truth[2]:
                        add(img, p.x, p.y, p.length, 1.0, "located_eye")
                    elif dist > FAR * truth[2]:
                        add(img, p.x, p.y, p.length, 0.0, "located_false")
            away = [truth] if truth is not None else []
            if p is not None:
                away.append((p.x, p.y, p.length))
            for x, y, length in side_peaks(hm, ll, config.side_peaks, img.shape[0], away=away):
                add(img, x, y, length, 0.0, "side_peak")
            if truth is None and p is not None:  # fur of a turned-away head: points on the animal near the peak
                for x, y in fur_points(lab, p.x, p.y, p.length, config.fur_points, img.shape[0], rng):
                    add(img, x, y, p.length, 0.0, "fur")
        if progress:
            progress(min(start + batch, len(items)), len(items))
    if not labels or min(labels) == max(labels):
        raise ValueError("the eye check needs both eyes and non-eyes among the candidates (too few crops?)")
    return CheckSource(np.stack(windows), np.array(labels, np.float32), np.array(origin))


def check_patch(window: np.ndarray, rng: np.random.Generator, aug: PatchAug) -> np.ndarray:
    """One augmented 50 x 50 training patch from a centred window (rotation, shift, scale, photometry, flip)."""
    c = float(window.shape[0] // 2)
    patch = augment_patch(window, c, c, rng, aug)
    return np.ascontiguousarray(patch[:, ::-1]) if rng.random() < 0.5 else patch


def centre_patches(source: CheckSource) -> np.ndarray:
    """The inference patch of every window (its centre 50 x 50)."""
    o = CHECK_WINDOW // 2 - PATCH // 2
    return np.ascontiguousarray(source.windows[:, o : o + PATCH, o : o + PATCH])


def predict_check(model, patches: np.ndarray, batch: int = 1024) -> np.ndarray:
    """Probabilities (N,) for uint8 patches."""
    import torch

    model.eval()
    out = np.empty(len(patches), np.float32)
    with torch.inference_mode():
        for i in range(0, len(patches), batch):
            x = torch.from_numpy(np.ascontiguousarray(patches[i : i + batch])).permute(0, 3, 1, 2).float() / 255.0
            out[i : i + batch] = torch.sigmoid(model(x)).numpy()
    return out


def train_eyecheck(source: CheckSource, config: CheckConfig = CheckConfig(),
                   progress: Callable[[EpochStats], None] | None = None, max_steps: int | None = None):
    """Train an :class:`EyeCheckNet` on ``source`` with class-balanced batches; returns ``(model, history)``."""
    import torch
    import torch.nn.functional as F

    from mgs_core.models import EyeCheckNet

    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    model = EyeCheckNet(widths=config.widths, patch_k=config.patch_k)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=1e-5)
    pos, neg = np.flatnonzero(source.labels > 0.5), np.flatnonzero(source.labels <= 0.5)
    steps_per_epoch = max(1, int(np.ceil(len(source) / config.batch)))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config.lr, total_steps=config.epochs * steps_per_epoch)
    clock, history, steps = EtaClock(config.epochs), [], 0
    for epoch in range(1, config.epochs + 1):
        model.train()
        losses = []
        for _ in range(steps_per_epoch):
            half = config.batch // 2
            idx = np.concatenate([rng.choice(pos, half), rng.choice(neg, config.batch - half)])
            x = np.stack([check_patch(source.windows[i], rng, config.aug) for i in idx])
            xt = torch.from_numpy(x).permute(0, 3, 1, 2).float() / 255.0
            loss = F.binary_cross_entropy_with_logits(model(xt), torch.from_numpy(source.labels[idx]))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
            steps += 1
            if max_steps is not None and steps >= max_steps:
                break
        clock.end_epoch(epoch, losses, history, progress)
        if max_steps is not None and steps >= max_steps:
            break
    return model.eval(), tuple(history)


@dataclass(frozen=True)
class ThresholdChoice:
    threshold: float
    keep_eyes: float  # share of correctly located validation eyes the check keeps
    reject_false: float  # share of the localiser's false eyes (hidden / no mouse / far) it rejects
    n_eyes: int
    n_false: int


def choose_threshold(model, val: CheckSource, keep: float = 0.995) -> ThresholdChoice:
    """The largest threshold that keeps at least ``keep`` of the validation's correctly located eyes."""
    located = np.isin(val.origin, ["located_eye", "located_false"])
    probs = predict_check(model, centre_patches(val))
    eyes = probs[located & (val.labels > 0.5)]
    false = probs[located & (val.labels <= 0.5)]
    if len(eyes) == 0:
        raise ValueError("the validation set has no correctly located eyes to choose a threshold on")
    t = float(np.quantile(eyes, 1.0 - keep, method="lower")) if len(eyes) > 1 else 0.5
    t = float(np.clip(t, 0.01, 0.9))
    return ThresholdChoice(round(t, 4), float((eyes >= t).mean()), float((false < t).mean()) if len(false) else 1.0,
                           int(len(eyes)), int(len(false)))


def save_eyecheck(model, path: str | Path, threshold: ThresholdChoice, config: CheckConfig, train: CheckSource,
                  history, card: dict | None = None) -> Path:
    """Save with the chosen threshold in the model arguments (the checkpoint rebuilds itself with it)."""
    from mgs_core.models import EyeCheckNet, save_checkpoint

    final = EyeCheckNet(**{**model.model_args, "threshold": threshold.threshold})
    final.load_state_dict(model.state_dict())
    info = {"training": {"config": asdict(config),
                         "n_train": len(train), "candidates": train.counts(), "final_loss": history[-1].loss},
            "threshold": asdict(threshold)}
    return save_checkpoint(final.eval(), path, {**(card or {}), **info})
