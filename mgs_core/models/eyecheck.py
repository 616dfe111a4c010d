"""The eye check: a small CNN on the scale-normalised eye patch that says whether the located "eye" is an eye.

Why: the U-Net sees the ROI crop at 96 px, so a 9-px eye of a small mouse in a rack view is about 3 px there, and on
a black mouse whose head is turned away a dark fur fold gets the heatmap's peak. The check looks at the same place
in the 256-px crop, cut as the regressor's patch (a window of ``patch_k`` x the located eye length, resized to
50 x 50), i.e. at 2.7x the resolution the U-Net had, and is trained on the U-Net's own false peaks (hard negatives,
:mod:`mgs_core.train.eyecheck`). An eye it rejects is reported ``eye_hidden``, never scored.

Layers: the paper's Table 1 trunk, wider (Conv 5x5 16 + ReLU, MaxPool 2, Conv 5x5 32 + ReLU, MaxPool 2,
AdaptiveAvgPool 5x5, Dense 96, BatchNorm1d + ReLU, Dropout, Dense 1): one logit per patch, ``sigmoid`` = the
probability that an eye (open or shut) is at the patch centre. Input: float32 N x 3 x 50 x 50 in [0, 1].
``threshold`` (model argument, chosen on validation data by the trainer) is the probability below which the runner
calls the eye hidden; the checkpoint carries it with the patch geometry, so inference matches training.
"""
from __future__ import annotations

import torch
from torch import nn


class EyeCheckNet(nn.Module):
    kind = "eyecheck"

    def __init__(self, in_channels: int = 3, widths: tuple[int, int] = (16, 32), hidden: int = 96,
                 dropout: float = 0.25, patch_k: float = 1.5, threshold: float = 0.5):
        super().__init__()
        if not 0.0 <= float(threshold) <= 1.0:
            raise ValueError(f"threshold must lie in [0, 1], got {threshold}")
        w1, w2 = (int(w) for w in widths)
        self.model_args = {"in_channels": in_channels, "widths": [w1, w2], "hidden": hidden, "dropout": dropout,
                           "patch_k": float(patch_k), "threshold": float(threshold)}
        self.patch = "scaled"
        self.patch_k = float(patch_k)
        self.threshold = float(threshold)
        self.register_buffer("mean", torch.tensor([0.5, 0.5, 0.5][:in_channels]).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor([0.25, 0.25, 0.25][:in_channels]).view(1, -1, 1, 1))
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, w1, 5), nn.ReLU(inplace=True), nn.MaxPool2d(2, 2),
            nn.Conv2d(w1, w2, 5), nn.ReLU(inplace=True), nn.MaxPool2d(2, 2),
            nn.AdaptiveAvgPool2d(5), nn.Flatten(),
        )
        self.head = nn.Sequential(
            nn.Linear(w2 * 25, hidden), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(hidden, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """One logit per patch (N,)."""
        x = (x - self.mean) / self.std
        return self.head(self.features(x)).squeeze(1)
