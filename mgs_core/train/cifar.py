"""CIFAR-10 pretraining of the Table 1 network (the paper's transfer learning), from a local folder only.

Reads the standard python version (``cifar-10-batches-py``: pickled dicts ``data_batch_1``..``5`` and
``test_batch`` with ``b'data'`` (N x 3072 uint8, channel-planar 32 x 32) and ``b'labels'``). Nothing is downloaded.
Images are resized 32 -> 50 px; the net gets a 10-way head (``OrbitalNet(head_classes=10)``) and cross-entropy;
afterwards the convolutional weights (``features.*``) are transferred to the regression net.
"""
from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from mgs_core.errors import DatasetError
from mgs_core.train.progress import EpochStats, EtaClock

TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))


@dataclass(frozen=True)
class CifarData:
    images: np.ndarray  # (N, 50, 50, 3) uint8 RGB
    labels: np.ndarray  # (N,) int64 0-9


def _read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with open(path, "rb") as f:
            d = pickle.load(f, encoding="bytes")
        data = np.asarray(d[b"data"], dtype=np.uint8)
        labels = np.asarray(d[b"labels"], dtype=np.int64)
    except (OSError, pickle.UnpicklingError, KeyError, TypeError, EOFError, ValueError) as exc:
        raise DatasetError(f"{path} is not a CIFAR-10 python batch file ({type(exc).__name__}: {exc})") from None
    if data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
        raise DatasetError(f"{path}: expected b'data' of shape (N, 3072) and N labels, got {data.shape}, {len(labels)}")
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels


def load_cifar10(folder: str | Path, split: str = "train", limit: int | None = None, size: int = 50) -> CifarData:
    """Images of the ``train`` (data_batch_*) or ``test`` (test_batch) split that exist in ``folder``, resized."""
    folder = Path(folder)
    names = TRAIN_FILES if split == "train" else ("test_batch",)
    files = [folder / n for n in names if (folder / n).is_file()]
    if not files:
        raise DatasetError(f"{folder} holds none of {', '.join(names)} (expected a local cifar-10-batches-py folder)")
    parts = [_read_batch(p) for p in files]
    imgs = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    if limit is not None:
        imgs, labels = imgs[:limit], labels[:limit]
    out = np.stack([cv2.resize(im, (size, size), interpolation=cv2.INTER_LINEAR) for im in imgs]) if len(imgs) else \
        np.zeros((0, size, size, 3), np.uint8)
    return CifarData(out, labels)


def pretrain_cifar10(folder: str | Path, epochs: int = 5, batch: int = 64, lr: float = 1e-3, seed: int = 0,
                     limit: int | None = None, threads: int = 2,
                     progress: Callable[[EpochStats], None] | None = None):
    """Train ``OrbitalNet(head_classes=10)`` on CIFAR-10 with cross-entropy (SGD, momentum 0.9, random flips).
    Returns ``(model, history)``."""
    import torch
    import torch.nn.functional as F

    from mgs_core.models import OrbitalNet

    data = load_cifar10(folder, "train", limit)
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = OrbitalNet(head_classes=10)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    x_all = torch.from_numpy(data.images).permute(0, 3, 1, 2).float() / 255.0
    y_all = torch.from_numpy(data.labels)
    clock, history = EtaClock(epochs), []
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.from_numpy(rng.permutation(len(y_all)))
        losses = []
        for i in range(0, len(order), batch):
            idx = order[i : i + batch]
            if len(idx) < 2:  # BatchNorm needs 2 samples
                continue
            x = x_all[idx]
            flip = torch.from_numpy(rng.random(len(idx)) < 0.5)
            x[flip] = x[flip].flip(-1)
            loss = F.cross_entropy(model(x), y_all[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        clock.end_epoch(epoch, losses, history, progress)
    return model.eval(), tuple(history)


def conv_weights(model) -> dict:
    """The convolutional (``features.*``) weights of a Table 1 net, to start a regression net from."""
    return {k: v.detach().clone() for k, v in model.state_dict().items() if k.startswith("features.")}
