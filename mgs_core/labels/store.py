"""Label sets on disk: a folder per set with the ROI crops to label, a manifest, and one append-only file per rater.

Layout of a label set ``SETS/<name>/``::

    set.json                 manifest (format "mgs-live-label-set", version 1): the items in presentation order,
                             where each crop came from, the model that chose them and its score (never shown blind)
    crops/f001.png ...       the 256-px ROI crops, named neutrally in a shuffled order
    raters/<rater>.jsonl     one JSON object per line, appended and fsync'd as each label is given

A rater file starts with a header line ``{"kind": "rater", "name", "scale", "created_utc"}``; then ``{"kind":
"label", "item", "eye_visible", "eye_x", "eye_y", "score", "raw", "scale", "time_utc"}`` lines (``score`` is always
on 0-9; ``raw`` is what the rater typed on their scale: 0-9, or MGS 0/1/2 converted with the documented midpoints)
and ``{"kind": "undo", "time_utc"}`` lines that take back the latest label not yet taken back. The current label of
an item is the last one still standing. Nothing is ever rewritten, so a closed tab, a reload or a crashed server
loses nothing; a line cut short by a power cut mid-write is ignored (that label was never confirmed).
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from mgs_core.io.durable import fsync_dir
from mgs_core.analysis.scale import SCALE_0_9, SCALE_MGS012, SCALES, ScaleConversion
from mgs_core.errors import InputError

FORMAT = "mgs-live-label-set"
VERSION = 1
MANIFEST = "set.json"
RATER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,39}$")
SET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,59}$")


class LabelError(InputError):
    """A label, rater or label set is invalid (off-scale score, click outside the crop, duplicate rater...)."""


def now_utc() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class LabelItem:
    """One crop to label. ``name`` is neutral (f001...); the rest is never shown in blind mode."""

    name: str
    image: str  # path relative to the set folder
    video: str  # source video file name
    frame: int
    time_s: float
    roi: str
    animal: str
    group: str
    model_score: float | None  # 0-9, the model that chose the frames
    model_eye_x: float | None  # crop pixels
    model_eye_y: float | None
    uncertainty: float  # 0-1, 1 - scorability x confidence
    content: tuple[float, float, float, float]  # x0, y0, x1, y1: the ROI's own pixels inside the letterboxed crop
    size: int = 256


@dataclass(frozen=True)
class Label:
    """One rater's label of one item. ``score`` is on 0-9 (None when no eye is visible); ``raw`` as typed."""

    item: str
    eye_visible: bool
    eye_x: float | None
    eye_y: float | None
    score: float | None
    raw: float | None
    scale: str
    time_utc: str = ""


@dataclass
class RaterFile:
    """A rater's labels replayed from their JSONL file."""

    name: str
    scale: str
    created_utc: str
    path: Path
    labels: dict[str, Label] = field(default_factory=dict)  # item -> current label
    n_records: int = 0
    history: list[str] = field(default_factory=list)  # items of the standing labels, oldest first (undo order)
    torn: int = 0  # lines cut short by a crash (ignored)


def check_rater_name(name: str) -> str:
    name = (name or "").strip()
    if not RATER_NAME.match(name):
        raise LabelError(f"rater name {name!r} is not allowed: use 1-40 letters, digits, spaces, '.', '_' or '-', "
                         "starting with a letter or digit")
    return name


def rater_slug(name: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "_", name.strip().lower()).strip("._") or "rater"


def score_from_key(raw: float, scale: str, conversion: ScaleConversion | None = None) -> float:
    """A score typed on ``scale`` -> 0-9. 0-9: the value (0-9); mgs012: 0/1/2 -> the documented midpoints."""
    conv = conversion or ScaleConversion()
    if scale not in SCALES:
        raise LabelError(f"scale must be one of {SCALES}, got {scale!r}")
    try:
        v = float(raw)
    except (TypeError, ValueError):
        raise LabelError(f"score {raw!r} is not a number") from None
    if scale == SCALE_0_9:
        if not (np.isfinite(v) and 0.0 <= v <= 9.0):
            raise LabelError(f"score {raw!r} is off the 0-9 scale")
        return v
    if v not in (0.0, 1.0, 2.0):
        raise LabelError(f"score {raw!r} is off the MGS scale (0, 1 or 2)")
    return float(conv.to_score(v))


def _write_line(path: Path, record: dict) -> None:
    line = json.dumps(record, separators=(",", ":")) + "\n"
    if path.is_file() and path.stat().st_size:
        with path.open("rb") as fh:
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) != b"\n":
                line = "\n" + line  # a torn last line from a crash: keep it on a line of its own
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


class LabelSet:
    """A label set folder: its items (manifest) and its raters' files."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        path = self.root / MANIFEST
        if not path.is_file():
            raise LabelError(f"{self.root} is not a label set (no {MANIFEST})")
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise LabelError(f"{path} cannot be read ({exc})") from None
        if meta.get("format") != FORMAT or meta.get("version") != VERSION:
            raise LabelError(f"{path} is not a version-{VERSION} {FORMAT} manifest")
        self.meta = meta
        self.items = [LabelItem(**{**it, "content": tuple(it["content"])}) for it in meta["items"]]
        self._by_name = {it.name: it for it in self.items}

    @property
    def name(self) -> str:
        return self.root.name

    def __len__(self) -> int:
        return len(self.items)

    def item(self, name: str) -> LabelItem:
        try:
            return self._by_name[name]
        except KeyError:
            raise LabelError(f"label set {self.name!r} has no item {name!r}") from None

    def image_path(self, item: LabelItem | str) -> Path:
        it = self.item(item) if isinstance(item, str) else item
        return self.root / it.image

    def read_image(self, item: LabelItem | str) -> np.ndarray:
        from mgs_core.io.dataset import read_rgb

        return read_rgb(self.image_path(item))

    # raters -------------------------------------------------------------------------------------------------
    @property
    def raters_dir(self) -> Path:
        return self.root / "raters"

    def rater_names(self) -> list[str]:
        if not self.raters_dir.is_dir():
            return []
        return sorted((self.rater(p.stem).name for p in self.raters_dir.glob("*.jsonl")), key=str.lower)

    def rater_path(self, name: str) -> Path:
        return self.raters_dir / f"{rater_slug(name)}.jsonl"

    def add_rater(self, name: str, scale: str = SCALE_0_9) -> RaterFile:
        """Create a rater's file. Refuses a name already used in this set (case and spacing ignored)."""
        name = check_rater_name(name)
        if scale not in SCALES:
            raise LabelError(f"scale must be one of {SCALES}, got {scale!r}")
        path = self.rater_path(name)
        if path.exists():
            other = self.rater(path.stem).name
            raise LabelError(f"a rater named {other!r} already labels set {self.name!r}: continue as {other!r}, or "
                             "choose another name")
        self.raters_dir.mkdir(parents=True, exist_ok=True)
        _write_line(path, {"kind": "rater", "name": name, "scale": scale, "created_utc": now_utc()})
        fsync_dir(self.raters_dir)
        return self.rater(name)

    def rater(self, name: str) -> RaterFile:
        """Replay a rater's file (by name or slug)."""
        path = self.rater_path(name)
        if not path.is_file():
            raise LabelError(f"label set {self.name!r} has no rater {name!r}")
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        records, torn = [], 0
        for line in lines:
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except ValueError:
                torn += 1  # a line cut short by a crash mid-write: that label was never confirmed
        if not records or records[0].get("kind") != "rater":
            raise LabelError(f"{path} does not start with a rater header")
        head = records[0]
        rf = RaterFile(head["name"], head.get("scale", SCALE_0_9), head.get("created_utc", ""), path)
        stack: list[Label] = []
        for rec in records[1:]:
            if rec.get("kind") == "label":
                stack.append(Label(rec["item"], bool(rec["eye_visible"]), rec.get("eye_x"), rec.get("eye_y"),
                                   rec.get("score"), rec.get("raw"), rec.get("scale", rf.scale),
                                   rec.get("time_utc", "")))
            elif rec.get("kind") == "undo" and stack:
                stack.pop()
        for lab in stack:
            rf.labels[lab.item] = lab
        rf.n_records = len(records) - 1
        rf.history = [lab.item for lab in stack]
        rf.torn = torn
        return rf

    # labelling ----------------------------------------------------------------------------------------------
    def check_point(self, item: LabelItem, x: float, y: float) -> None:
        x0, y0, x1, y1 = item.content
        if not (np.isfinite(x) and np.isfinite(y)) or not (x0 - 0.5 <= x <= x1 + 0.5 and y0 - 0.5 <= y <= y1 + 0.5):
            raise LabelError(f"the click at ({x:.0f}, {y:.0f}) is outside the crop of {item.name} (its picture spans "
                             f"x {x0:.0f}-{x1:.0f}, y {y0:.0f}-{y1:.0f}): click on the eye")

    def label(self, rater: str, item: str, raw: float | None, eye: tuple[float, float] | None,
              conversion: ScaleConversion | None = None) -> Label:
        """Record a label now (appended and fsync'd). ``raw`` None = no eye visible (then ``eye`` is ignored);
        otherwise ``eye`` (crop pixels) is required and must lie on the crop's picture."""
        rf = self.rater(rater)
        it = self.item(item)
        if raw is None:
            lab = Label(it.name, False, None, None, None, None, rf.scale, now_utc())
        else:
            score = score_from_key(raw, rf.scale, conversion)
            if eye is None:
                raise LabelError(f"{it.name}: click the eye centre before giving a score (or mark 'no eye visible')")
            x, y = float(eye[0]), float(eye[1])
            self.check_point(it, x, y)
            lab = Label(it.name, True, round(x, 2), round(y, 2), round(score, 4), float(raw), rf.scale, now_utc())
        _write_line(rf.path, {"kind": "label", **asdict(lab)})
        return lab

    def undo(self, rater: str) -> str | None:
        """Take back the rater's latest standing label; returns its item (None when there is nothing to undo)."""
        rf = self.rater(rater)
        if not rf.history:
            return None
        _write_line(rf.path, {"kind": "undo", "time_utc": now_utc()})
        return rf.history[-1]

    def next_unlabelled(self, rater: str, start: int = 0) -> int | None:
        """Index of the first item (from ``start``, wrapping) the rater has not labelled; None when all are done."""
        done = self.rater(rater).labels
        n = len(self.items)
        for k in range(n):
            i = (start + k) % n
            if self.items[i].name not in done:
                return i
        return None


def write_manifest(root: Path, meta: dict) -> Path:
    path = Path(root) / MANIFEST
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(meta, indent=1), encoding="utf-8")
    os.replace(tmp, path)
    fsync_dir(Path(root))
    return path


def list_sets(base: str | Path) -> list[str]:
    base = Path(base)
    if not base.is_dir():
        return []
    return sorted(p.parent.name for p in base.glob(f"*/{MANIFEST}"))


def check_set_name(name: str) -> str:
    name = (name or "").strip()
    if not SET_NAME.match(name):
        raise LabelError(f"label set name {name!r} is not allowed: use 1-60 letters, digits, '.', '_' or '-'")
    return name


def items_to_json(items: list[LabelItem]) -> list[dict]:
    return [{**asdict(it), "content": list(it.content)} for it in items]
