"""Fine-tuning from a parent checkpoint (--init) and training the localiser from eye points alone."""
from dataclasses import replace

import numpy as np
import pytest

from mgs_core.errors import CheckpointError, DatasetError
from mgs_core.models import UNet, load_checkpoint, save_checkpoint
from mgs_core.train.augment import SegAug
from mgs_core.train.data import patch_source, seg_arrays
from mgs_core.train.score import ScoreConfig, train_score
from mgs_core.train.seg import SegConfig, train_seg

from .train_fixtures import make_items


def _clicks_only(items):
    """A lab's labels: eye points and scores, no masks."""
    return [replace(it, mask=None) for it in items]


@pytest.fixture
def parent(tmp_path):
    import torch

    torch.manual_seed(0)  # the parent's weights must not depend on which tests ran before
    path = tmp_path / "parent_seg.pt"
    save_checkpoint(UNet(widths=(4, 8, 16), input_size=64, keypoint=True), path, {"name": "tiny parent"})
    return path


NO_AUG = SegAug(flip=False, max_rotation=0.0, scale=(1.0, 1.0), max_translate=0.0, photometric=False)


def _keypoint_loss(model, arr, cfg) -> float:
    """The training loss on the un-augmented items (fixed data, so before/after compare like with like)."""
    import torch

    from mgs_core.train.seg import _targets, seg_batch_loss

    rng = np.random.default_rng(0)
    imgs, labs, heat, size_t, size_w = _targets(arr, np.arange(len(arr.images)), rng, cfg)
    x = torch.from_numpy(imgs).permute(0, 3, 1, 2).float() / 255.0
    model.eval()
    with torch.no_grad():
        loss = seg_batch_loss(model, x, torch.from_numpy(labs), torch.from_numpy(arr.has_mask),
                              torch.from_numpy(heat), torch.from_numpy(size_t), torch.from_numpy(size_w),
                              torch.ones(4), torch.ones(4), cfg)
    return float(loss)


def test_clicks_only_fine_tuning_lowers_the_loss_and_records_the_parent(tmp_path, parent):
    arr = seg_arrays(_clicks_only(make_items(16, seed=4, invisible_every=5)), 64)
    assert not arr.has_mask.any() and np.isfinite(arr.points[:, 0]).sum() == 12
    cfg = SegConfig(input_size=64, epochs=12, batch=8, lr=1e-2, seed=1, aug=NO_AUG)
    before = _keypoint_loss(load_checkpoint(parent, kind="unet")[0], arr, cfg)
    model, res = train_seg(arr, arr, tmp_path / "ft.pt", cfg, init=parent)
    assert _keypoint_loss(model, arr, cfg) < 0.7 * before
    assert res.val_iou is None and res.val_found is not None  # no masks: only the localiser is measured
    _, card = load_checkpoint(tmp_path / "ft.pt", kind="unet")
    assert card["parent"]["name"] == "tiny parent"
    assert card["parent"]["sha256"] and card["training"]["n_with_masks"] == 0
    assert card["model_args"]["widths"] == [4, 8, 16]  # the parent's architecture is kept


def test_parent_without_keypoint_head_gains_one(tmp_path):
    old = tmp_path / "old.pt"
    save_checkpoint(UNet(widths=(4, 8, 16), input_size=64), old, {"name": "segmentation only"})
    arr = seg_arrays(make_items(8, seed=2), 64)
    model, _ = train_seg(arr, None, tmp_path / "ft.pt", SegConfig(input_size=64, epochs=1, batch=4), init=old)
    assert model.keypoint
    _, card = load_checkpoint(tmp_path / "ft.pt")
    assert card["parent"]["new_layers"] == ["kp_head"]


def test_fine_tuning_at_another_input_size_keeps_the_weights(tmp_path, parent):
    arr = seg_arrays(make_items(8, seed=5), 96)
    model, _ = train_seg(arr, None, tmp_path / "ft.pt", SegConfig(input_size=96, epochs=1, batch=4, lr=1e-9),
                         init=parent)
    _, card = load_checkpoint(tmp_path / "ft.pt", kind="unet")
    assert model.input_size == 96 and card["model_args"]["input_size"] == 96
    assert card["parent"]["input_size"] == 64 and card["parent"].get("new_layers") == []
    base = load_checkpoint(parent, kind="unet")[0].state_dict()
    for k, v in model.state_dict().items():  # lr ~0: the parent's weights, now used at 96 px
        if v.is_floating_point() and "running" not in k:
            assert np.allclose(v.detach().numpy(), base[k].numpy(), atol=1e-4), k


def test_bad_fine_tuning_input_gets_one_clear_message(tmp_path, parent):
    arr = seg_arrays(make_items(4, seed=3), 64)
    with pytest.raises(DatasetError, match="at least 8"):
        train_seg(arr, None, None, SegConfig(input_size=64, epochs=1, batch=2), init=parent)
    score = tmp_path / "score.pt"
    train_score(patch_source(make_items(8, seed=1)), score, ScoreConfig(epochs=1, batch=4))
    with pytest.raises(CheckpointError, match="expected a 'unet' model"):
        train_seg(seg_arrays(make_items(8, seed=3), 64), None, None, SegConfig(input_size=64, epochs=1), init=score)
    items = _clicks_only(make_items(3, seed=5))
    items[1] = replace(items[1], eye_x=300.0)
    with pytest.raises(DatasetError, match=r"labels.csv row 1: eye point \(300, .*outside the 256 x 256 image"):
        seg_arrays(items, 64)


def test_score_fine_tuning_keeps_patch_mode_and_records_parent(tmp_path):
    items = make_items(16, seed=6)
    items = [replace(it, row=i) for i, it in enumerate(items)]
    for it in items:
        object.__setattr__(it, "extra", {"eye_length": "18"}) if hasattr(it, "extra") else None
    src = patch_source([_with_length(it, 18.0) for it in items], mode="scaled", k=2.5)
    base = tmp_path / "base.pt"
    train_score(src, base, ScoreConfig(epochs=2, batch=8, patch="scaled"))
    model, res = train_score(src, tmp_path / "ft.pt", ScoreConfig(epochs=2, batch=8, patch="scaled"), init=base)
    assert model.patch == "scaled" and model.patch_k == 2.5
    _, card = load_checkpoint(tmp_path / "ft.pt", kind="orbital")
    assert card["parent"]["sha256"] and card["patch"] == {"mode": "scaled", "k": 2.5}
    with pytest.raises(CheckpointError, match="scaled patches"):
        train_score(patch_source(items), None, ScoreConfig(epochs=1, batch=8), init=base)


def _with_length(item, length):
    from mgs_core.train.data import CropItem

    return CropItem(item.image, item.mask, item.eye_x, item.eye_y, item.eye_visible, item.score, item.row,
                    {"eye_length": str(length)})
