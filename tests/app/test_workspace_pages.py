"""The workspace in the pages (AppTest): bad workspace folders and hand-edited runs give one message each."""
from conftest import errors


def test_a_workspace_that_cannot_be_written_switches_scoring_off(app_env, monkeypatch):
    monkeypatch.setenv("MGS_WORKSPACE", "/proc/self")  # /proc/self/default cannot be created, not even by root
    at = app_env("pages/3_Batch.py")
    assert not at.exception
    msgs = [e.value for e in at.error]
    assert any("/proc/self/default cannot be created" in m and "Scoring is off" in m for m in msgs), msgs
    assert at.button(key="batch_run").disabled


def test_a_hand_edited_run_is_named_once_and_the_others_stay_listed(app_env):
    at = app_env("pages/3_Batch.py")
    at.number_input(key="batch_limit").set_value(2)
    at.button(key="batch_run").click().run()
    at.number_input(key="batch_stride").set_value(3).run()
    at.button(key="batch_run").click().run()
    assert not errors(at), errors(at)
    runs = sorted((app_env.work_dir.parent / "workspaces" / "default" / "runs").iterdir())
    assert len(runs) == 2
    (runs[0] / "run.json").write_text("{ not json")
    at = app_env("pages/3_Batch.py")
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and f"run folder {runs[0].name}: run.json is not valid JSON" in warnings[0]
    assert at.table[0].value["run"].tolist() == [runs[1].name] and not at.exception
    c = app_env("pages/4_Curves.py")  # Score curves says it once too, and opens the other run
    assert sum("is not valid JSON" in w.value for w in c.warning) == 1 and not errors(c)
