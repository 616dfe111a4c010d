"""Checks that keep animal ids honest before several results are pooled (pure; the app calls them on its runs).

An animal id names one animal (:mod:`.curves`). Two results of the **same video** must therefore not give one animal
id to two different boxes (two ROI files that disagree, or one ROI file with the id twice), and the same video must
not be analysed twice (its frames would be counted twice). Results of different videos may reuse animal ids: that is
how one animal's sessions are pooled.
"""
from __future__ import annotations

from dataclasses import dataclass

from mgs_core.analysis.curves import WHOLE_FRAME
from mgs_core.errors import InputError


@dataclass(frozen=True)
class ScoredVideo:
    """What one result (a run, a series, a file) says about its video and its boxes."""

    label: str  # the name the user knows it by (run label, file name)
    video: str  # identity of the video (its SHA-256; "" when unknown, e.g. a camera: never compared)
    video_name: str
    boxes: tuple[tuple[str, str, tuple[int, int, int, int]], ...]  # (roi id, animal id, (x, y, w, h))

    @classmethod
    def from_rois_dict(cls, label: str, video: str, video_name: str, rois: dict | None) -> "ScoredVideo":
        """From an ROI set as stored in provenance (``{"rois": [{"id", "animal", "x", "y", "w", "h"}, ...]}``)."""
        boxes = []
        for r in (rois or {}).get("rois", []) if isinstance(rois, dict) else []:
            try:
                rid = str(r["id"])
                boxes.append((rid, str(r.get("animal") or rid), (int(r["x"]), int(r["y"]), int(r["w"]), int(r["h"]))))
            except (KeyError, TypeError, ValueError):
                continue
        return cls(label, video, video_name, tuple(boxes))


def _box(b: tuple[int, int, int, int]) -> str:
    return f"x={b[0]}, y={b[1]}, {b[2]}x{b[3]}"


def check_animal_boxes(items: list[ScoredVideo]) -> None:
    """InputError (one message) when one video is chosen twice, or when within one video one animal id is given
    to two different boxes (module docstring)."""
    by_video: dict[str, list[ScoredVideo]] = {}
    for it in items:
        if it.video:
            by_video.setdefault(it.video, []).append(it)
    for same in by_video.values():
        seen: dict[str, tuple[tuple[int, int, int, int], str, str]] = {}
        for it in same:
            for rid, animal, box in it.boxes:
                if (rid, animal) == WHOLE_FRAME:
                    continue  # the whole-frame ROI names no animal
                if animal in seen and seen[animal][0] != box:
                    b0, label0, rid0 = seen[animal]
                    where = "the same ROI set" if label0 == it.label else f"{label0} and {it.label}"
                    raise InputError(
                        f"animal id {animal!r} names two different boxes in {it.video_name} ({where}: ROI {rid0!r} "
                        f"at {_box(b0)} and ROI {rid!r} at {_box(box)}): one animal id must name one animal. Fix the "
                        "animal id in one of the ROI files, or analyse only one of them")
                seen.setdefault(animal, (box, it.label, rid))
        if len(same) > 1:
            raise InputError(f"{' and '.join(s.label for s in same)} are results of the same video "
                             f"({same[0].video_name}): analysing them together would count its frames twice; choose "
                             "one of them")
