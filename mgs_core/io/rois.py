"""ROI files: ``load_rois`` / ``save_rois`` and validation.

Format (JSON, see docs/formats.md)::

    {"format": "mgs-live-rois", "version": 1, "frame_width": 1920, "frame_height": 1080,
     "rois": [{"id": "box1", "animal": "m01", "group": "saline", "x": 10, "y": 20, "w": 400, "h": 420}, ...]}

ROI ids must be unique and non-empty; coordinates whole, finite numbers; boxes must have positive size and lie inside
the frame. A file must list at least one ROI (an empty list is refused by ``load_rois``; ``rois_from_dict`` accepts
it for an editor's empty table, and scoring refuses an empty set).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from mgs_core.errors import RoiError
from mgs_core.geometry import check_roi_in_frame
from mgs_core.types import Roi, RoiSet

FORMAT = "mgs-live-rois"
VERSION = 1
MAX_COORD = 1 << 20  # no video frame is a million pixels wide


def rois_to_dict(roiset: RoiSet) -> dict:
    return {
        "format": FORMAT,
        "version": VERSION,
        "frame_width": roiset.frame_width,
        "frame_height": roiset.frame_height,
        "rois": [{"id": r.id, "animal": r.animal, "group": r.group, "x": r.x, "y": r.y, "w": r.w, "h": r.h}
                 for r in roiset.rois],
    }


def _int(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or (isinstance(value, float) and (not math.isfinite(value) or not value.is_integer())):
        raise RoiError(f"{what} must be a whole number, got {value!r}")
    value = int(value)
    if abs(value) > MAX_COORD:
        raise RoiError(f"{what} is beyond any frame size (at most {MAX_COORD} pixels)")
    return value


def size_mismatch(source: str, file_size: tuple[int, int], frame_size: tuple[int, int]) -> RoiError:
    """The error for ROIs made for one frame size used on a video of another; names both sizes."""
    (fw, fh), (w, h) = file_size, frame_size
    return RoiError(f"{source} is for {fw}x{fh} frames but the video is {w}x{h}: ROIs drawn on another frame size do "
                    "not fit; draw them on this video (Regions of interest page, or `mgs rois propose`)")


def rois_from_dict(data: dict, source: str = "ROI data", frame_size: tuple[int, int] | None = None) -> RoiSet:
    """Parse and validate a ROI dict (as stored in JSON). Raises RoiError naming the ROI at fault.

    With ``frame_size`` (the video's width, height) a file made for another frame size is refused as a size
    mismatch naming both sizes, before any box is checked against the file's own frame."""
    if not isinstance(data, dict):
        raise RoiError(f"{source}: expected a JSON object with 'rois', got {type(data).__name__}")
    version = data.get("version", VERSION)
    if version != VERSION:
        raise RoiError(f"{source}: ROI file version {version!r} is not supported (this MGS Live reads {VERSION})")
    try:
        width = _int(data["frame_width"], f"{source}: frame_width")
        height = _int(data["frame_height"], f"{source}: frame_height")
        items = data["rois"]
    except KeyError as exc:
        raise RoiError(f"{source}: missing key {exc.args[0]!r}") from None
    if width <= 0 or height <= 0:
        raise RoiError(f"{source}: frame size {width}x{height} must be positive")
    if not isinstance(items, list):
        raise RoiError(f"{source}: 'rois' must be a list")
    if frame_size is not None and (width, height) != tuple(frame_size):
        raise size_mismatch(source, (width, height), tuple(frame_size))
    rois, seen = [], set()
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise RoiError(f"{source}: ROI #{i + 1} must be an object")
        rid = str(item.get("id", "")).strip()
        label = f"{source}: ROI {rid!r}" if rid else f"{source}: ROI #{i + 1}"
        if not rid:
            raise RoiError(f"{label} has no id")
        if rid in seen:
            raise RoiError(f"{label} appears twice (ids must be unique)")
        seen.add(rid)
        try:
            box = {k: _int(item[k], f"{label} {k}") for k in ("x", "y", "w", "h")}
        except KeyError as exc:
            raise RoiError(f"{label} is missing {exc.args[0]!r}") from None
        roi = Roi(rid, box["x"], box["y"], box["w"], box["h"], str(item.get("animal") or rid), str(item.get("group") or ""))
        try:
            check_roi_in_frame(roi, width, height)
        except RoiError as exc:
            raise RoiError(f"{source}: {exc} the file declares (frame_width x frame_height); was it made for "
                           "another frame size?") from None
        rois.append(roi)
    return RoiSet(tuple(rois), width, height, VERSION)


def load_rois(path: str | Path, frame_size: tuple[int, int] | None = None, name: str | None = None) -> RoiSet:
    """Read and validate an ROI file; ``frame_size`` = the video's (width, height) to refuse a size mismatch first;
    ``name`` = how messages call the file (default: its file name; e.g. the name a user uploaded it as)."""
    path = Path(path)
    shown = name or path.name
    if path.is_dir():
        raise RoiError(f"ROI file {name or path} is a folder, not a JSON file")
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise RoiError(f"ROI file {name or path} does not exist") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RoiError(f"ROI file {shown} is not valid JSON ({exc})") from None
    except RecursionError:
        raise RoiError(f"ROI file {shown} nests too deeply to be an ROI file") from None
    except OSError as exc:
        raise RoiError(f"ROI file {shown} cannot be read ({exc.strerror or exc})") from None
    roiset = rois_from_dict(data, source=f"ROI file {shown}", frame_size=frame_size)
    if not roiset.rois:
        raise RoiError(f"ROI file {shown} lists no ROIs: draw at least one box (or score without --rois to use "
                       "the whole frame)")
    return roiset


def save_rois(roiset: RoiSet, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rois_to_dict(roiset), indent=2) + "\n")
    return path


def validate_rois(roiset: RoiSet, width: int, height: int, source: str = "ROI file") -> None:
    """Refuse a ROI set made for another frame size, or with a box outside a width x height frame."""
    if (roiset.frame_width, roiset.frame_height) != (width, height):
        raise size_mismatch(source, (roiset.frame_width, roiset.frame_height), (width, height))
    for roi in roiset.rois:
        check_roi_in_frame(roi, width, height)


def same_rois(a: RoiSet | None, b: RoiSet | None) -> bool:
    """True when two ROI sets are the same file content (boxes, ids, animals, groups, frame size)."""
    if a is None or b is None:
        return a is b
    return rois_to_dict(a) == rois_to_dict(b)


def full_frame_rois(width: int, height: int) -> RoiSet:
    """One ROI covering the whole frame (used when no ROI file is given)."""
    return RoiSet((Roi("frame", 0, 0, width, height, "animal1", ""),), width, height, VERSION)
