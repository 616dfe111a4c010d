"""Model evaluation: results cleared when the model changes, training on the dataset flags evaluating on it, the
sidebar names a newly trained model at once, a CV worse than the baseline or too short gets a plain warning."""
from conftest import errors


def _sidebar_text(at) -> str:
    return " ".join(m.value for m in at.sidebar.markdown)


def test_training_activates_at_once_clears_old_results_and_flags_the_training_set(app_env):
    at = app_env("pages/5_Evaluate.py")
    at.number_input(key="ev_limit").set_value(8)
    at.button(key="ev_run").click().run()
    assert not errors(at), errors(at)
    assert [m.label for m in at.metric][:1] == ["MAE"]
    assert any("Model:" in c.value for c in at.caption)
    at.number_input(key="tr_epochs").set_value(1)
    at.button(key="tr_run").click().run()
    assert not errors(at), errors(at)
    assert "retrained on labelled" in _sidebar_text(at)  # the sidebar of this very run names the new model
    assert any("It is now the active model" in s.value for s in at.success)
    assert not at.metric  # the previous model's figures are gone ...
    assert any("Earlier results cleared" in i.value and "retrained on labelled" in i.value for i in at.info)
    assert any("trained on this dataset" in w.value for w in at.warning)  # ... and evaluating on its data is flagged
    at.run()  # the message is shown once
    assert not any("It is now the active model" in s.value for s in at.success)


def test_a_short_cross_validation_worse_than_the_baseline_warns(app_env):
    at = app_env("pages/5_Evaluate.py")
    at.radio(key="ev_mode").set_value("k-fold cross-validation").run()
    at.slider(key="ev_folds").set_value(2)
    at.number_input(key="ev_epochs").set_value(1)
    at.number_input(key="ev_limit").set_value(12)
    at.button(key="ev_run").click().run()
    assert not errors(at), errors(at)
    warnings = [w.value for w in at.warning]
    assert any("trained for 1 epochs (2 folds)" in w and "trains for 35" in w for w in warnings), warnings
    mae = float(next(m.value for m in at.metric if m.label == "MAE"))
    base = next(c.value for c in at.caption if c.value.startswith("Trivial baseline"))
    base_mae = float(base.split("MAE ")[1].split(",")[0])
    assert any("no better than the trivial baseline" in w for w in warnings) == (mae >= base_mae)
