"""The final files of one input are one set: the provenance, written last, names the hashes of the other two."""
import json

import pandas as pd

from mgs_core.io.results import frames_to_table
from mgs_core.scoring import published_set, publish_results
from mgs_core.types import FrameResult, RoiResult


def table(score):
    return frames_to_table([FrameResult(0, 0.0, (RoiResult("box1", "m1", "", True, 10.0, 20.0, score, 1.0),))])


def test_publish_and_detect_a_mix(tmp_path):
    publish_results(table(1.0), {"format": "mgs-live-provenance", "run": {"n": 1}}, tmp_path, "clip")
    found = published_set(tmp_path, "clip")
    assert found is not None and found.record["run"] == {"n": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.csv", "clip.json", "clip.parquet"]
    first_csv = (tmp_path / "clip.csv").read_bytes()
    publish_results(table(2.0), {"format": "mgs-live-provenance", "run": {"n": 2}}, tmp_path, "clip")
    assert published_set(tmp_path, "clip").record["run"] == {"n": 2}
    assert pd.read_parquet(tmp_path / "clip.parquet")["score"].tolist() == [2.0]
    # a CSV from the first run beside the second run's Parquet and provenance is not a set
    (tmp_path / "clip.csv").write_bytes(first_csv)
    assert published_set(tmp_path, "clip") is None
    # nor is a set without provenance, or with one that names no hashes
    (tmp_path / "clip.json").write_text(json.dumps({"format": "mgs-live-provenance", "outputs": {}}))
    assert published_set(tmp_path, "clip") is None
    (tmp_path / "clip.json").unlink()
    assert published_set(tmp_path, "clip") is None
