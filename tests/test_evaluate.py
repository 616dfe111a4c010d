import json
import math

import numpy as np
import pytest

from mgs_core.evaluate import (
    EvalReport, confusion_matrix, cross_validate, detection_metrics, evaluate_pipeline, eye_errors, iou_per_class,
    kfold_indices, mae_per_bin, score_metrics,
)
from mgs_core.runners.base import Runner
from mgs_core.types import CropResult, RunnerInfo


def test_score_metrics_hand_computed():
    true = [0.0, 2.0, 4.0, 6.0]
    pred = [1.0, 2.0, 3.0, 8.0]
    m = score_metrics(true, pred)
    # diffs pred - true = 1, 0, -1, 2
    assert m.n == 4
    assert m.mae == pytest.approx(1.0)
    assert m.rmse == pytest.approx(math.sqrt(6 / 4))
    assert m.bias == pytest.approx(0.5)
    sd = np.std([1, 0, -1, 2], ddof=1)  # sqrt(5/3)
    assert sd == pytest.approx(math.sqrt(5 / 3))
    assert m.loa_low == pytest.approx(0.5 - 1.96 * sd)
    assert m.loa_high == pytest.approx(0.5 + 1.96 * sd)
    # Pearson r by hand: true mean 3, pred mean 3.5
    dt, dp = np.array([-3, -1, 1, 3.0]), np.array([-2.5, -1.5, -0.5, 4.5])
    assert m.pearson_r == pytest.approx((dt @ dp) / math.sqrt((dt @ dt) * (dp @ dp)))
    # ICC(2,1) by hand from the two-way ANOVA mean squares (n=4 targets, k=2 raters)
    x = np.column_stack([true, pred])
    g = x.mean()
    msr = 2 * np.sum((x.mean(1) - g) ** 2) / 3
    msc = 4 * np.sum((x.mean(0) - g) ** 2) / 1
    mse = (np.sum((x - g) ** 2) - 3 * msr - msc) / 3
    expected = (msr - mse) / (msr + mse + 2 * (msc - mse) / 4)
    assert m.icc == pytest.approx(expected)


def test_perfect_agreement_and_nan_pairs_dropped():
    m = score_metrics([1.0, 5.0, np.nan, 7.0], [1.0, 5.0, 3.0, 7.0])
    assert m.n == 3 and m.mae == 0 and m.bias == 0 and m.icc == pytest.approx(1.0)


def test_mae_per_bin():
    bins = mae_per_bin([0.2, 0.4, 4.6, 9.0], [1.2, 0.4, 4.0, 8.0])
    assert set(bins) == {0, 5, 9}
    assert bins[0].n == 2 and bins[0].mae == pytest.approx(0.5) and bins[0].bias == pytest.approx(0.5)
    assert bins[5].mae == pytest.approx(0.6) and bins[5].bias == pytest.approx(-0.6)
    assert bins[9].mae == pytest.approx(1.0)


def test_eye_errors_and_detection():
    e = eye_errors([[0, 0], [10, 10], [np.nan, np.nan]], [[3, 4], [10, 11], [5, 5]])
    assert e.tolist() == pytest.approx([5.0, 1.0])
    d = detection_metrics([1, 1, 1, 0, 0], [1, 1, 0, 1, 0])
    assert (d.tp, d.fp, d.fn, d.tn) == (2, 1, 1, 1)
    assert d.precision == pytest.approx(2 / 3) and d.recall == pytest.approx(2 / 3) and d.f1 == pytest.approx(2 / 3)


def test_confusion_and_iou():
    t = np.array([[0, 0, 3, 3]])
    p = np.array([[0, 3, 3, 1]])
    cm = confusion_matrix(t, p, 4)
    assert cm[0, 0] == 1 and cm[0, 3] == 1 and cm[3, 3] == 1 and cm[3, 1] == 1
    iou = iou_per_class(cm)
    assert iou[0] == pytest.approx(1 / 2)  # inter 1, union 2
    assert iou[3] == pytest.approx(1 / 3)  # inter 1, union 3
    assert iou[1] == 0.0 and np.isnan(iou[2])


def test_kfold_indices_partition():
    folds = kfold_indices(31, 30, seed=1)
    allidx = np.concatenate(folds)
    assert len(folds) == 30 and sorted(allidx.tolist()) == list(range(31))
    with pytest.raises(ValueError):
        kfold_indices(5, 6)


class OracleRunner(Runner):
    """Finds the eye one pixel off and scores true+0.5, except it misses every fourth visible eye."""

    def __init__(self, items):
        self.by_id = {id(it.image.tobytes()): it for it in items}
        self.items = items
        self.calls = 0

    def infer(self, crops):
        out = []
        for c in crops:
            it = next(i for i in self.items if np.array_equal(i.image, c))
            if not it.eye_visible or it.row % 4 == 1:
                out.append(CropResult(False, None, None, None, 0.0))
            else:
                out.append(CropResult(True, it.eye_x + 1.0, it.eye_y, min(9.0, it.score + 0.5), 0.9))
        return out

    def segment(self, crops):
        labels = np.stack([next(i for i in self.items if np.array_equal(i.image, c)).mask[::2, ::2] for c in crops])
        return labels, (labels == 3).astype(np.float32)

    def info(self):
        return RunnerInfo("local", "cpu", 256)


def test_evaluate_pipeline_with_fake_runner(tmp_path):
    from train.train_fixtures import make_items

    items = make_items(12, seed=3, invisible_every=6)  # rows 0 and 6 invisible
    calls = []
    rep = evaluate_pipeline(OracleRunner(items), items, baseline_mean=4.5, batch=5,
                            progress=lambda d, t, m: calls.append((d, t)))
    assert isinstance(rep, EvalReport) and rep.n == 12
    assert calls[-1] == (12, 12)
    # visible rows: 1,2,3,4,5,7,8,9,10,11; missed rows 1, 5, 9 -> tp 7, fn 3, fp 0
    assert rep.detection.tp == 7 and rep.detection.fn == 3 and rep.detection.fp == 0
    assert rep.eye_err_px_median == pytest.approx(1.0)
    assert rep.score.n == 7
    sel = rep.predictions.true_visible & rep.predictions.pred_visible
    assert rep.score.mae == pytest.approx(np.mean(np.abs(rep.predictions.pred_score[sel] - rep.predictions.true_score[sel])))
    assert rep.baseline_value == 4.5
    assert rep.iou["eyes"] > 0.5  # nearest-subsampled mask vs area-resized mask: close, not identical
    d = rep.to_dict()
    for key in ("mae", "rmse", "bias", "loa_low", "loa_high", "pearson_r", "icc", "eye_err_px_median",
                "eye_err_px_p95", "eye_visible_f1", "iou_eye", "iou_animal", "iou_ears", "n", "baseline"):
        assert key in d
    json.dumps(d)  # serialisable
    assert len(rep.predictions.to_frame()) == 12
    assert "MAE" in rep.summary()


def test_cross_validate_tiny():
    from mgs_core.train.score import ScoreConfig
    from train.train_fixtures import make_items

    items = make_items(12, seed=4)
    rep = cross_validate(items, folds=3, config=ScoreConfig(epochs=1, batch=4), seed=0)
    assert rep.mode == "cv" and rep.n == 12 and len(rep.fold_mae) == 3
    assert np.all((rep.predictions.pred_score >= 0) & (rep.predictions.pred_score <= 9))
    assert set(rep.predictions.fold.tolist()) == {0, 1, 2}
    assert np.isfinite(rep.baseline.mae)
