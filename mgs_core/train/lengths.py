"""Eye lengths for labelled items that have only an eye point (a lab's clicks): read off a keypoint U-Net.

Scale-normalised patches need each training eye's length. A rater clicks the eye centre but does not measure the
eye, so :func:`fill_eye_lengths` runs a keypoint U-Net (``UNet(keypoint=True)``; the shipped one by default) on each
such crop and reads its log2-length map at the clicked point: the same estimate inference will use, so training and
inference patches share the scale. Items that already have an ``eye_length`` are left as they are.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from mgs_core.errors import CheckpointError
from mgs_core.train.data import crop_to_map, item_eye_length, item_image, resize_image


def fill_eye_lengths(items, seg: str | Path = "default", batch: int = 32) -> list:
    """``items`` with ``extra["eye_length"]`` filled in (crop px) for visible eyes that lack it."""
    items = list(items)
    todo = [i for i, it in enumerate(items) if bool(it.eye_visible) and it.eye_x is not None
            and item_eye_length(it) is None]
    if not todo:
        return items
    import torch

    from mgs_core.train.seg import load_init, predict_maps

    model, card = load_init(seg)
    if not getattr(model, "keypoint", False):
        raise CheckpointError(f"{card.get('path')}: this U-Net has no eye keypoint head, so it cannot estimate eye "
                              "lengths; give a keypoint U-Net with --lengths-from, or use --patch fixed")
    s = int(model.model_args["input_size"])
    torch.set_num_threads(2)
    for a in range(0, len(todo), batch):
        part = todo[a : a + batch]
        imgs = [item_image(items[i]) for i in part]
        _, _, log2len = predict_maps(model, np.stack([resize_image(im, s) for im in imgs]))
        for k, i in enumerate(part):
            h, w = imgs[k].shape[:2]
            u = int(np.clip(round(crop_to_map(float(items[i].eye_x), w, s)), 0, s - 1))
            v = int(np.clip(round(crop_to_map(float(items[i].eye_y), h, s)), 0, s - 1))
            length = float(2.0 ** log2len[k, v, u]) * w / 256.0
            extra = {**(getattr(items[i], "extra", None) or {}), "eye_length": f"{length:.2f}",
                     "eye_length_source": "estimated"}
            items[i] = replace(items[i], extra=extra)
    return items
