"""U-Net (Ronneberger et al. 2015) for 4-class segmentation of ROI crops: background, animal, ears, eyes.

The constructor only assembles parts; its arguments are stored in checkpoints so a checkpoint rebuilds itself.
Input: float32 N x 3 x H x W in [0, 1] (RGB; H and W divisible by 2**(len(widths)-1)). Output: N x classes x H x W logits.
Normalisation happens inside the model, so runners only divide uint8 images by 255.

``keypoint=True`` adds an eye keypoint head on the decoder (as DeepLabCut/SLEAP/CenterNet do): two more output
channels after the class logits, channel ``classes`` = eye-centre heatmap logit (its sigmoid peaks at the eye centre
and is ~0 where no eye is visible, so the peak value is the visibility confidence), channel ``classes + 1`` = log2 of
the eye length in 256-px crop pixels, read at the peak. The eye's position is defined by the head, so the heatmap
peaks on a shut eye too, where the eye-class region is thin. Checkpoints without the head load as before.
"""
from __future__ import annotations

import torch
from torch import nn

CLASSES = ("background", "animal", "ears", "eyes")


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    kind = "unet"

    def __init__(self, in_channels: int = 3, classes: int = 4, widths: tuple[int, ...] = (8, 16, 32, 64),
                 input_size: int = 128, keypoint: bool = False):
        super().__init__()
        self.model_args = {"in_channels": in_channels, "classes": classes, "widths": list(widths),
                           "input_size": input_size}
        if keypoint:
            self.model_args["keypoint"] = True
        self.keypoint = bool(keypoint)
        self.classes = classes
        self.input_size = input_size
        self.register_buffer("mean", torch.tensor([0.5, 0.5, 0.5][:in_channels]).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor([0.25, 0.25, 0.25][:in_channels]).view(1, -1, 1, 1))
        self.down = nn.ModuleList()
        cin = in_channels
        for w in widths:
            self.down.append(_block(cin, w))
            cin = w
        self.pool = nn.MaxPool2d(2)
        self.up = nn.ModuleList()
        self.dec = nn.ModuleList()
        for w in reversed(widths[:-1]):
            self.up.append(nn.ConvTranspose2d(cin, w, 2, stride=2))
            self.dec.append(_block(2 * w, w))
            cin = w
        self.head = nn.Conv2d(cin, classes, 1)
        if keypoint:
            kw = cin
            self.kp_head = nn.Sequential(nn.Conv2d(cin + widths[1] if len(widths) > 1 else cin, kw, 3, padding=1),
                                         nn.ReLU(inplace=True), nn.Conv2d(kw, 2, 1))
            with torch.no_grad():  # start with a low heatmap everywhere (CenterNet's prior) and a 16-px eye
                self.kp_head[-1].bias.copy_(torch.tensor([-4.0, 4.0]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - self.mean) / self.std
        skips = []
        for i, block in enumerate(self.down):
            x = block(x)
            if i < len(self.down) - 1:
                skips.append(x)
                x = self.pool(x)
        half = None
        for up, dec in zip(self.up, self.dec):
            x = up(x)
            x = dec(torch.cat([x, skips.pop()], dim=1))
            if x.shape[1] == self._half_width:
                half = x
        logits = self.head(x)
        if not self.keypoint:
            return logits
        ctx = x if half is None or half.shape[-1] == x.shape[-1] else torch.nn.functional.interpolate(
            half, size=x.shape[-2:], mode="bilinear", align_corners=False)
        return torch.cat([logits, self.kp_head(torch.cat([x, ctx], dim=1))], dim=1)

    @property
    def _half_width(self) -> int:
        return int(self.model_args["widths"][1]) if len(self.model_args["widths"]) > 1 else -1
