"""The one inference seam.

A runner turns a batch of square ROI crops into per-crop results: segmentation -> eye blob -> eye centre ->
50x50 patch -> orbital-tightening score. The pipeline, the CLI, the app and the ZeroMQ server all go through this
interface, so the local (in-process) runner and the remote client runner are interchangeable.
"""
from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from mgs_core.types import CropResult, RunnerInfo


class Runner(ABC):
    """Batched inference on ROI crops.

    ``infer`` takes an array of shape (N, S, S, 3), uint8, RGB, where S == ``info().roi_size`` (N may be 0) and
    returns exactly N :class:`CropResult` in the same order, with eye coordinates in crop pixels. A runner whose
    ``info().max_detail`` is d > 1 also takes S == roi_size * k for integer k <= d ("detail crops"): its first look
    is at the crop scaled to roi_size, exactly as for a roi_size crop, while its closer looks (zoomed tiles) and the
    eye patch are cut from the detail crop, so a small eye in a large ROI is looked at and scored from the ROI's own
    pixels instead of an upsampled blur; coordinates and eye lengths are then in the detail crop's pixels.
    It raises :class:`mgs_core.errors.MGSError` subclasses for problems the caller can act on.
    """

    @abstractmethod
    def infer(self, crops: np.ndarray) -> list[CropResult]: ...

    @abstractmethod
    def info(self) -> RunnerInfo: ...

    def warmup(self) -> None:
        """Run one dummy batch so the first real frame is not slow."""
        size = self.info().roi_size
        self.infer(np.zeros((1, size, size, 3), np.uint8))

    def close(self) -> None:
        """Release resources (sockets, threads). Safe to call twice."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
