"""Deterministic stand-ins for engine tests (no training needed): a dark-pixel "U-Net" and an eye-at-centre runner."""
import torch

from mgs_core.runners.base import Runner
from mgs_core.types import SCORED, CropResult, RunnerInfo


class DarkEyeNet(torch.nn.Module):
    """Fake segmenter: pixels darker than 0.2 are 'eyes' (class 3), the rest 'animal' (class 1)."""

    input_size = 128

    def forward(self, x):
        dark = (x.mean(1, keepdim=True) < 0.2).float()
        zero = torch.zeros_like(dark)
        return torch.cat([zero, 5 * (1 - dark), zero, dark * 10], 1)  # dark -> eye, everything else -> animal


class EyeAtCentreRunner(Runner):
    """A runner that finds an eye at the crop centre of every crop, scored from the crop's mean brightness."""

    def infer(self, crops):
        return [CropResult(True, 128.0, 128.0, float(c.mean()) % 9, 0.9, 30, SCORED, 14.0, scorability=0.7)
                for c in crops]

    def info(self):
        return RunnerInfo("local", "cpu", 256, {"name": "s"}, {"name": "r"})
