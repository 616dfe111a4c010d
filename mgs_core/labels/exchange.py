"""A rater's labels as a dataset (docs/dataset.md) and back, as a ZIP, and as the files of `mgs agree`.

* :func:`export_dataset` writes the labelled items of one rater through :func:`mgs_core.io.dataset.save_dataset`:
  the crops, ``eye_x``/``eye_y`` (crop pixels), ``eye_visible``, ``score`` (0-9; empty when no eye), no masks, plus
  the columns ``item`` (neutral name), ``label_set``, ``rater``, ``scale`` (the rater's scale: ``0-9`` or
  ``mgs012``), ``raw_score`` (what the rater gave on that scale), ``video``, ``frame``, ``time_s``, ``roi``,
  ``animal``, ``group``. :func:`export_zip` packs that folder into one ZIP.
* :func:`import_labels` reads such a dataset (folder or ZIP) back into a label set as a new rater. Every row must
  be a crop of this set: matched by its ``item`` name and its pixels (or by pixels alone when there is no ``item``
  column). A file labelling other frames, a rater name already taken, or any invalid row is refused as a whole
  before anything is written.
* :func:`agreement_files` writes ``key.csv`` (the model's scores) and one ``<rater>.csv`` (image,score; ``x`` for
  "no eye") per rater for the items every chosen rater has labelled: exactly the input of ``mgs agree``.
"""
from __future__ import annotations

import hashlib
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mgs_core.analysis.scale import SCALE_0_9, SCALE_MGS012, ScaleConversion
from mgs_core.errors import DatasetError
from mgs_core.labels.store import LabelError, LabelSet, check_rater_name

EXPORT_COLUMNS = ["item", "label_set", "rater", "scale", "raw_score", "video", "frame", "time_s", "roi", "animal",
                  "group"]


def _digest(img: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(img).tobytes() + str(img.shape).encode()).hexdigest()


def export_dataset(ls: LabelSet, rater: str, out_dir: str | Path):
    """The rater's labelled items as a dataset folder; returns the loaded (validated) dataset."""
    from mgs_core.io.dataset import LabelledSample, save_dataset

    rf = ls.rater(rater)
    if not rf.labels:
        raise LabelError(f"{rf.name} has not labelled any frame of {ls.name!r} yet: nothing to export")
    out_dir = Path(out_dir)
    if (out_dir / "labels.csv").exists():
        raise LabelError(f"{out_dir} already holds a dataset: choose an empty folder")
    samples = []
    for it in ls.items:
        lab = rf.labels.get(it.name)
        if lab is None:
            continue
        extra = {"item": it.name, "label_set": ls.name, "rater": rf.name, "scale": lab.scale,
                 "raw_score": "" if lab.raw is None else f"{lab.raw:g}", "video": it.video, "frame": it.frame,
                 "time_s": f"{it.time_s:.6f}", "roi": it.roi, "animal": it.animal, "group": it.group}
        samples.append(LabelledSample(ls.read_image(it), None, lab.eye_x, lab.eye_y, lab.eye_visible, lab.score,
                                      extra))
    return save_dataset(out_dir, samples)


def export_zip(ls: LabelSet, rater: str, zip_path: str | Path) -> Path:
    """:func:`export_dataset` packed as one ZIP (top folder ``<set>_<rater>``)."""
    zip_path = Path(zip_path)
    top = f"{ls.name}_{ls.rater(rater).name.replace(' ', '_')}"
    with tempfile.TemporaryDirectory() as tmp:
        export_dataset(ls, rater, Path(tmp) / top)
        part = zip_path.with_name(zip_path.name + ".part")
        with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as z:
            for p in sorted((Path(tmp) / top).rglob("*")):
                if p.is_file():
                    z.write(p, p.relative_to(tmp).as_posix())
        part.replace(zip_path)
    return zip_path


def _unpack(path: Path, tmp: Path) -> Path:
    if path.is_dir():
        return path
    if path.suffix.lower() != ".zip":
        raise DatasetError(f"{path.name}: give a dataset folder or a .zip of one")
    try:
        with zipfile.ZipFile(path) as z:
            for m in z.infolist():
                parts = Path(m.filename.replace("\\", "/")).parts
                if m.filename.startswith(("/", "\\")) or ".." in parts:
                    raise DatasetError(f"{path.name}: entry {m.filename!r} would leave the dataset folder")
            z.extractall(tmp)
    except zipfile.BadZipFile:
        raise DatasetError(f"{path.name} is not a ZIP file") from None
    found = sorted(tmp.rglob("labels.csv"), key=lambda p: len(p.parts))
    if not found:
        raise DatasetError(f"{path.name} holds no labels.csv (see docs/dataset.md)")
    return found[0].parent


@dataclass(frozen=True)
class ImportResult:
    rater: str
    scale: str
    n_labels: int
    n_no_eye: int


def import_labels(ls: LabelSet, path: str | Path, rater: str | None = None) -> ImportResult:
    """Add a dataset (folder or ZIP) of labels for this set's crops as a new rater (default: its ``rater``
    column). All rows are checked before anything is written."""
    from mgs_core.io.dataset import load_dataset

    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path} does not exist")
    with tempfile.TemporaryDirectory() as tmp:
        ds = load_dataset(_unpack(path, Path(tmp)))
        by_digest = {_digest(ls.read_image(it)): it.name for it in ls.items}
        names = set(by_digest.values())
        rows, seen = [], {}
        for item in ds.items:
            where = f"{path.name}: labels.csv row {item.row}"
            d = _digest(ds.read_image(item))
            name = item.extra.get("item", "").strip()
            if name:
                if name not in names:
                    raise LabelError(f"{where}: item {name!r} is not in label set {ls.name!r}: this file labels "
                                     "other frames")
                if by_digest.get(d) != name:
                    raise LabelError(f"{where}: the crop is not the picture of {name!r} in label set {ls.name!r}: "
                                     "this file labels other frames")
            else:
                if d not in by_digest:
                    raise LabelError(f"{where}: this crop is not one of label set {ls.name!r}: the file labels "
                                     "other frames")
                name = by_digest[d]
            if name in seen:
                raise LabelError(f"{where}: {name} is labelled twice (first at row {seen[name]})")
            seen[name] = item.row
            rows.append((name, item))
        scales = {it.extra.get("scale", "").strip() or SCALE_0_9 for _, it in rows}
        if len(scales) > 1 or not scales <= {SCALE_0_9, SCALE_MGS012}:
            raise LabelError(f"{path.name}: the scale column must be one of 0-9 or mgs012 for every row, got "
                             f"{sorted(scales)}")
        scale = scales.pop()
        who = check_rater_name(rater or (ds.items[0].extra.get("rater", "").strip() if ds.items else ""))
        recs = []
        for name, it in rows:
            if not it.eye_visible:
                recs.append((name, None, None))
                continue
            raw = it.extra.get("raw_score", "").strip()
            value = float(raw) if raw else it.score
            if scale == SCALE_MGS012 and not raw:
                value = float(ScaleConversion().to_mgs(it.score))
            ls.check_point(ls.item(name), it.eye_x, it.eye_y)
            recs.append((name, value, (it.eye_x, it.eye_y)))
        ls.add_rater(who, scale)
        for name, value, eye in recs:
            ls.label(who, name, value, eye)
    return ImportResult(who, scale, len(recs), sum(1 for r in recs if r[1] is None))


@dataclass(frozen=True)
class AgreementFiles:
    folder: Path
    key: Path
    raters: list[Path]
    scale: str
    n_items: int
    left_out: dict[str, int]  # reason -> number of items


def rater_file_name(name: str) -> str:
    return name.strip().replace(" ", "_")


def agreement_files(ls: LabelSet, raters: list[str], out_dir: str | Path, model_scores: dict | None = None,
                    conversion: ScaleConversion | None = None) -> AgreementFiles:
    """``key.csv`` + one CSV per rater for the items labelled by all ``raters`` (and scored by the model).

    ``model_scores`` (item -> 0-9 or None) replaces the scores of the model that chose the frames (e.g. the
    active model's, after fine-tuning). Raters all on 0-9 -> scale ``0-9``; otherwise ``mgs012`` (0-9 raters'
    scores converted with ``conversion``)."""
    from mgs_core.analysis.keyframes import KEY_COLUMNS

    conv = conversion or ScaleConversion()
    if not raters:
        raise LabelError("choose at least one rater")
    files = [ls.rater(r) for r in raters]
    if len({rater_file_name(f.name).lower() for f in files}) < len(files):
        raise LabelError("the same rater is chosen twice")
    scale = SCALE_0_9 if all(f.scale == SCALE_0_9 for f in files) else SCALE_MGS012
    left = {"not labelled by every chosen rater": 0, "no model score (the model sees no eye)": 0}
    rows = []
    for it in ls.items:
        if not all(it.name in f.labels for f in files):
            left["not labelled by every chosen rater"] += 1
            continue
        ms = it.model_score if model_scores is None else model_scores.get(it.name)
        if ms is None or not np.isfinite(ms):
            left["no model score (the model sees no eye)"] += 1
            continue
        rows.append((it, float(ms)))
    if len(rows) < 2:
        raise LabelError(f"only {len(rows)} item(s) are labelled by every chosen rater and scored by the model: "
                         "agreement needs at least 2")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    key = pd.DataFrame([{"image": Path(it.image).name, "video": it.video, "frame": it.frame, "time_s": it.time_s,
                         "roi": it.roi, "animal": it.animal, "group": it.group, "model_score_0_9": round(ms, 4),
                         "model_mgs_0_2": float(conv.to_mgs(ms)), "eye_x": it.model_eye_x, "eye_y": it.model_eye_y,
                         "sharpness": np.nan} for it, ms in rows])[KEY_COLUMNS]
    key_path = out / "key.csv"
    key.to_csv(key_path, index=False)
    paths = []
    for f in files:
        vals = []
        for it, _ in rows:
            lab = f.labels[it.name]
            if not lab.eye_visible:
                vals.append("x")
            elif scale == SCALE_0_9:
                vals.append(f"{lab.score:g}")
            elif f.scale == SCALE_MGS012:
                vals.append(f"{lab.raw:g}")
            else:
                vals.append(f"{float(conv.to_mgs(lab.score)):g}")
        p = out / f"{rater_file_name(f.name)}.csv"
        pd.DataFrame({"image": key["image"], "score": vals}).to_csv(p, index=False)
        paths.append(p)
    return AgreementFiles(out, key_path, paths, scale, len(rows), {k: v for k, v in left.items() if v})


def rescore(ls: LabelSet, runner, batch: int = 16) -> dict[str, float | None]:
    """The runner's score of every crop of the set (None where it finds no eye)."""
    out: dict[str, float | None] = {}
    for i in range(0, len(ls.items), batch):
        chunk = ls.items[i : i + batch]
        res = runner.infer(np.stack([ls.read_image(it) for it in chunk]))
        for it, r in zip(chunk, res):
            out[it.name] = None if r.score is None or not r.eye_visible else float(r.score)
    return out
