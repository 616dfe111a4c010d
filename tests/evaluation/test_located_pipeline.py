import json

import numpy as np
import pytest

from mgs_core.evaluation import evaluate_pipeline, json_safe
from mgs_core.types import TOO_SMALL

from .fakes import Answer, ScriptedRunner, item


def test_a_distant_detection_is_a_false_detection_and_a_miss_and_its_score_is_not_in_mae():
    items = [item(i, score=s) for i, s in enumerate([1.0, 3.0, 5.0, 7.0])]  # eye length 20 -> radius 10 px
    runner = ScriptedRunner({0: Answer(dx=100.0, score=9.0), 1: Answer(score=3.5), 2: Answer(score=5.5),
                             3: Answer(score=7.5)})
    rep = evaluate_pipeline(runner, items, baseline_mean=4.0)
    loc = rep.localisation
    assert loc.wrong_eye == 1 and loc.found.k == 3 and loc.missed == 0
    assert (rep.detection.tp, rep.detection.fp, rep.detection.fn) == (3, 1, 1)
    assert rep.score.n == 3 and rep.score.mae == pytest.approx(0.5) and rep.score.bias == pytest.approx(0.5)
    assert loc.wrong_eye_scores == 1 and loc.wrong_eye_mean_score == pytest.approx(9.0)
    assert rep.eye_err_px_median == pytest.approx(1.0)  # over found eyes only, not the 100 px one
    df = rep.predictions.to_frame()
    first = df.iloc[0]
    assert (first.matched, first.false_detection, first.miss, first.outcome) == (0, 1, 1, "wrong_eye")
    assert np.isnan(first.pred_score) and first.runner_score == 9.0 and first.radius_px == 10.0
    assert df["matched"].tolist() == [0, 1, 1, 1]
    assert "wrong eye (false detection + miss) 1" in rep.summary()


@pytest.mark.parametrize("dx, found", [(9.9, True), (10.0, True), (10.1, False)])
def test_the_radius_is_half_the_true_eye_length(dx, found):
    rep = evaluate_pipeline(ScriptedRunner({0: Answer(dx=dx, score=4.0)}), [item(0, eye_length=20.0)])
    assert rep.localisation.found.k == int(found) and rep.localisation.wrong_eye == int(not found)
    assert rep.score.n == int(found)


def test_fallbacks_without_eye_length():
    items = [item(0, eye_length=None)]
    far = ScriptedRunner({0: Answer(dx=11.0)})
    rep = evaluate_pipeline(far, items)
    assert rep.localisation.rule.source == "default" and rep.localisation.wrong_eye == 1  # 8 px default
    assert "8.0 px" in rep.summary()
    rep = evaluate_pipeline(far, items, match_radius=12.0)
    assert rep.localisation.rule.source == "match_radius" and rep.localisation.found.k == 1
    rep = evaluate_pipeline(ScriptedRunner({0: Answer(dx=11.0, eye_length=24.0)}), items)
    assert rep.localisation.rule.source == "runner_eye_length" and rep.localisation.found.k == 1
    # a true eye length wins over --match-radius
    rep = evaluate_pipeline(far, [item(0, eye_length=20.0)], match_radius=50.0)
    assert rep.localisation.rule.source == "truth_eye_length" and rep.localisation.wrong_eye == 1


def test_bins_kinds_false_eyes_and_too_small():
    lengths = [4.0, 8.0, 10.0, 20.0, 40.0, 80.0, 120.0, 150.0]
    items = [item(i, eye_length=v, score=8.0 if i in (6, 7) else 2.0, kind="box" if i < 4 else "closeup")
             for i, v in enumerate(lengths)]
    items += [item(8, visible=False, kind="box"), item(9, visible=False, kind="box"),
              item(10, visible=False, kind="nomouse"), item(11, visible=False),
              item(12, visible=False, mask=np.zeros((64, 64), np.uint8))]  # empty mask: no mouse
    answers = {i: Answer() for i in (0, 2, 3, 5, 7)}  # 1, 4, 6 missed
    answers[3] = Answer(status=TOO_SMALL, score=None, visible=False, eye_length=22.0)  # found, not judged
    answers.update({8: Answer(score=6.0), 10: Answer(score=2.0), 12: Answer(score=None)})
    rep = evaluate_pipeline(ScriptedRunner(answers), items)
    loc = rep.localisation
    got = {k: (v.n, v.k) for k, v in loc.by_length.items()}
    assert got == {"<6": (1, 1), "[6,12)": (2, 1), "[12,30)": (1, 1), "[30,60)": (1, 0), "[60,120]": (2, 1),
                   ">120": (1, 1)}
    assert list(loc.by_length) == ["<6", "[6,12)", "[12,30)", "[30,60)", "[60,120]", ">120"]
    assert (loc.found.k, loc.scored.k, loc.found_not_scored, loc.missed) == (5, 4, 1, 3)
    assert (loc.high_score.n, loc.high_score.k) == (2, 1)
    assert (loc.false_eye_hidden.n, loc.false_eye_hidden.k) == (3, 1)  # rows 8, 9, 11: only 8 got an eye
    assert (loc.false_eye_nomouse.n, loc.false_eye_nomouse.k) == (2, 2)  # kind nomouse (10) + the empty mask (12)
    assert loc.false_eye_scores == 2 and loc.false_eye_mean_score == pytest.approx(4.0)
    kinds = {k: ((v.found.n, v.found.k), (v.false_eye.n, v.false_eye.k)) for k, v in loc.by_kind.items()}
    assert kinds == {"box": ((4, 3), (2, 1)), "closeup": ((4, 2), (0, 0)), "nomouse": ((0, 0), (1, 1))}
    assert rep.status_counts == {"scored": 7, "no_animal": 0, "eye_hidden": 5, "too_small": 1}
    assert loc.n_eye_length == 1 and loc.eye_length_rel_err_median == pytest.approx(0.1)
    assert rep.score.n == 4  # found and scored; the too_small item is found, not scored


def test_json_is_standard_with_nulls():
    rep = evaluate_pipeline(ScriptedRunner({}), [item(0), item(1, visible=False)])  # nothing found, nothing scored
    text = json.dumps(json_safe(rep.to_dict()), allow_nan=False)
    d = json.loads(text)
    assert d["mae"] is None and d["icc"] is None and d["eye_visible_precision"] is None
    assert d["localisation"]["found"] == {"n": 1, "k": 0, "rate": 0.0}
    assert d["localisation"]["false_eye_nomouse"]["rate"] is None
    assert d["match_rule"].startswith("match radius: 0.5 x the true eye length")
    assert "n/a" in rep.summary()
