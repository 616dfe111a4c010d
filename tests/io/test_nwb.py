"""NWB export round trip: what `mgs export nwb` writes reads back (pynwb) to the same scores and times."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/fake_models.py

from fake_models import DarkEyeNet  # noqa: E402
from mgs_core.cli import main  # noqa: E402
from mgs_core.io.nwb import NwbSubject, export_nwb, read_nwb_series  # noqa: E402
from mgs_core.io.results import load_scores  # noqa: E402
from mgs_core.io.rois import load_rois  # noqa: E402
from mgs_core.models import OrbitalNet  # noqa: E402
from mgs_core.runners.local import LocalRunner  # noqa: E402
from mgs_core.scoring import score_video  # noqa: E402
from mgs_core.synth.video import make_video  # noqa: E402
from mgs_core.types import STATUSES  # noqa: E402


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    d = tmp_path_factory.mktemp("nwb")
    torch.manual_seed(0)
    runner = LocalRunner(DarkEyeNet(), OrbitalNet(), device="cpu", backend="torch")
    out = []
    for seed in (0, 1):
        v = make_video(d / f"rec{seed}.mp4", seconds=1.0, mice=2, seed=seed, width=320, height=240, fps=10)
        out.append(score_video(v.video, load_rois(v.rois), runner, d / "scores", roi_source=v.rois).csv)
    return out


def test_round_trip_scores_times_and_statuses(results, tmp_path):
    path = tmp_path / "session.nwb"
    done = export_nwb(results, path, subject=NwbSubject("cage7", sex="F", age="P84D", strain="C57BL/6J"))
    series = read_nwb_series(path)
    assert set(series) == set(done.series) and len(done.animals) == 4  # two videos x two mice, names made unique
    for csv in results:
        df = load_scores(csv)
        for animal, g in df.groupby("animal"):
            label = f"{animal}_{csv.stem}"
            times, score = series[f"score_{label}"]
            np.testing.assert_array_equal(times, g["time_s"].to_numpy())
            np.testing.assert_array_equal(score, g["score"].to_numpy())  # NaN where not scored, in the same places
            np.testing.assert_array_equal(series[f"eye_x_{label}"][1], g["eye_x"].to_numpy())
            np.testing.assert_array_equal(series[f"eye_visible_{label}"][1], g["eye_visible"].to_numpy())
            np.testing.assert_array_equal(series[f"scorability_{label}"][1], g["scorability"].to_numpy())
            codes = series[f"status_{label}"][1]
            assert [STATUSES[c] for c in codes] == g["status"].tolist()
            np.testing.assert_array_equal(series[f"eye_length_{label}"][0], times)

    from pynwb import NWBHDF5IO

    with NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        notes = json.loads(nwb.notes)
        ts = nwb.processing["behavior"]["score_" + done.animals[0]]
        assert ts.unit == "orbital tightening score (0-9)" and "NaN = not scored" in ts.description
        assert list(nwb.processing["behavior"]["status_" + done.animals[0]].control_description) == list(STATUSES)
        assert nwb.subject.subject_id == "cage7" and nwb.subject.species == "Mus musculus"
        assert "MGS Live" in nwb.source_script
    src = notes["sources"][0]
    assert src["results"] == "rec0.csv" and src["provenance"]["input"]["name"] == "rec0.mp4"
    assert src["provenance"]["rois"]["content"]["rois"][0]["id"] and "segmentation" in src["provenance"]["models"]


def test_nwbinspector_finds_no_errors(results, tmp_path):
    from nwbinspector import Importance, inspect_nwbfile

    path = export_nwb(results[:1], tmp_path / "one.nwb", subject=NwbSubject("m1", sex="M", age="P60D"),
                      animals=[load_scores(results[0])["animal"].iloc[0]],
                      experimenter=["Doe, Jane"], institution="Somewhere").path
    messages = list(inspect_nwbfile(nwbfile_path=str(path)))
    bad = [m for m in messages if m.importance in (Importance.CRITICAL, Importance.ERROR)]
    assert not bad, [m.message for m in bad]
    # what remains is advice: our timestamps are the video's own (real videos drop frames), even when regular
    assert {m.check_function_name for m in messages if m.importance == Importance.BEST_PRACTICE_VIOLATION} <= {
        "check_regular_timestamps"}


def test_cli_export_and_its_errors(results, tmp_path, capsys):
    out = tmp_path / "cli.nwb"
    assert main(["export", "nwb", *map(str, results), "--out", str(out), "--subject", "cage1", "--animal",
                 load_scores(results[0])["animal"].iloc[0]]) == 0
    assert "time series for 2 animals" in capsys.readouterr().out and out.is_file()
    assert len(read_nwb_series(out)) == 2 * 7  # that animal in both videos, 7 quantities each
    (tmp_path / "notes.csv").write_text("a,b\n1,2\n")
    assert main(["export", "nwb", str(tmp_path / "notes.csv"), "--out", str(tmp_path / "x.nwb")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: notes.csv lacks the results columns") and not (tmp_path / "x.nwb").exists()
    assert main(["export", "nwb", str(results[0]), "--out", str(tmp_path / "x.h5")]) == 2
    assert "must end in .nwb" in capsys.readouterr().err
    assert main(["export", "nwb", str(results[0]), "--out", str(tmp_path / "x.nwb"), "--animal", "nobody"]) == 2
    assert "nobody" in capsys.readouterr().err
