"""An evaluation result is tied to the model and data it came from: a model change invalidates it."""
from app_support.evaluation_stamp import CV, PIPELINE, EvalStamp, data_key, file_digest, model_key, stale_reason


def _ckpts(tmp_path):
    seg, score, other = tmp_path / "seg.pt", tmp_path / "score.pt", tmp_path / "score2.pt"
    seg.write_bytes(b"seg weights")
    score.write_bytes(b"score weights v1")
    other.write_bytes(b"score weights v2")
    return seg, score, other


def test_a_pipeline_result_is_invalidated_when_the_model_changes(tmp_path):
    seg, score, other = _ckpts(tmp_path)
    key = model_key(seg, score)
    data = data_key("f" * 64, 40)
    stamp = EvalStamp(PIPELINE, key, "shipped weights", data, "labelled")
    assert stale_reason(stamp, model_key(seg, score), "shipped weights", data, "labelled") is None
    reason = stale_reason(stamp, model_key(seg, other), "retrained on labelled", data, "labelled")
    assert reason and "**shipped weights**" in reason and "**retrained on labelled**" in reason
    score.write_bytes(b"score weights v1, overwritten in place")  # same path, new weights: also a change
    assert stale_reason(stamp, model_key(seg, score), "shipped weights", data, "labelled")
    assert stale_reason(stamp, key + " server:tcp://gpu:5555", "shipped weights", data, "labelled")


def test_a_result_is_invalidated_when_the_data_changes_and_cv_ignores_the_model(tmp_path):
    seg, score, other = _ckpts(tmp_path)
    data = data_key("f" * 64, 0)
    stamp = EvalStamp(PIPELINE, model_key(seg, score), "m", data, "labelled")
    assert "dataset is now **mine.zip**" in stale_reason(stamp, model_key(seg, score), "m", data_key("e" * 64, 0),
                                                         "mine.zip")
    assert stale_reason(stamp, model_key(seg, score), "m", data_key("f" * 64, 40), "labelled")  # other crop limit
    assert "no dataset" in stale_reason(stamp, model_key(seg, score), "m", None, "")
    cv = EvalStamp(CV, None, "m", data, "labelled", "5 folds x 35 epochs")
    assert stale_reason(cv, model_key(seg, other), "other", data, "labelled", "5 folds x 35 epochs") is None
    assert "2 folds x 5 epochs" in stale_reason(cv, None, "m", data, "labelled", "2 folds x 5 epochs")


def test_file_digest(tmp_path):
    seg, score, _ = _ckpts(tmp_path)
    assert file_digest(seg) == file_digest(seg) != file_digest(score)
    assert file_digest(tmp_path / "gone.pt") == "missing"
