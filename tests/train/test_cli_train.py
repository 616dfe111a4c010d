import json

import pytest

from mgs_core.cli import main
from mgs_core.io.dataset import LabelledSample, save_dataset
from mgs_core.models import load_checkpoint
from mgs_core.runners.local import LocalRunner

from .train_fixtures import make_items


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("ds")
    samples = [LabelledSample(it.image, it.mask, it.eye_x, it.eye_y, it.eye_visible,
                              it.score if it.eye_visible else None) for it in make_items(16, seed=7, invisible_every=5)]
    save_dataset(root, samples)
    return root


@pytest.mark.slow
def test_train_seg_score_release_evaluate(tiny_dataset, tmp_path, capsys):
    seg, score = tmp_path / "seg.pt", tmp_path / "score.pt"
    assert main(["train", "seg", "--data", str(tiny_dataset), "--val", str(tiny_dataset), "--out", str(seg),
                 "--epochs", "1", "--batch", "8", "--widths", "4,8,16", "--input-size", "64", "--seed", "3"]) == 0
    err = capsys.readouterr().err
    assert "epoch 1/1" in err and "val eyes found" in err and "ETA" in err
    assert main(["train", "score", "--data", str(tiny_dataset), "--out", str(score), "--epochs", "2",
                 "--batch", "4", "--seed", "3"]) == 0
    _, card = load_checkpoint(score, kind="orbital")
    assert card["seed"] == 3 and card["command"].startswith("mgs train score") and "code_version" in card
    assert card["training"]["recipe"] == "paper"
    out = tmp_path / "eval.json"
    assert main(["evaluate", "--data", str(tiny_dataset), "--seg", str(seg), "--score", str(score), "--json",
                 str(out), "--backend", "torch", "--predictions", str(tmp_path / "pred.csv"),
                 "--min-confidence", "0.55", "--zoom-below", "0.65", "--flip-tta", "on", "--zoom-focus", "0.5",
                 "--zoom-focus-close", "0.33", "--zoom-out", "0.4", "--zoom-agree", "0.4", "--refine-below", "14",
                 "--score-shift", "1"]) == 0
    d = json.loads(out.read_text())
    assert d["decision"]["min_confidence"] == 0.55 and d["decision"]["zoom_below"] == 0.65
    assert d["decision"]["flip_tta"] is True and d["decision"]["zoom_focus"] == 0.5
    assert d["decision"]["zoom_focus_close"] == 0.33 and d["decision"]["refine_below"] == 14.0
    assert d["decision"]["zoom_out"] == 0.4 and d["decision"]["zoom_agree"] == 0.4 and "zoom_last" not in d["decision"]
    assert d["score_tta"] == {"shift_px": 1.0}
    assert d["mode"] == "pipeline" and d["n"] == 16 and "iou_eye" in d and "baseline" in d
    assert d["baseline"]["prediction"] == pytest.approx(card["train_score_mean"])
    assert (tmp_path / "pred.csv").read_text().startswith("row,")
    dest = tmp_path / "weights"
    assert main(["train", "release", "--seg", str(seg), "--score", str(score), "--eval", str(out),
                 "--dest", str(dest)]) == 0
    _, rcard = load_checkpoint(dest / "score.pt", kind="orbital")
    assert "never on real mice" in rcard["trained_on"] and "mae" in rcard["held_out_metrics"]
    assert rcard["tta"] == {"shift_px": 1.0}  # the score's test-time augmentation it was evaluated with
    assert (dest / "seg.card.md").is_file()
    # the U-Net ships with the thresholds it was evaluated with, and the runner uses them
    _, scard = load_checkpoint(dest / "seg.pt", kind="unet")
    assert scard["decision"]["min_confidence"] == 0.55
    runner = LocalRunner.from_checkpoints(dest / "seg.pt", dest / "score.pt", backend="torch", check=None)
    assert runner.keypoint_rules.min_confidence == 0.55 and runner.zoom.below == 0.65 and runner.flip_tta
    assert runner.zoom.focus == 0.5 and runner.zoom.focus_close == 0.33 and runner.score_shift == 1.0
    assert runner.refine.below == 14.0 and runner.refine.side == 0.4 and runner.zoom.out == 0.4
    assert runner.zoom.agree == 0.4
    assert main(["evaluate", "--data", str(tiny_dataset), "--seg", str(seg), "--min-confidence", "1.5"]) == 2
    assert "--min-confidence" in capsys.readouterr().err
    assert main(["evaluate", "--data", str(tiny_dataset), "--seg", str(seg), "--zoom-focus", "1.2"]) == 2
    assert "--zoom-focus" in capsys.readouterr().err
    assert main(["evaluate", "--data", str(tiny_dataset), "--seg", str(seg), "--zoom-focus-close", "-0.1"]) == 2
    assert "--zoom-focus-close" in capsys.readouterr().err
    assert main(["evaluate", "--data", str(tiny_dataset), "--seg", str(seg), "--refine-side", "1.5"]) == 2
    assert "--refine-side" in capsys.readouterr().err
    assert main(["evaluate", "--data", str(tiny_dataset), "--seg", str(seg), "--score-shift", "-1"]) == 2
    assert "--score-shift" in capsys.readouterr().err


@pytest.mark.slow
def test_evaluate_folds(tiny_dataset, tmp_path):
    out = tmp_path / "cv.json"
    assert main(["evaluate", "--data", str(tiny_dataset), "--folds", "3", "--epochs", "1", "--json", str(out)]) == 0
    d = json.loads(out.read_text())
    assert d["mode"] == "cv" and d["folds"] == 3 and d["n"] == 12


def test_bad_input_is_one_line_error(tmp_path, capsys, tiny_dataset):
    assert main(["evaluate", "--data", str(tmp_path / "nope")]) == 2
    assert "error:" in capsys.readouterr().err
    assert main(["evaluate", "--data", str(tiny_dataset), "--folds", "99"]) == 2
    assert "--folds" in capsys.readouterr().err
    assert main(["train", "score", "--data", str(tiny_dataset), "--out", str(tmp_path / "s.pt"),
                 "--pretrain", "cifar10"]) == 2
    assert "--cifar-dir" in capsys.readouterr().err
    assert main(["train", "score", "--data", str(tiny_dataset), "--out", str(tmp_path / "s.pt"), "--width", "0"]) == 2
    assert "--width" in capsys.readouterr().err
    assert main(["train", "score", "--data", str(tiny_dataset), "--out", str(tmp_path / "s.pt"), "--max-shift",
                 "7"]) == 2
    assert "--max-shift" in capsys.readouterr().err
    assert main(["train", "seg", "--data", str(tiny_dataset), "--out", str(tmp_path / "g.pt"), "--edge-aug", "1.5"]) == 2
    assert "--edge-aug" in capsys.readouterr().err
    (tmp_path / "notckpt.pt").write_bytes(b"garbage")
    assert main(["evaluate", "--data", str(tiny_dataset), "--seg", str(tmp_path / "notckpt.pt"),
                 "--score", str(tmp_path / "notckpt.pt")]) == 2
    assert "checkpoint" in capsys.readouterr().err


def test_train_eyecheck_cli_writes_a_checkpoint_with_its_threshold(tmp_path, capsys):
    data = tmp_path / "rendered"
    assert main(["synth", "dataset", "--out", str(data), "--n", "12", "--seed", "4242", "--workers", "1"]) == 0
    out = tmp_path / "check.pt"
    assert main(["train", "eyecheck", "--data", str(data), "--val", str(data), "--out", str(out), "--epochs", "1",
                 "--threads", "1"]) == 0
    model, card = load_checkpoint(out, kind="eyecheck")
    assert 0.01 <= model.threshold <= 0.9 and card["threshold"]["threshold"] == model.threshold
    assert sum(card["training"]["candidates"].values()) == card["training"]["n_train"]
    assert "saved" in capsys.readouterr().out


def test_train_score_max_shift_is_recorded(tiny_dataset, tmp_path):
    out = tmp_path / "s.pt"
    assert main(["train", "score", "--data", str(tiny_dataset), "--out", str(out), "--epochs", "1", "--batch", "4",
                 "--max-shift", "2", "--flip", "--seed", "3"]) == 0
    _, card = load_checkpoint(out, kind="orbital")
    aug = card["training"]["config"]["aug"]
    assert aug["max_shift"] == 2 and aug["flip"] is True and "--max-shift 2" in card["command"]
