"""Training arrays built once from a labelled dataset (items with ``image``, ``mask``, ``eye_x``, ``eye_y``,
``eye_visible``, ``score``, ``row``, as :class:`mgs_core.io.dataset.LabelledItem`), so no PNG is decoded twice.

Segmentation inputs are the 256-px crops downscaled to the U-Net's input size exactly as the runner does it
(cv2.INTER_AREA); label maps are downscaled by area-averaging the one-hot classes and taking the majority.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mgs_core.errors import DatasetError

N_CLASSES = 4


@dataclass(frozen=True)
class SegArrays:
    images: np.ndarray  # (N, S, S, 3) uint8 RGB at the U-Net input size
    labels: np.ndarray  # (N, S, S) uint8 class indices


@dataclass(frozen=True)
class PatchSource:
    """Visible-eye items for the regressor: full crops, true eye centres (crop px), scores, dataset rows."""

    crops: np.ndarray  # (N, 256, 256, 3) uint8
    eye_x: np.ndarray
    eye_y: np.ndarray
    scores: np.ndarray
    rows: np.ndarray

    def __len__(self) -> int:
        return len(self.scores)

    def subset(self, idx) -> "PatchSource":
        idx = np.asarray(idx)
        return PatchSource(self.crops[idx], self.eye_x[idx], self.eye_y[idx], self.scores[idx], self.rows[idx])


def resize_image(img: np.ndarray, size: int) -> np.ndarray:
    if img.shape[0] == size and img.shape[1] == size:
        return img
    return cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)


def resize_labels(mask: np.ndarray, size: int, classes: int = N_CLASSES) -> np.ndarray:
    """Majority class per output pixel (area-weighted), so small eyes are not shifted by nearest-neighbour picks."""
    if mask.shape[0] == size and mask.shape[1] == size:
        return mask.astype(np.uint8)
    onehot = (mask[..., None] == np.arange(classes, dtype=mask.dtype)).astype(np.float32)
    small = cv2.resize(onehot, (size, size), interpolation=cv2.INTER_AREA)
    return np.argmax(small, axis=-1).astype(np.uint8)


def _row(item, i: int) -> int:
    return int(getattr(item, "row", i))


def seg_arrays(items, size: int) -> SegArrays:
    """Images and label maps of all items at ``size`` x ``size``."""
    items = list(items)
    if not items:
        raise DatasetError("the dataset has no items to train on")
    images = np.empty((len(items), size, size, 3), np.uint8)
    labels = np.empty((len(items), size, size), np.uint8)
    for i, it in enumerate(items):
        if it.mask is None:
            raise DatasetError(f"dataset row {_row(it, i)} has no segmentation mask")
        mask = np.asarray(it.mask)
        if mask.max() >= N_CLASSES:
            raise DatasetError(f"dataset row {_row(it, i)}: mask has class {int(mask.max())}, expected 0-{N_CLASSES - 1}")
        images[i] = resize_image(np.asarray(it.image), size)
        labels[i] = resize_labels(mask, size)
    return SegArrays(images, labels)


def patch_source(items) -> PatchSource:
    """The visible-eye items with a finite score (the only ones the regressor learns from)."""
    keep = [it for it in items if bool(it.eye_visible) and it.score is not None and np.isfinite(float(it.score))]
    if not keep:
        raise DatasetError("the dataset has no items with a visible eye and a score")
    return PatchSource(
        crops=np.stack([np.asarray(it.image) for it in keep]),
        eye_x=np.array([float(it.eye_x) for it in keep]),
        eye_y=np.array([float(it.eye_y) for it in keep]),
        scores=np.array([float(it.score) for it in keep], np.float32),
        rows=np.array([_row(it, i) for i, it in enumerate(keep)]),
    )
