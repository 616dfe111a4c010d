import json

import numpy as np
import pandas as pd
import pytest

from mgs_core.cli import main


def test_a_dataset_without_labels_exits_2_with_one_message(tmp_path, capsys):
    (tmp_path / "images").mkdir()
    import cv2

    cv2.imwrite(str(tmp_path / "images" / "00000.png"), np.zeros((8, 8, 3), np.uint8))
    assert main(["evaluate", "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "labels.csv is missing" in err and "Traceback" not in err


@pytest.mark.parametrize("argv, words", [([], "--data DIR"), (["--nomouse", "0"], "--nomouse"),
                                         (["--nomouse", "2", "--match-radius", "-1"], "--match-radius"),
                                         (["--nomouse", "2", "--predictions", "p.csv"], "--predictions needs")])
def test_bad_options_exit_2(argv, words, capsys):
    assert main(["evaluate", *argv]) == 2
    assert words in capsys.readouterr().err


def _strict(text: str) -> dict:
    def no_nan(name):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=no_nan)


@pytest.mark.slow
def test_evaluate_writes_standard_json_and_match_columns(tmp_path, capsys):
    from mgs_core.synth.dataset import make_dataset

    make_dataset(tmp_path / "ds", 3, seed=97, workers=1)
    out, pred = tmp_path / "m.json", tmp_path / "p.csv"
    assert main(["evaluate", "--data", str(tmp_path / "ds"), "--nomouse", "4", "--json", str(out),
                 "--predictions", str(pred)]) == 0
    text = capsys.readouterr().out
    assert "match radius: 0.5 x the true eye length" in text and "no-mouse check: 4 crops" in text
    d = _strict(out.read_text())
    assert d["n"] == 3 and d["localisation"]["match_rule"]["source"] in ("truth_eye_length", "mixed", "default")
    assert d["nomouse"]["n"] == 4 and set(d["status_counts"]) >= {"scored", "eye_hidden"}
    table = pd.read_csv(pred)
    assert {"matched", "false_detection", "miss", "outcome", "radius_px", "runner_score"} <= set(table.columns)
    assert len(table) == 3
