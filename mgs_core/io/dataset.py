"""Labelled crop datasets: ``load_dataset`` / ``save_dataset`` (the format is documented in docs/dataset.md).

Layout of a dataset folder ``DIR``::

    DIR/labels.csv         image,mask,eye_x,eye_y,eye_visible,score[,extra columns...]
    DIR/images/00000.png   RGB crops (PNG or JPEG), normally 256 x 256 ROI crops made by geometry.crop_roi
    DIR/masks/00000.png    optional single-channel PNG label masks, pixel value = class (0-3)

Paths in labels.csv are relative to DIR. ``eye_x``/``eye_y`` are crop pixels (pixel centres at integers);
``eye_visible`` is 1/0; ``eye_x``, ``eye_y`` and ``score`` are empty when the eye is not visible. ``score`` is the
continuous orbital-tightening score in [0, 9]. The ``mask`` column may be empty (or absent) when a lab has no masks.
Rows are numbered from 1 (the first line after the header) in error messages. Each image appears in one row only,
and paths may not leave ``DIR`` (absolute paths and ``..`` are refused, naming the row).
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Iterable, Sequence

import cv2
import numpy as np

from mgs_core.errors import DatasetError

LABELS = "labels.csv"
REQUIRED_COLUMNS = ["image", "eye_x", "eye_y", "eye_visible", "score"]
COLUMNS = ["image", "mask", "eye_x", "eye_y", "eye_visible", "score"]
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
NUM_CLASSES = 4


@dataclass(frozen=True)
class LabelledItem:
    """One labelled crop. ``image``/``mask`` are absolute paths; ``row`` is the 1-based data row in labels.csv."""

    image: Path
    mask: Path | None
    eye_x: float | None
    eye_y: float | None
    eye_visible: bool
    score: float | None
    row: int
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LabelledSample:
    """An in-memory labelled crop, to be written by :func:`save_dataset`."""

    image: np.ndarray  # H x W x 3 uint8 RGB
    mask: np.ndarray | None  # H x W uint8 classes 0-3
    eye_x: float | None
    eye_y: float | None
    eye_visible: bool
    score: float | None
    extra: dict[str, object] = field(default_factory=dict)


@dataclass
class LabelledDataset:
    root: Path
    items: list[LabelledItem]
    extra_columns: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return iter(self.items)

    def __getitem__(self, i: int) -> LabelledItem:
        return self.items[i]

    @property
    def has_masks(self) -> bool:
        return bool(self.items) and all(it.mask is not None for it in self.items)

    def read_image(self, item: LabelledItem | int) -> np.ndarray:
        """The crop as H x W x 3 uint8 RGB. Raises DatasetError naming the file and row when unreadable."""
        it = self.items[item] if isinstance(item, int) else item
        return read_rgb(it.image, it.row)

    def read_mask(self, item: LabelledItem | int) -> np.ndarray | None:
        """The label mask (H x W uint8, classes 0-3), or None when the item has none."""
        it = self.items[item] if isinstance(item, int) else item
        if it.mask is None:
            return None
        return read_mask(it.mask, it.row)


def read_rgb(path: Path, row: int | None = None) -> np.ndarray:
    where = f" (labels.csv row {row})" if row is not None else ""
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise DatasetError(f"image {path} cannot be read{where}")
    if img.dtype != np.uint8:
        raise DatasetError(f"image {path} is not 8-bit{where}")
    if img.ndim == 2:
        return np.repeat(img[..., None], 3, axis=2)
    if img.shape[2] == 4:
        img = img[..., :3]
    return np.ascontiguousarray(img[..., ::-1])


def read_mask(path: Path, row: int | None = None) -> np.ndarray:
    where = f" (labels.csv row {row})" if row is not None else ""
    m = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if m is None:
        raise DatasetError(f"mask {path} cannot be read{where}")
    if m.ndim != 2 or m.dtype != np.uint8:
        raise DatasetError(f"mask {path} must be a single-channel 8-bit PNG{where}")
    if m.size and int(m.max()) >= NUM_CLASSES:
        raise DatasetError(f"mask {path} holds class {int(m.max())}; only 0-3 are allowed{where}")
    return m


def _num(text: str, what: str, where: str) -> float | None:
    text = (text or "").strip()
    if text == "" or text.lower() == "nan":
        return None
    try:
        v = float(text)
    except ValueError:
        raise DatasetError(f"{where}: {what} {text!r} is not a number") from None
    if not math.isfinite(v):
        raise DatasetError(f"{where}: {what} {text!r} is not a finite number")
    return v


def _resolve(root: Path, rel: str, kind: str, where: str) -> Path:
    rel = (rel or "").strip()
    if not rel:
        raise DatasetError(f"{where}: the {kind} column is empty")
    parts = PurePosixPath(rel.replace("\\", "/"))
    if parts.is_absolute() or PureWindowsPath(rel).drive or ".." in parts.parts or "\x00" in rel:
        raise DatasetError(f"{where}: {kind} path {rel!r} leaves the dataset folder (paths must be relative to "
                           f"{root}, without '..')")
    p = (root / rel).resolve()
    if p.suffix.lower() not in IMAGE_SUFFIXES:
        raise DatasetError(f"{where}: {kind} {rel!r} must be a .png or .jpg file")
    if not p.is_file():
        raise DatasetError(f"{where}: {kind} file {rel!r} does not exist")
    if p.stat().st_size == 0:
        raise DatasetError(f"{where}: {kind} file {rel!r} is empty")
    return p


def load_dataset(path: str | Path, verify_images: bool = True) -> LabelledDataset:
    """Read and validate a dataset folder (or its labels.csv). Raises DatasetError naming the file and row at fault.

    With ``verify_images`` every image (and mask) is decoded once, so a corrupt file is reported now, not mid-training.
    """
    path = Path(path)
    csv_path = path if path.suffix.lower() == ".csv" else path / LABELS
    root = csv_path.parent
    if not root.is_dir():
        raise DatasetError(f"dataset folder {root} does not exist")
    if not csv_path.is_file():
        raise DatasetError(f"{csv_path} is missing: a dataset folder needs a labels.csv ({','.join(COLUMNS)})")
    try:
        with csv_path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            raw_rows = list(reader)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(f"{csv_path} is not a readable CSV file ({exc})") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise DatasetError(f"{csv_path} lacks column(s) {', '.join(missing)} (needs {','.join(COLUMNS)}; mask optional)")
    extra_cols = [c for c in header if c not in COLUMNS]
    items: list[LabelledItem] = []
    first_row: dict[Path, int] = {}
    for i, raw in enumerate(raw_rows, start=1):
        raw = {(k or "").strip(): (v if isinstance(v, str) else "") for k, v in raw.items()}
        where = f"{csv_path.name} row {i}"
        image = _resolve(root, raw.get("image", ""), "image", where)
        if image in first_row:
            raise DatasetError(f"{where}: image {raw.get('image', '').strip()!r} is already listed at row "
                               f"{first_row[image]} (each image once, or evaluation counts it twice)")
        first_row[image] = i
        mask = _resolve(root, raw["mask"], "mask", where) if (raw.get("mask") or "").strip() else None
        vis_text = (raw.get("eye_visible") or "").strip()
        if vis_text not in ("0", "1", "0.0", "1.0"):
            raise DatasetError(f"{where}: eye_visible must be 1 or 0, got {vis_text!r}")
        visible = vis_text.startswith("1")
        ex, ey = _num(raw.get("eye_x", ""), "eye_x", where), _num(raw.get("eye_y", ""), "eye_y", where)
        score = _num(raw.get("score", ""), "score", where)
        if score is not None and not 0.0 <= score <= 9.0:
            raise DatasetError(f"{where}: score {score:g} is outside 0-9")
        if visible and (ex is None or ey is None):
            raise DatasetError(f"{where}: eye_visible is 1 but eye_x/eye_y are empty")
        if visible and score is None:
            raise DatasetError(f"{where}: eye_visible is 1 but score is empty")
        if not visible and score is not None:
            raise DatasetError(f"{where}: eye_visible is 0 but a score is given (a hidden eye cannot be scored)")
        if not visible:
            ex = ey = None
        if visible and (ex < -0.5 or ey < -0.5):  # outside any image, without reading it
            raise DatasetError(f"{where}: eye ({ex:g}, {ey:g}) lies outside the image {image.name} "
                               "(coordinates are crop pixels from the top-left corner)")
        if verify_images:
            img = read_rgb(image, i)
            if visible and not (-0.5 <= ex < img.shape[1] - 0.5 and -0.5 <= ey < img.shape[0] - 0.5):
                clicks = "" if mask is not None else " (a clicks-only row: the eye point is the only label)"
                raise DatasetError(f"{where}: eye ({ex:g}, {ey:g}) lies outside the {img.shape[1]}x{img.shape[0]} "
                                   f"image {image.name}{clicks}")
            if mask is not None:
                m = read_mask(mask, i)
                if m.shape != img.shape[:2]:
                    raise DatasetError(f"{where}: mask is {m.shape[1]}x{m.shape[0]} but image is "
                                       f"{img.shape[1]}x{img.shape[0]}")
        items.append(LabelledItem(image, mask, ex, ey, visible, score, i, {c: raw.get(c, "") for c in extra_cols}))
    if not items:
        raise DatasetError(f"{csv_path} has no rows")
    return LabelledDataset(root, items, extra_cols)


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "1" if v else "0"
    if isinstance(v, (float, np.floating)):
        return "" if not math.isfinite(float(v)) else f"{float(v):.3f}"
    return str(v)


def write_sample(root: str | Path, index: int, sample: LabelledSample, fmt: str = "png") -> dict[str, str]:
    """Write one sample's image (and mask) as ``images/NNNNN.<fmt>`` / ``masks/NNNNN.png``; return its CSV row."""
    root = Path(root)
    if fmt not in ("png", "jpg"):
        raise DatasetError(f"image format must be png or jpg, got {fmt!r}")
    name = f"{index:05d}"
    img_rel = f"images/{name}.{fmt}"
    params = [cv2.IMWRITE_JPEG_QUALITY, 92] if fmt == "jpg" else [cv2.IMWRITE_PNG_COMPRESSION, 3]
    if not cv2.imwrite(str(root / img_rel), np.ascontiguousarray(sample.image[..., ::-1]), params):
        raise DatasetError(f"cannot write {root / img_rel}")
    mask_rel = ""
    if sample.mask is not None:
        mask_rel = f"masks/{name}.png"
        if not cv2.imwrite(str(root / mask_rel), sample.mask.astype(np.uint8)):
            raise DatasetError(f"cannot write {root / mask_rel}")
    vis = bool(sample.eye_visible)
    row = {"image": img_rel, "mask": mask_rel, "eye_x": _fmt(sample.eye_x if vis else None),
           "eye_y": _fmt(sample.eye_y if vis else None), "eye_visible": _fmt(vis),
           "score": _fmt(sample.score if vis else None)}
    row.update({k: _fmt(v) for k, v in sample.extra.items()})
    return row


def prepare_folder(root: str | Path, with_masks: bool = True) -> Path:
    """Create DIR/images (and DIR/masks). Raises DatasetError when the folder cannot be created."""
    root = Path(root)
    try:
        (root / "images").mkdir(parents=True, exist_ok=True)
        if with_masks:
            (root / "masks").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatasetError(f"cannot create dataset folder {root}: {exc.strerror or exc}") from None
    return root


def write_labels(root: str | Path, rows: Sequence[dict[str, str]], extra_columns: Sequence[str] = ()) -> Path:
    """Write DIR/labels.csv from rows made by :func:`write_sample`."""
    path = Path(root) / LABELS
    cols = COLUMNS + [c for c in extra_columns if c not in COLUMNS]
    try:
        with path.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
            w.writeheader()
            for r in rows:
                w.writerow({c: r.get(c, "") for c in cols})
    except OSError as exc:
        raise DatasetError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def save_dataset(root: str | Path, samples: Iterable[LabelledSample], fmt: str = "png") -> LabelledDataset:
    """Write samples as a dataset folder (images, masks, labels.csv) and load it back (validated)."""
    samples = list(samples)
    root = prepare_folder(root, with_masks=any(s.mask is not None for s in samples))
    rows, extra = [], []
    for i, s in enumerate(samples):
        rows.append(write_sample(root, i, s, fmt))
        extra += [k for k in s.extra if k not in extra]
    write_labels(root, rows, extra)
    return load_dataset(root)


def dataset_digest(path: str | Path) -> str:
    """SHA-256 of a dataset's ``labels.csv`` (the folder or the file): names the data a model was trained or
    evaluated on, in model cards and evaluation results, whatever the folder is called. DatasetError when it is
    missing."""
    import hashlib

    path = Path(path)
    labels = path / "labels.csv" if path.is_dir() else path
    try:
        return hashlib.sha256(labels.read_bytes()).hexdigest()
    except OSError as exc:
        raise DatasetError(f"{labels.name} of {path.name} cannot be read ({exc.strerror or exc})") from None
