"""Training arrays built once from a labelled dataset (items with ``image``, ``mask``, ``eye_x``, ``eye_y``,
``eye_visible``, ``score``, ``row``, as :class:`mgs_core.io.dataset.LabelledItem`), so no PNG is decoded twice.

Segmentation inputs are the 256-px crops downscaled to the U-Net's input size exactly as the runner does it
(cv2.INTER_AREA); label maps are downscaled by area-averaging the one-hot classes and taking the majority.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from mgs_core.errors import DatasetError

N_CLASSES = 4
WINDOW = 112  # side of the region kept around each eye for patch augmentation


@dataclass(frozen=True)
class SegArrays:
    images: np.ndarray  # (N, S, S, 3) uint8 RGB at the U-Net input size
    labels: np.ndarray  # (N, S, S) uint8 class indices (all 0 where has_mask is False)
    points: np.ndarray | None = None  # (N, 2) float32 eye centre in map pixels, NaN where no eye is visible
    lengths: np.ndarray | None = None  # (N,) float32 eye length in map pixels, NaN where unknown
    has_mask: np.ndarray | None = None  # (N,) bool: the item has a segmentation mask

    def __post_init__(self):
        n = len(self.images)
        if self.points is None:
            object.__setattr__(self, "points", np.full((n, 2), np.nan, np.float32))
        if self.lengths is None:
            object.__setattr__(self, "lengths", np.full(n, np.nan, np.float32))
        if self.has_mask is None:
            object.__setattr__(self, "has_mask", np.ones(n, bool))


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
    extra: dict = field(default_factory=dict)


def load_items(items, with_masks: bool = True) -> list[CropItem]:
    """Decode every image (and mask) once."""
    return [CropItem(item_image(it), item_mask(it) if with_masks else None, it.eye_x, it.eye_y, bool(it.eye_visible),
                     it.score, _row(it, i), dict(getattr(it, "extra", None) or {})) for i, it in enumerate(items)]


def item_eye_length(item) -> float | None:
    """The labelled eye length (crop px) of an item, from its ``eye_length`` column when the dataset has one."""
    v = getattr(item, "eye_length", None)
    if v is None:
        v = (getattr(item, "extra", None) or {}).get("eye_length")
    try:
        v = float(v) if v not in (None, "") else None
    except (TypeError, ValueError):
        return None
    return v if v is not None and np.isfinite(v) and v > 0 else None


def crop_to_map(u: float, crop: int, size: int) -> float:
    """Crop pixel coordinate -> map pixel coordinate (pixel centres at integers)."""
    return (u + 0.5) * size / crop - 0.5


def seg_arrays(items, size: int, require_masks: bool = False, source: str = "labels.csv") -> SegArrays:
    """Images, label maps and eye keypoints of all items at ``size`` x ``size``.

    Masks are optional (a lab's clicks-only labels): such items train only the keypoint head. An item whose visible
    eye has no point, or a point outside its image, is refused naming ``source`` and the row.
    """
    items = list(items)
    if not items:
        raise DatasetError(f"{source}: the dataset has no items to train on")
    n = len(items)
    images = np.empty((n, size, size, 3), np.uint8)
    labels = np.zeros((n, size, size), np.uint8)
    points = np.full((n, 2), np.nan, np.float32)
    lengths = np.full(n, np.nan, np.float32)
    has_mask = np.zeros(n, bool)
    for i, it in enumerate(items):
        img = item_image(it)
        h, w = img.shape[:2]
        if it.mask is not None:
            mask = np.asarray(item_mask(it))
            if mask.max() >= N_CLASSES:
                raise DatasetError(f"{source} row {_row(it, i)}: mask has class {int(mask.max())}, "
                                   f"expected 0-{N_CLASSES - 1}")
            labels[i] = resize_labels(mask, size)
            has_mask[i] = True
        elif require_masks:
            raise DatasetError(f"{source} row {_row(it, i)} has no segmentation mask (this training needs masks)")
        images[i] = resize_image(img, size)
        if bool(it.eye_visible):
            if it.eye_x is None or it.eye_y is None:
                raise DatasetError(f"{source} row {_row(it, i)}: eye_visible is 1 but eye_x/eye_y are empty")
            x, y = float(it.eye_x), float(it.eye_y)
            if not (np.isfinite(x) and np.isfinite(y) and -0.5 <= x <= w - 0.5 and -0.5 <= y <= h - 0.5):
                raise DatasetError(f"{source} row {_row(it, i)}: eye point ({x:g}, {y:g}) lies outside the "
                                   f"{w} x {h} image")
            points[i] = (crop_to_map(x, w, size), crop_to_map(y, h, size))
            length = item_eye_length(it)
            if length is not None:
                lengths[i] = length * size / w
    return SegArrays(images, labels, points, lengths, has_mask)


def patch_source(items, window: int = WINDOW, mode: str = "fixed", k: float = 2.5,
                 source: str = "labels.csv") -> PatchSource:
    """The visible-eye items with a finite score (the only ones the regressor learns from).

    Only a ``window`` x ``window`` region around each eye is kept, with the eye centre in window pixels: enough for
    +-30 deg rotation plus 5 px shift of a 50 px patch. ``mode="fixed"``: cut from the crop like the paper's
    inference patch (border-replicated). ``mode="scaled"``: cut by :func:`mgs_core.patches.scaled_window` in the
    scale where the eye is ``50 / k`` px long (needs every item's ``eye_length``), so the paper's augmentation then
    works unchanged on scale-normalised patches.
    """
    from mgs_core.eyes import cut_patch, patch_origin
    from mgs_core.patches import PATCH_MODES, scaled_window

    if mode not in PATCH_MODES:
        raise ValueError(f"patch mode must be one of {PATCH_MODES}, got {mode!r}")
    keep = [it for it in items if bool(it.eye_visible) and it.score is not None and np.isfinite(float(it.score))]
    if not keep:
        raise DatasetError(f"{source}: the dataset has no items with a visible eye and a score")
    crops = np.empty((len(keep), window, window, 3), np.uint8)
    ex, ey = np.empty(len(keep)), np.empty(len(keep))
    for i, it in enumerate(keep):
        x, y = float(it.eye_x), float(it.eye_y)
        if mode == "scaled":
            length = item_eye_length(it)
            if length is None:
                raise DatasetError(f"{source} row {_row(it, i)}: scale-normalised patches need the eye length "
                                   "(an eye_length column); use fixed patches or let `mgs train score` estimate "
                                   "lengths with a keypoint U-Net (--lengths-from)")
            crops[i] = scaled_window(item_image(it), x, y, length, k, out=window)
            ex[i] = ey[i] = window // 2
            continue
        x0, y0 = patch_origin(x, y, window)
        crops[i] = cut_patch(item_image(it), x, y, window)
        ex[i], ey[i] = x - x0, y - y0
    return PatchSource(crops=crops, eye_x=ex, eye_y=ey, scores=np.array([float(it.score) for it in keep], np.float32),
                       rows=np.array([_row(it, i) for i, it in enumerate(keep)]))
