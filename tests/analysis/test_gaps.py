"""Gaps stay gaps: STOP/START pauses, missing frames and unscored stretches break lines, bins and smoothing."""
import re

import numpy as np
import pandas as pd
import pytest

from mgs_core.analysis import analyze, bin_scores, prepare, smooth_scores
from mgs_core.analysis.curves import SEGMENT_COL, SMOOTH_COL, gap_seconds
from mgs_core.analysis.report import line_pieces, write_analysis_report
from mgs_core.analysis.curves import Smoothing
from mgs_core.analysis.scale import ScaleConversion


def _series(times, scores, status=None):
    n = len(times)
    return pd.DataFrame({"frame": range(n), "time_s": times, "roi": "box1", "animal": "m1", "group": "g",
                         "eye_visible": [int(np.isfinite(s)) for s in scores], "eye_x": 1.0, "eye_y": 1.0,
                         "score": scores, "status": status or ["scored" if np.isfinite(s) else "eye_hidden"
                                                               for s in scores]})


def test_stop_start_pause_starts_a_new_segment_and_smoothing_does_not_cross_it():
    t = list(np.arange(0, 20, 0.5)) + list(np.arange(130, 150, 0.5))  # a 110 s STOP/START gap
    s = [2.0] * 40 + [8.0] * 40
    p = prepare(_series(t, s), source="rec")
    assert gap_seconds(p["time_s"].to_numpy()) == pytest.approx(2.5)
    assert list(p.groupby(SEGMENT_COL)["time_s"].agg(["min", "max"]).itertuples(index=False)) == [(0.0, 19.5),
                                                                                                  (130.0, 149.5)]
    sm = smooth_scores(p, "median:15")
    assert (sm.loc[sm["time_s"] < 20, SMOOTH_COL] == 2.0).all()  # no 8 leaks back over the gap
    assert (sm.loc[sm["time_s"] >= 130, SMOOTH_COL] == 8.0).all()
    pieces = line_pieces(sm, SMOOTH_COL, ["animal", SEGMENT_COL])
    assert pieces["piece"].nunique() == 2


def test_machine_unscored_rows_and_long_hidden_stretches_break_segments():
    t = np.arange(0, 10, 0.5)
    s = [3.0] * 20
    status = ["scored"] * 20
    s[6] = np.nan
    status[6] = "unscored_server"  # one frame the server could not answer: a gap, however short
    for k in range(12, 18):  # 3 s without a visible eye (> 2.5 s): a gap; a single hidden frame is not
        s[k] = np.nan
        status[k] = "eye_hidden"
    s[3], status[3] = np.nan, "eye_hidden"
    p = prepare(_series(list(t), s, status))
    scored = p[np.isfinite(p["score_0_9"])]
    assert list(scored.groupby(SEGMENT_COL)["time_s"].min()) == [0.0, 3.5, 9.0]


def test_empty_bins_inside_a_gap_are_listed_not_bridged():
    t = list(np.arange(0, 20, 0.5)) + list(np.arange(130, 150, 0.5))
    b = bin_scores(prepare(_series(t, [2.0] * 40 + [8.0] * 40)), 10.0)
    assert list(b["bin"]) == list(range(15))  # 0-19.5 s and 130-149.5 s: bins 0, 1 and 13, 14 plus the gap
    gap = b[(b["bin"] >= 2) & (b["bin"] <= 12)]
    assert (gap["n_frames"] == 0).all() and gap["mean_score_0_9"].isna().all() and (gap["group"] == "g").all()
    pieces = line_pieces(b, "mean_score_0_9", ["animal"])
    assert pieces.groupby("piece")["bin"].apply(list).tolist() == [[0, 1], [13, 14]]


def test_report_draws_and_lists_the_gap(tmp_path):
    t = list(np.arange(0, 20, 0.5)) + list(np.arange(130, 150, 0.5))
    out = analyze(prepare(_series(t, [2.0] * 40 + [8.0] * 40), source="rec"), bin_s=10.0)
    md = write_analysis_report(out, tmp_path, 10.0, Smoothing("median"), None, ScaleConversion(), ["rec.csv"])
    text = md.read_text()
    assert "Gaps" in text and "mean score (0-9)" in text and "n animals" in text
    assert (tmp_path / "curves.png").is_file()
    html = (tmp_path / "curves.html").read_text()
    assert len(set(re.findall(r"m1 #\d+", html))) == 2  # two lines, one each side of the empty bins (the gap)
