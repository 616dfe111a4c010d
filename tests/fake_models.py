"""Deterministic stand-in networks for engine tests (no training needed)."""
import torch


class DarkEyeNet(torch.nn.Module):
    """Fake segmenter: pixels darker than 0.2 are 'eyes' (class 3), the rest 'animal' (class 1)."""

    input_size = 128

    def forward(self, x):
        dark = (x.mean(1, keepdim=True) < 0.2).float()
        zero = torch.zeros_like(dark)
        return torch.cat([zero, 5 * (1 - dark), zero, dark * 10], 1)  # dark -> eye, everything else -> animal
