"""Fine-tuning on a label set's export: both networks from a parent, CV before/after, card, progress, cancel."""
import threading

import pytest

from mgs_core.errors import DatasetError
from mgs_core.labels.exchange import export_dataset
from mgs_core.train.finetune import FinetuneCancelled, finetune


@pytest.fixture()
def parents(tmp_path):
    import torch

    from mgs_core.models import OrbitalNet, UNet, save_checkpoint

    torch.manual_seed(0)
    seg, score = tmp_path / "p_seg.pt", tmp_path / "p_score.pt"
    save_checkpoint(UNet(widths=(4, 8, 16), input_size=64, keypoint=True), seg, {"name": "tiny parent U-Net"})
    save_checkpoint(OrbitalNet(), score, {"name": "tiny parent regressor"})
    return seg, score


@pytest.fixture()
def dataset(label_set, tmp_path):
    label_set.add_rater("Alice")
    for k, it in enumerate(label_set.items):
        label_set.label("Alice", it.name, k % 9, (120 + k, 118))
    export_dataset(label_set, "Alice", tmp_path / "lab1_Alice")
    return tmp_path / "lab1_Alice"


@pytest.mark.slow
def test_finetune_writes_both_networks_and_a_card_naming_data_parent_and_figures(dataset, parents, tmp_path):
    from mgs_core.models import load_checkpoint
    from mgs_core.runners import load_runner

    seen = []
    res = finetune(dataset, tmp_path / "ft", init=parents, epochs_seg=1, epochs_score=2, folds=2,
                   progress=lambda s, d, t, e: seen.append((s, d, t)))
    assert res.seg_path.is_file() and res.score_path.is_file()
    assert not (tmp_path / "ft.work").exists()
    _, seg_card = load_checkpoint(res.seg_path, kind="unet")
    _, score_card = load_checkpoint(res.score_path, kind="orbital")
    assert seg_card["parent"]["name"] == "tiny parent U-Net" and score_card["parent"]["name"] == "tiny parent regressor"
    card = res.card
    assert card["data"]["raters"] == ["Alice"] and card["data"]["label_sets"] == ["lab1"]
    assert card["parent"]["score"]["sha256"] and card["cv"]["folds"] == 2
    assert res.cv_before.n == res.cv_after.n == 8
    md = (tmp_path / "ft" / "model_card.md").read_text()
    assert "before (parent)" in md and "after (fine-tuned)" in md and "Alice" in md
    done = [d for _, d, _ in seen]
    assert done == sorted(done) and seen[-1] == ("done", 2 * 2 + 1 + 2, 2 * 2 + 1 + 2)
    runner = load_runner(seg=str(res.seg_path), score=str(res.score_path))  # the result is a usable model
    assert len(runner.infer(__import__("numpy").zeros((1, 256, 256, 3), "uint8"))) == 1


def test_cancel_stops_the_job_and_writes_no_model(dataset, parents, tmp_path):
    cancel = threading.Event()

    def progress(stage, done, total, eta):
        if done >= 1:
            cancel.set()

    with pytest.raises(FinetuneCancelled):
        finetune(dataset, tmp_path / "ft", init=parents, epochs_seg=1, epochs_score=3, folds=2, progress=progress,
                 cancel=cancel)
    assert not (tmp_path / "ft").exists()


def test_a_dataset_too_small_for_kfold_is_refused_with_one_message(dataset, parents, tmp_path):
    with pytest.raises(DatasetError, match="5-fold cross-validation and fine-tuning need at least 10"):
        finetune(dataset, tmp_path / "ft", init=parents, folds=5)
    with pytest.raises(DatasetError, match="at least 2 folds"):
        finetune(dataset, tmp_path / "ft", init=parents, folds=1)
