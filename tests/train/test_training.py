import pickle

import numpy as np
import pytest
import torch

from mgs_core.errors import DatasetError
from mgs_core.models import load_checkpoint
from mgs_core.train.cifar import conv_weights, load_cifar10, pretrain_cifar10
from mgs_core.train.data import patch_source, resize_labels, seg_arrays
from mgs_core.train.score import ScoreConfig, center_patches, predict_patches, recipe_config, train_score
from mgs_core.train.seg import SegConfig, predict_labels, train_seg

from .train_fixtures import make_items


def test_resize_labels_keeps_small_eye():
    mask = np.zeros((256, 256), np.uint8)
    mask[100:104, 60:66] = 3
    small = resize_labels(mask, 128)
    assert small.shape == (128, 128) and (small == 3).sum() == 6  # 2 x 3 cells exactly


def test_score_training_lowers_loss_and_saves_card(tmp_path):
    src = patch_source(make_items(40, seed=1))
    cfg = ScoreConfig(epochs=6, batch=16, lr=0.01, seed=5)
    model, res = train_score(src, tmp_path / "score.pt", cfg, card={"note": "unit test"})
    losses = [h.loss for h in res.history]
    assert losses[-1] < losses[0]
    assert res.train_mean == pytest.approx(float(src.scores.mean()))
    loaded, card = load_checkpoint(tmp_path / "score.pt", kind="orbital")
    assert card["note"] == "unit test" and card["training"]["recipe"] == "paper"
    assert card["train_score_mean"] == pytest.approx(res.train_mean)
    p = center_patches(src)
    assert np.allclose(predict_patches(loaded, p), predict_patches(model, p), atol=1e-5)


def test_l1_score_training_lowers_its_loss_and_records_it(tmp_path):
    src = patch_source(make_items(40, seed=1))
    cfg = ScoreConfig(epochs=6, batch=16, lr=0.01, seed=5, loss="l1")
    _, res = train_score(src, tmp_path / "l1.pt", cfg)
    assert res.history[-1].loss < res.history[0].loss
    assert load_checkpoint(tmp_path / "l1.pt", kind="orbital")[1]["training"]["config"]["loss"] == "l1"
    assert recipe_config("paper").loss == "mse"  # the paper's loss stays the default
    with pytest.raises(ValueError, match="loss"):
        train_score(src, None, ScoreConfig(epochs=1, loss="huber"))


def test_score_training_is_reproducible():
    src = patch_source(make_items(12, seed=2))
    cfg = ScoreConfig(epochs=1, batch=4, seed=9)
    a, _ = train_score(src, None, cfg)
    b, _ = train_score(src, None, cfg)
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(va, vb), k


def test_paper_recipe_defaults():
    cfg = recipe_config("paper")
    assert (cfg.epochs, cfg.batch, cfg.lr, cfg.momentum, cfg.optimizer) == (35, 32, 1e-3, 0.9, "sgd")
    assert cfg.aug.max_rotation == 30 and cfg.aug.max_shift == 5 and cfg.balanced
    assert recipe_config("improved", epochs=3).epochs == 3


def test_patch_source_skips_invisible_and_rejects_empty():
    items = make_items(6, seed=3, invisible_every=2)
    assert len(patch_source(items)) == 3
    with pytest.raises(DatasetError):
        patch_source([it for it in items if not it.eye_visible])


def test_seg_training_lowers_loss_and_resumes(tmp_path):
    items = make_items(16, seed=4)
    arr = seg_arrays(items, 64)
    cfg = SegConfig(widths=(4, 8, 16), input_size=64, epochs=3, batch=8, lr=1e-2, seed=1)
    out = tmp_path / "seg.pt"
    seen = []
    model, res = train_seg(arr, arr, out, cfg, progress=seen.append)
    assert [s.epoch for s in seen] == [1, 2, 3]
    assert res.history[-1].loss < res.history[0].loss
    assert res.val_iou is not None and len(res.val_iou) == 4
    assert "val eyes found" in seen[-1].line() and "ETA" in seen[-1].line()
    loaded, card = load_checkpoint(out, kind="unet")
    assert card["training"]["epochs_done"] == 3 and loaded.input_size == 64
    # resume: asking for 4 epochs continues from epoch 3
    cfg4 = SegConfig(**{**cfg.__dict__, "epochs": 4})
    _, res4 = train_seg(arr, None, out, cfg4, resume=True)
    assert res4.epochs == 4 and len(res4.history) == 4
    assert predict_labels(loaded, arr.images[:2]).shape == (2, 64, 64)


def _write_cifar_batch(path, n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    data = np.zeros((n, 3, 32, 32), np.uint8)
    for i, lab in enumerate(labels):  # the class is visible: a bright band whose row depends on the label
        data[i, :, 3 * lab : 3 * lab + 3, :] = 255
    with open(path, "wb") as f:
        pickle.dump({b"data": data.reshape(n, 3072), b"labels": labels.tolist()}, f)


def test_cifar_pretraining_and_transfer(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    _write_cifar_batch(folder / "data_batch_1", 64, 0)
    data = load_cifar10(folder)
    assert data.images.shape == (64, 50, 50, 3) and data.labels.shape == (64,)
    model, hist = pretrain_cifar10(folder, epochs=4, batch=16, lr=0.05, seed=0)
    assert hist[-1].loss < hist[0].loss
    assert model.model_args["head_classes"] == 10
    feats = conv_weights(model)
    assert set(feats) == {"features.0.weight", "features.0.bias", "features.3.weight", "features.3.bias"}
    src = patch_source(make_items(8, seed=5))
    reg, _ = train_score(src, None, ScoreConfig(epochs=1, batch=4, lr=0.0), init_features=feats)
    assert torch.equal(reg.features[0].weight, feats["features.0.weight"])  # lr 0: transferred weights unchanged


def test_cifar_bad_folder(tmp_path):
    with pytest.raises(DatasetError, match="data_batch_1"):
        load_cifar10(tmp_path)
    (tmp_path / "data_batch_1").write_bytes(b"not a pickle")
    with pytest.raises(DatasetError, match="data_batch_1"):
        load_cifar10(tmp_path)
