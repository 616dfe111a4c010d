"""Training arrays built once from a labelled dataset (items with ``image``, ``mask``, ``eye_x``, ``eye_y``,
``eye_visible``, ``score``, ``row``, as :class:`mgs_core.io.dataset.LabelledItem`), so no PNG is decoded twice.

Segmentation inputs are the 256-px crops downscaled to the U-Net's input size exactly as the runner does it
(cv2.INTER_AREA); label maps are downscaled by area-averaging the one-hot classes and taking the majority.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from mgs_core.errors import DatasetError

N_CLASSES = 4
WINDOW = 112  # side of the region kept around each eye for patch augmentation


@dataclass(frozen=True)
class SegArrays:
    images: np.ndarray  # (N, S, S, 3) uint8 RGB at the U-Net input size
    labels: np.ndarray  # (N, S, S) uint8 class indices


@dataclass(frozen=True)
class PatchSource:
    """Visible-eye items for the regressor: full crops, true eye centres (crop px), scores, dataset rows."""

    crops: np.ndarray  # (N, W, W, 3) uint8 windows around the eyes
    eye_x: np.ndarray  # eye centre in window pixels
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


def item_image(item) -> np.ndarray:
    """The item's crop as uint8 RGB: in-memory items hold arrays, dataset items (``LabelledItem``) hold paths."""
    if isinstance(item.image, np.ndarray):
        return item.image
    from mgs_core.io.dataset import read_rgb

    return read_rgb(Path(item.image), getattr(item, "row", None))


def item_mask(item) -> np.ndarray | None:
    if item.mask is None or isinstance(item.mask, np.ndarray):
        return item.mask
    from mgs_core.io.dataset import read_mask

    return read_mask(Path(item.mask), getattr(item, "row", None))


@dataclass(frozen=True)
class CropItem:
    """An in-memory labelled crop (same fields as ``mgs_core.io.dataset.LabelledItem``, arrays instead of paths)."""

    image: np.ndarray
    mask: np.ndarray | None
    eye_x: float | None
    eye_y: float | None
    eye_visible: bool
    score: float | None
    row: int


def load_items(items, with_masks: bool = True) -> list[CropItem]:
    """Decode every image (and mask) once."""
    return [CropItem(item_image(it), item_mask(it) if with_masks else None, it.eye_x, it.eye_y, bool(it.eye_visible),
                     it.score, _row(it, i)) for i, it in enumerate(items)]


def seg_arrays(items, size: int) -> SegArrays:
    """Images and label maps of all items at ``size`` x ``size``."""
    items = list(items)
    if not items:
        raise DatasetError("the dataset has no items to train on")
    images = np.empty((len(items), size, size, 3), np.uint8)
    labels = np.empty((len(items), size, size), np.uint8)
    for i, it in enumerate(items):
        if it.mask is None:
            raise DatasetError(f"labels.csv row {_row(it, i)} has no segmentation mask (training seg needs masks)")
        mask = np.asarray(item_mask(it))
        if mask.max() >= N_CLASSES:
            raise DatasetError(f"dataset row {_row(it, i)}: mask has class {int(mask.max())}, expected 0-{N_CLASSES - 1}")
        images[i] = resize_image(item_image(it), size)
        labels[i] = resize_labels(mask, size)
    return SegArrays(images, labels)


def patch_source(items, window: int = WINDOW) -> PatchSource:
    """The visible-eye items with a finite score (the only ones the regressor learns from).

    Only a ``window`` x ``window`` region around each eye is kept (cut like the inference patch, border-replicated),
    with the eye centre re-expressed in window pixels: enough for +-30 deg rotation plus 5 px shift of a 50 px patch.
    """
    from mgs_core.eyes import cut_patch, patch_origin

    keep = [it for it in items if bool(it.eye_visible) and it.score is not None and np.isfinite(float(it.score))]
    if not keep:
        raise DatasetError("the dataset has no items with a visible eye and a score")
    crops = np.empty((len(keep), window, window, 3), np.uint8)
    ex, ey = np.empty(len(keep)), np.empty(len(keep))
    for i, it in enumerate(keep):
        x, y = float(it.eye_x), float(it.eye_y)
        x0, y0 = patch_origin(x, y, window)
        crops[i] = cut_patch(item_image(it), x, y, window)
        ex[i], ey[i] = x - x0, y - y0
    return PatchSource(crops=crops, eye_x=ex, eye_y=ey, scores=np.array([float(it.score) for it in keep], np.float32),
                       rows=np.array([_row(it, i) for i, it in enumerate(keep)]))
