"""AppTest of the Label and Agreement pages on a label set made from the sample video by a stand-in runner."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mgs_core.runners.base import Runner
from mgs_core.types import SCORED, CropResult, RunnerInfo

from conftest import errors


class BrightnessRunner(Runner):
    """Deterministic stand-in: an eye at the crop centre, score from the brightness, varying certainty."""

    def infer(self, crops):
        return [CropResult(True, 128.0, 128.0, round(float(c.mean()) % 9, 3), 0.9, 30, SCORED, 14.0,
                           scorability=float(c[..., 0].mean() / 255)) for c in crops]

    def info(self):
        return RunnerInfo("local", "cpu", 256, {"name": "stand-in seg"}, {"name": "stand-in score"})


@pytest.fixture()
def labelled(app_env, monkeypatch, tmp_path):
    from mgs_core.io.rois import load_rois
    from mgs_core.labels.pick import VideoInput, create_label_set

    monkeypatch.setenv("MGS_LABELS_DIR", str(tmp_path / "labels"))
    video = app_env.data_dir / "demo.mp4"
    rois = video.with_name("demo.rois.json")
    ls = create_label_set(tmp_path / "labels" / "lab1", [VideoInput(video, load_rois(rois) if rois.is_file() else None)],
                          BrightnessRunner(), 8, min_gap_s=0.5, stride=10)
    ls.add_rater("Alice")
    ls.add_rater("Bob", scale="0-9")
    for k, it in enumerate(ls.items):
        ls.label("Alice", it.name, None if k == 1 else k % 10, (128, 128))
        ls.label("Bob", it.name, (k + 2) % 10, (130, 126))
    return ls


def _texts(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [t.value for t in at.title]
    parts += [s.value for s in at.subheader] + [str(s.value) for s in at.selectbox] + [i.value for i in at.info]
    parts += [p.proto.text for p in at.get("progress")] + [e.value for e in at.success]
    return "\n".join(str(p) for p in parts)


def test_blind_view_shows_no_model_score_or_video(app_env, labelled):
    at = app_env()
    at.query_params.update({"step": "2. Label", "set": "lab1", "rater": "Alice"})
    at.switch_page("pages/6_Label.py")
    at.run()
    assert not errors(at), errors(at)
    text = _texts(at)
    assert f"{len(labelled)} of {len(labelled)}" in text
    item = labelled.items[0]
    assert "demo" not in text and item.animal not in text
    for it in labelled.items:
        assert f"{it.model_score:.2f}" not in text
    at.toggle(key="lab_blind").set_value(False).run()
    assert "demo.mp4" in _texts(at)


def test_same_rater_name_twice_is_refused_in_the_page(app_env, labelled):
    at = app_env()
    at.query_params.update({"step": "2. Label", "set": "lab1"})
    at.switch_page("pages/6_Label.py")
    at.run()
    at.selectbox(key="lab_rater_lab1").set_value("New rater…").run()
    at.text_input(key="lab_new_rater").set_value("alice").run()
    at.button(key="lab_add_rater").click().run()
    assert any("already labels set" in e for e in errors(at))
    assert len(labelled.rater("Alice").labels) == len(labelled)


def test_agreement_page_equals_mgs_agree(app_env, labelled, tmp_path):
    from mgs_core.cli import main

    at = app_env()
    at.switch_page("pages/7_Agreement.py")
    at.run()
    assert not errors(at), errors(at)
    at.button(key="ag_run").click().run()
    assert not errors(at), errors(at)
    res = at.session_state["ag_result"]
    files = res.folder / "files"
    raters = sorted(str(p) for p in files.glob("*.csv") if p.name != "key.csv")
    assert main(["agree", str(files / "key.csv"), *raters, "--out", str(tmp_path / "cli")]) == 0
    cli = pd.read_csv(tmp_path / "cli" / "agreement.csv")
    table = at.table[0].value
    for _, row in cli.iterrows():
        shown = table.loc[f"{row['a']} vs {row['b']}"]
        assert shown["MAE"] == f"{row['mae']:.3f}"
        assert shown["ICC(2,1)"] == ("n/a" if not np.isfinite(row["icc_2_1"]) else f"{row['icc_2_1']:.3f}")
        assert shown["kappa (linear)"] == ("n/a" if not np.isfinite(row["kappa_linear_0_2"])
                                          else f"{row['kappa_linear_0_2']:.3f}")
    html = (res.folder / "agreement.html").read_text()
    assert "data:image/png;base64" in html and "Alice" in html and "label set lab1" in html
