"""The paper's orbital-tightening regression CNN (Table 1), input 50x50 RGB patches, output one score on 0-9.

Layer by layer as in Table 1: Conv 5x5 (6) + ReLU, MaxPool 2, Conv 5x5 (16) + ReLU, MaxPool 2, AdaptiveAvgPool 5x5,
Flatten, Dense 120, BatchNorm1d + ReLU, Dropout 0.25, Dense 84, BatchNorm1d + ReLU, Dense 1 (linear).
Input: float32 N x 3 x 50 x 50 in [0, 1]; normalisation happens inside. Output: N scores (not clamped; callers clamp
to [0, 9] for display). ``head_classes`` > 0 swaps the last layer for a classification head (CIFAR-10 pretraining).

``flip_tta`` (trained with mirrored patches): inference averages the outputs for the patch and its mirror image
(runners do it; ``forward`` is one pass). ``patch`` records how the network's 50 x 50 input is cut (it changes no layer; the checkpoint carries it so inference
cuts patches exactly as training did): ``"fixed"`` = the paper's 50 x 50 window of the 256-px crop at the eye centre;
``"scaled"`` = a window of ``patch_k`` x the eye length, resized to 50 x 50 (:mod:`mgs_core.patches`).

``width`` (not in the paper; 1 = Table 1 exactly) multiplies every layer's channels and units by an integer: the
same layers, wider. The checkpoint records it when it is not 1.
"""
from __future__ import annotations

import torch
from torch import nn

PATCH_SIZE = 50


class OrbitalNet(nn.Module):
    kind = "orbital"

    def __init__(self, in_channels: int = 3, dropout: float = 0.25, head_classes: int = 0, patch: str = "fixed",
                 patch_k: float = 2.5, flip_tta: bool = False, width: int = 1):
        super().__init__()
        if patch not in ("fixed", "scaled"):
            raise ValueError(f"patch must be 'fixed' or 'scaled', got {patch!r}")
        self.model_args = {"in_channels": in_channels, "dropout": dropout, "head_classes": head_classes}
        if patch != "fixed":
            self.model_args.update(patch=patch, patch_k=float(patch_k))
        if flip_tta:
            self.model_args["flip_tta"] = True
        self.width = w = int(width)
        if w < 1:
            raise ValueError(f"width must be a positive integer, got {width!r}")
        if w != 1:
            self.model_args["width"] = w
        self.patch = patch
        self.patch_k = float(patch_k)
        self.flip_tta = bool(flip_tta)
        self.register_buffer("mean", torch.tensor([0.5, 0.5, 0.5][:in_channels]).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor([0.25, 0.25, 0.25][:in_channels]).view(1, -1, 1, 1))
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6 * w, 5),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2, 2),
            nn.Conv2d(6 * w, 16 * w, 5),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2, 2),
            nn.AdaptiveAvgPool2d(5),
            nn.Flatten(),
        )
        self.regressor = nn.Sequential(
            nn.Linear(16 * w * 5 * 5, 120 * w),
            nn.BatchNorm1d(120 * w),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(120 * w, 84 * w),
            nn.BatchNorm1d(84 * w),
            nn.ReLU(inplace=True),
            nn.Linear(84 * w, head_classes if head_classes > 0 else 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - self.mean) / self.std
        out = self.regressor(self.features(x))
        return out if self.model_args["head_classes"] > 0 else out.squeeze(1)
