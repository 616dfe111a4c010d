"""Labelled datasets for the Evaluate page: find them in the data folder, unpack an uploaded ZIP safely."""
from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath

from app_support.paths import safe_filename
from mgs_core.errors import DatasetError

MAX_UNPACKED = 2 * 1024**3


def find_datasets(base: Path, max_depth: int = 3) -> list[str]:
    """Sub-folders of ``base`` (relative POSIX paths) that hold a labels.csv."""
    base = Path(base).resolve()
    out = []
    for csv in base.rglob("labels.csv"):
        rel = csv.parent.relative_to(base)
        if len(rel.parts) <= max_depth and not any(p.startswith(".") for p in rel.parts) \
                and csv.resolve().is_relative_to(base):
            out.append(rel.as_posix() or ".")
    return sorted(out)


def unpack_zip(zip_path: Path, dest_root: Path) -> Path:
    """Extract a dataset ZIP into ``dest_root/<zip stem>``; refuses entries escaping it. Returns the folder that holds
    labels.csv (the ZIP may wrap everything in one top folder)."""
    dest = Path(dest_root) / safe_filename(Path(zip_path).stem, "dataset")
    try:
        with zipfile.ZipFile(zip_path) as z:
            members = z.infolist()
            if sum(m.file_size for m in members) > MAX_UNPACKED:
                raise DatasetError(f"{Path(zip_path).name} unpacks to more than {MAX_UNPACKED / 2**30:.0f} GB")
            for m in members:
                parts = PurePosixPath(m.filename.replace("\\", "/")).parts
                if m.filename.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
                    raise DatasetError(f"{Path(zip_path).name}: entry {m.filename!r} would leave the dataset folder")
            dest.mkdir(parents=True, exist_ok=True)
            z.extractall(dest)
    except zipfile.BadZipFile:
        raise DatasetError(f"{Path(zip_path).name} is not a ZIP file") from None
    labels = sorted(dest.rglob("labels.csv"), key=lambda p: len(p.parts))
    if not labels:
        raise DatasetError(f"{Path(zip_path).name} holds no labels.csv (see docs/dataset.md for the dataset layout)")
    return labels[0].parent
