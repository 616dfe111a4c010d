import numpy as np
import pandas as pd
import pytest

from mgs_core.errors import InputError
from mgs_core.io.results import COLUMNS, frames_to_table, load_scores, save_scores
from mgs_core.types import FrameResult, RoiResult


def frames():
    return [FrameResult(0, 0.0, (RoiResult("box1", "m1", "saline", True, 10.123, 20.0, 3.14159, 0.9),
                                 RoiResult("box2", "m2", "", False, None, None, None, 0.0))),
            FrameResult(1, 1 / 30, (RoiResult("box1", "m1", "saline", True, 11.0, 21.0, 9.0, 0.8),
                                    RoiResult("box2", "m2", "", False, None, None, None, 0.0)))]


def test_table_columns_and_empty_cells(tmp_path):
    df = frames_to_table(frames())
    assert list(df.columns) == COLUMNS and len(df) == 4
    assert df["eye_visible"].tolist() == [1, 0, 1, 0]
    assert df.loc[0, "eye_x"] == 10.12 and df.loc[0, "score"] == 3.1416
    assert np.isnan(df.loc[1, "score"]) and np.isnan(df.loc[1, "eye_x"])
    csv, parquet = save_scores(df, tmp_path / "out" / "clip")
    text = csv.read_text().splitlines()
    assert text[0] == ",".join(COLUMNS)
    assert text[2] == "0,0.0,box2,m2,,0,,,,eye_hidden,,0.0"
    pd.testing.assert_frame_equal(load_scores(csv), load_scores(parquet))
    assert load_scores(csv)["roi"].tolist() == ["box1", "box2", "box1", "box2"]
    assert list(frames_to_table(frames(), with_confidence=True).columns) == COLUMNS + ["confidence"]


def test_load_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_scores(tmp_path / "x.csv")
    (tmp_path / "a.csv").write_text("frame,score\n0,1\n")
    with pytest.raises(InputError, match="lacks the results columns"):
        load_scores(tmp_path / "a.csv")
    (tmp_path / "b.csv").write_text(",".join(COLUMNS) + "\n0,0,box1,m,g,1,1,1,12\n")
    with pytest.raises(InputError, match="score out of 0-9 at row 2"):
        load_scores(tmp_path / "b.csv")
    (tmp_path / "c.txt").write_text("x")
    with pytest.raises(InputError, match="must be .csv or .parquet"):
        load_scores(tmp_path / "c.txt")
