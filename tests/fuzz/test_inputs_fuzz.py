"""ROI files, dataset folders and rater files: any content gives a valid result or the module's typed error."""
import csv
import io
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mgs_core.analysis.raters import load_rater
from mgs_core.errors import DatasetError, InputError, RoiError
from mgs_core.io.dataset import LabelledDataset, LabelledSample, load_dataset, save_dataset
from mgs_core.io.rois import load_rois, rois_from_dict
from mgs_core.types import RoiSet
from tests.fuzz.strategies import csv_cells, json_values

numbers = (st.integers(-5, 2000) | st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([True, None, "7"])
           | st.integers(-2 ** 80, 2 ** 80))
roi_items = st.fixed_dictionaries({"id": st.text(max_size=4) | json_values, "x": numbers, "y": numbers,
                                   "w": numbers, "h": numbers},
                                  optional={"animal": json_values, "group": json_values, "extra": json_values})
roi_docs = st.fixed_dictionaries({"frame_width": numbers, "frame_height": numbers,
                                  "rois": st.lists(roi_items, max_size=4) | json_values},
                                 optional={"version": st.sampled_from([1, 2, "1", None]), "format": json_values})


@settings(max_examples=150)
@given(roi_docs | json_values)
def test_roi_dicts_give_a_roi_set_or_a_roi_error(doc):
    try:
        rs = rois_from_dict(doc)
    except RoiError as exc:
        assert str(exc)
        return
    assert isinstance(rs, RoiSet)
    for r in rs:
        assert r.w > 0 and r.h > 0 and 0 <= r.x and r.x + r.w <= rs.frame_width and r.y + r.h <= rs.frame_height


@settings(max_examples=150)
@given(st.binary(max_size=300) | roi_docs.map(lambda d: json.dumps(d, allow_nan=True).encode()))
def test_roi_files_give_a_roi_set_or_a_roi_error(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("rois") / "r.json"
    path.write_bytes(content)
    try:
        assert len(load_rois(path)) >= 1
    except RoiError:
        pass


@pytest.fixture(scope="module")
def dataset_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzzds") / "ds"
    rng = np.random.default_rng(0)
    samples = [LabelledSample(rng.integers(0, 256, (24, 24, 3), dtype=np.uint8),
                              np.zeros((24, 24), np.uint8), 10.0, 11.0, True, 3.0) for _ in range(2)]
    save_dataset(root, samples)
    return root


dataset_cells = st.sampled_from(["images/00000.png", "images/00001.png", "masks/00000.png", "../x.png", "/etc/x",
                                 "images/nope.png", "", "1", "0", "nan", "inf", "-1", "4.5", "9.5", "23.9", "x"]) \
    | csv_cells
dataset_rows = st.lists(st.fixed_dictionaries({c: dataset_cells for c in
                                               ("image", "mask", "eye_x", "eye_y", "eye_visible", "score")}),
                        max_size=4)


@settings(max_examples=150)
@given(rows=dataset_rows, header=st.sampled_from(["full", "no_mask", "missing_score", "junk"]),
       raw=st.none() | st.binary(max_size=200))
def test_dataset_labels_give_a_dataset_or_a_dataset_error(dataset_root, rows, header, raw):
    cols = {"full": ["image", "mask", "eye_x", "eye_y", "eye_visible", "score"],
            "no_mask": ["image", "eye_x", "eye_y", "eye_visible", "score"],
            "missing_score": ["image", "mask", "eye_x", "eye_y", "eye_visible"],
            "junk": ["image", "image", "x"]}[header]
    if raw is not None:
        data = raw
    else:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(cols)
        for r in rows:
            w.writerow([r.get(c, "") for c in cols])
        data = buf.getvalue().encode("utf-8", "surrogatepass")
    (dataset_root / "labels.csv").write_bytes(data)
    try:
        ds = load_dataset(dataset_root)
    except DatasetError as exc:
        assert str(exc)
        return
    assert isinstance(ds, LabelledDataset) and len(ds) >= 1
    assert len({it.image for it in ds}) == len(ds)  # never the same image twice
    assert all(dataset_root.resolve() in it.image.parents for it in ds)


KEY = ["k1.png", "k2.png", "k3.png"]
rater_cells = st.sampled_from(KEY + ["x", "na", "", "4,5", "4.5", "10", "-1", "2", "nan", "inf", "k9.png"]) | csv_cells


@settings(max_examples=200)
@given(rows=st.lists(st.tuples(rater_cells, rater_cells), max_size=5),
       sep=st.sampled_from([",", ";", "\t"]), header=st.sampled_from(["image,score", "image;score", "img,val", ""]),
       scale=st.sampled_from(["0-9", "mgs012"]), bom=st.booleans(), raw=st.none() | st.binary(max_size=120))
def test_rater_files_give_scores_or_an_input_error(tmp_path_factory, rows, sep, header, scale, bom, raw):
    path = tmp_path_factory.mktemp("rater") / "rater.csv"
    if raw is not None:
        path.write_bytes(raw)
    else:
        text = (header.replace(",", sep).replace(";", sep) + "\n" if header else "") + \
            "".join(f"{a}{sep}{b}\n" for a, b in rows)
        path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8", "surrogatepass"))
    try:
        scores = load_rater(path, KEY, scale)
    except InputError as exc:
        assert str(exc)
        return
    assert list(scores.index) == KEY
    hi = 9 if scale == "0-9" else 2
    v = scores.to_numpy(dtype=float)
    assert np.all(np.isnan(v) | ((v >= 0) & (v <= hi)))
