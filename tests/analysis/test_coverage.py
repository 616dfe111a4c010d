"""The whole-frame silent-failure rule: no ROI file + no eye in most frames -> one plain warning."""
import json

import numpy as np
import pandas as pd

from mgs_core.analysis.coverage import eye_coverage, run_warning, whole_frame_warning
from mgs_core.io.results import save_scores


def table(visible: list[int], status: list[str] | None = None) -> pd.DataFrame:
    n = len(visible)
    return pd.DataFrame({
        "frame": np.arange(n), "time_s": np.arange(n) / 10, "roi": "frame", "animal": "animal1", "group": "",
        "eye_visible": visible, "eye_x": [5.0 if v else np.nan for v in visible],
        "eye_y": [5.0 if v else np.nan for v in visible], "score": [2.0 if v else np.nan for v in visible],
        "status": status or ["scored" if v else "no_animal" for v in visible], "eye_length": np.nan,
        "scorability": [float(v) for v in visible]})


def test_whole_frame_and_no_eye_warns_naming_the_video():
    msg = whole_frame_warning(table([0] * 9 + [1]), True, "rack.mp4")
    assert msg is not None
    assert "rack.mp4" in msg and "whole frame" in msg and "9 of 10 frames (90%)" in msg
    assert "Regions of interest" in msg and "--rois" in msg


def test_no_warning_with_an_roi_file_or_when_eyes_are_found():
    assert whole_frame_warning(table([0] * 10), False, "rack.mp4") is None  # ROIs were drawn: not this rule
    assert whole_frame_warning(table([1] * 6 + [0] * 4), True, "face.mp4") is None  # most frames have an eye
    assert whole_frame_warning(table([]), True, "empty.mp4") is None


def test_machinery_failures_do_not_count_as_frames_without_an_eye():
    visible = [1, 1, 1] + [0] * 7
    status = ["scored"] * 3 + ["unscored_decode"] * 7
    cov = eye_coverage(table(visible, status))
    assert (cov.frames, cov.frames_with_eye) == (3, 3)
    assert whole_frame_warning(table(visible, status), True, "broken.mp4") is None


def test_a_frame_counts_as_seen_when_any_roi_has_an_eye():
    two = pd.concat([table([0, 0, 1]), table([1, 0, 0]).assign(roi="b")], ignore_index=True)
    assert eye_coverage(two).frames_with_eye == 2


def test_run_warning_reads_the_provenance_beside_the_results(tmp_path):
    stem = tmp_path / "demo"
    save_scores(table([0] * 10), stem)
    stem.with_suffix(".json").write_text(json.dumps({"input": {"name": "demo.mp4"}, "rois": {"whole_frame": True}}))
    assert "demo.mp4" in run_warning(stem.with_suffix(".csv"))
    assert "my upload.mp4" in run_warning(stem.with_suffix(".csv"), name="my upload.mp4")
    assert run_warning(stem.with_suffix(".csv"), table=table([1] * 10)) is None  # the given table is judged: eyes found
    stem.with_suffix(".json").write_text(json.dumps({"input": {"name": "demo.mp4"}, "rois": {"whole_frame": False}}))
    assert run_warning(stem.with_suffix(".csv")) is None
    stem.with_suffix(".json").unlink()
    assert run_warning(stem.with_suffix(".csv")) is None
