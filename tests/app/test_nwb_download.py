"""The Batch and Curves pages offer the scored results as an NWB download."""
from conftest import errors


def test_batch_and_curves_offer_nwb(app_env):
    at = app_env("pages/3_Batch.py")
    at.number_input(key="batch_limit").set_value(2)
    at.number_input(key="batch_stride").set_value(3)
    at.button(key="batch_run").click().run()
    assert not errors(at), errors(at)
    runs = at.table[0].value  # the workspace's run list
    assert runs["status"].tolist() == ["done"]
    assert "batch_dl_nwb" in {b.key for b in at.get("download_button")}
    assert list(app_env.work_dir.rglob(f"{runs['run'].iloc[0]}.nwb"))
    at.button(key="batch_run").click().run()  # the same job again: the finished run is reused, not rescored
    assert not errors(at) and at.table[0].value["status"].tolist() == ["done"]
    assert any("already scored with these settings" in c.value for c in at.caption)
