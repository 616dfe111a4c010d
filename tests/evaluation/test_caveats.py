"""Plain warnings for evaluation figures that would mislead: worse than the baseline, too few epochs, own data."""
import numpy as np

from mgs_core.evaluation.caveats import caveats, trained_on
from mgs_core.evaluation.metrics import score_metrics
from mgs_core.evaluation.report import EvalReport, Predictions


def report(mode, model_err, base_err, fold_mae=(), meta=None):
    true = np.array([1.0, 3.0, 5.0, 7.0])
    pred = true + np.array(model_err)
    n = len(true)
    nan = np.full(n, np.nan)
    return EvalReport(mode=mode, n=n, score=score_metrics(true, pred),
                      baseline=score_metrics(true, true + np.array(base_err)), baseline_value=4.0, per_bin={},
                      eye_err_px_median=np.nan, eye_err_px_p95=np.nan, detection=None, iou={},
                      predictions=Predictions(np.arange(n), true, pred, nan, nan, nan, nan, nan, nan, nan),
                      fold_mae=tuple(fold_mae), meta=meta or {})


def test_cv_worse_than_the_baseline_and_too_few_epochs_both_warn():
    rep = report("cv", [3, -3, 2.5, -2.5], [2, -2, 2, -2], fold_mae=(2.6, 2.9), meta={"epochs": 5})
    out = caveats(rep, recipe_epochs=35)
    assert len(out) == 2
    assert "no better than the trivial baseline: MAE 2.750 vs 2.000" in out[0] and "predicting 4.00" in out[0]
    assert "5 epochs (2 folds)" in out[1] and "trains for 35" in out[1]


def test_a_model_that_beats_the_baseline_with_the_recipe_s_epochs_gets_no_warning():
    assert caveats(report("cv", [0.2, -0.2, 0.1, 0], [2, -2, 2, -2], meta={"epochs": 35}), recipe_epochs=35) == []
    assert caveats(report("pipeline", [0.2, -0.2, 0.1, 0], [2, -2, 2, -2])) == []
    assert "The model is no better" in caveats(report("pipeline", [2, -2, 2, -2], [1, -1, 1, -1]))[0]


def test_trained_on_compares_the_card_s_training_labels_hash():
    card = {"name": "score net retrained on labelled", "training_data_sha256": "ab" * 32}
    assert "trained on this dataset (labelled)" in trained_on(card, "ab" * 32, "labelled")
    assert trained_on(card, "cd" * 32, "labelled") is None
    assert trained_on({}, "ab" * 32) is None and trained_on(card, "") is None
