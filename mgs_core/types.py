"""Typed data model shared by the pipeline, runners, IO, CLI and app.

Conventions used everywhere in mgs_core:
- Images are numpy uint8 arrays, H x W x 3, **RGB** order (PyAV decodes to rgb24; cv2-loaded images are converted).
- Frame coordinates are pixels of the full video frame, x to the right, y down, origin top-left, pixel centres at
  integer coordinates.
- Crop coordinates are pixels of the square ROI crop produced by :func:`mgs_core.geometry.crop_roi`.
- Scores are the continuous orbital-tightening score on 0-9 (0 = eye open, 9 = fully tightened).
  ``None`` means "not scored" (no visible eye, or the frame could not be processed) and is never replaced by a guess.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Why a row has (or has no) score. One vocabulary for crops, ROIs, result tables, live series and exports.
SCORED = "scored"  # an eye was found and judged: score is set
NO_ANIMAL = "no_animal"  # no mouse in the ROI (empty box, bedding, a hand, a test pattern)
EYE_HIDDEN = "eye_hidden"  # a mouse, but its eye side is turned away or covered
TOO_SMALL = "too_small"  # a mouse/eye too small (or too blurred) in the ROI to judge
UNSCORED_SERVER = "unscored_server"  # the (remote) runner could not answer for this frame
UNSCORED_DECODE = "unscored_decode"  # the frame could not be decoded
STATUSES = (SCORED, NO_ANIMAL, EYE_HIDDEN, TOO_SMALL, UNSCORED_SERVER, UNSCORED_DECODE)
BEHAVIOUR_STATUSES = (SCORED, NO_ANIMAL, EYE_HIDDEN, TOO_SMALL)  # about the animal, not about the machinery


@dataclass(frozen=True)
class Roi:
    """One rectangle around one box/mouse, in frame pixels."""

    id: str
    x: int
    y: int
    w: int
    h: int
    animal: str = ""
    group: str = ""


@dataclass(frozen=True)
class RoiSet:
    """The ROIs of one recording setup, for frames of the given size."""

    rois: tuple[Roi, ...]
    frame_width: int
    frame_height: int
    version: int = 1

    def __iter__(self):
        return iter(self.rois)

    def __len__(self) -> int:
        return len(self.rois)


@dataclass(frozen=True)
class CropResult:
    """What inference says about one square ROI crop (crop coordinates). Produced by a runner."""

    eye_visible: bool
    eye_x: float | None  # crop pixels
    eye_y: float | None
    score: float | None  # 0-9, None when no eye is visible
    confidence: float  # 0-1: how sure the localiser is that an eye is there (0 when none)
    eye_area_px: int = 0  # area of the chosen eye blob at segmentation resolution
    status: str = ""  # one of STATUSES; "" = derived from eye_visible/score (older runners)
    eye_length: float | None = None  # eye length (corner to corner) in crop pixels, when known
    scorability: float = 0.0  # 0-1: how judgeable the frame is (animal there, eye side visible, sharp, large enough)

    def __post_init__(self):
        if not self.status:  # older producers: derive the status from eye_visible/score
            object.__setattr__(self, "status", SCORED if self.eye_visible and self.score is not None else EYE_HIDDEN)


@dataclass(frozen=True)
class RoiResult:
    """The result for one ROI in one frame (frame coordinates)."""

    roi: str
    animal: str
    group: str
    eye_visible: bool
    eye_x: float | None  # frame pixels
    eye_y: float | None
    score: float | None
    confidence: float
    status: str = ""  # one of STATUSES ("" = derived from eye_visible/score)
    eye_length: float | None = None  # frame pixels
    scorability: float = 0.0

    def __post_init__(self):
        if not self.status:  # older producers: derive the status from eye_visible/score
            object.__setattr__(self, "status", SCORED if self.eye_visible and self.score is not None else EYE_HIDDEN)


@dataclass(frozen=True)
class FrameResult:
    """All ROI results of one frame."""

    frame: int
    time_s: float
    rois: tuple[RoiResult, ...]
    latency_ms: float = 0.0
    error: str | None = None  # set when the frame could not be scored (e.g. remote server unreachable)


@dataclass(frozen=True)
class RunnerInfo:
    """What a runner reports about itself (shown in the app sidebar and written to provenance files)."""

    backend: str  # "local" or "zmq"
    device: str  # "cpu", "cuda", or the server's device
    roi_size: int  # side of the square ROI crop the runner expects
    seg_model: dict = field(default_factory=dict)  # model card of the segmentation network
    score_model: dict = field(default_factory=dict)  # model card of the orbital-tightening regressor
    address: str | None = None  # server address for remote runners
    max_detail: int = 1  # crops may also be roi_size * d square for integer d <= max_detail (sharper eye patches)
