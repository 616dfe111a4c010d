"""Dataset folders: round trip through save/load, and errors that name the file and row."""
import shutil

import cv2
import numpy as np
import pytest

from mgs_core.errors import DatasetError
from mgs_core.io.dataset import LabelledSample, load_dataset, save_dataset


def _samples(n=4):
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        img = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
        mask = np.zeros((64, 64), np.uint8)
        mask[20:40, 10:50] = 1
        if i % 4 == 3:
            out.append(LabelledSample(img, mask, None, None, False, None, {"facing": "left"}))
        else:
            mask[28:32, 28:36] = 3
            out.append(LabelledSample(img, mask, 31.5, 29.5, True, 2.0 * i + 0.25, {"facing": "right"}))
    return out


@pytest.fixture
def ds_dir(tmp_path):
    d = tmp_path / "ds"
    save_dataset(d, _samples())
    return d


def test_round_trip_png(ds_dir):
    samples = _samples()
    ds = load_dataset(ds_dir)
    assert len(ds) == 4 and ds.has_masks and ds.extra_columns == ["facing"]
    for it, s in zip(ds, samples):
        assert np.array_equal(ds.read_image(it), s.image)
        assert np.array_equal(ds.read_mask(it), s.mask)
        assert it.eye_visible == s.eye_visible
        if s.eye_visible:
            assert it.eye_x == pytest.approx(s.eye_x) and it.score == pytest.approx(s.score)
        else:
            assert it.eye_x is None and it.score is None
    assert ds[3].extra["facing"] == "left" and ds[0].row == 1


def test_round_trip_jpg_and_no_masks(tmp_path):
    samples = [LabelledSample(s.image, None, s.eye_x, s.eye_y, s.eye_visible, s.score) for s in _samples()]
    ds = save_dataset(tmp_path / "j", samples, fmt="jpg")
    assert ds.items[0].image.suffix == ".jpg" and not ds.has_masks and ds.read_mask(0) is None
    assert ds.read_image(0).shape == (64, 64, 3)


def _rewrite(d, old, new):
    p = d / "labels.csv"
    p.write_text(p.read_text().replace(old, new, 1))


def test_missing_labels_csv(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="labels.csv"):
        load_dataset(tmp_path / "empty")


def test_missing_column(ds_dir):
    _rewrite(ds_dir, ",score", ",grade")
    with pytest.raises(DatasetError, match="score"):
        load_dataset(ds_dir)


@pytest.mark.parametrize("old,new,msg", [
    ("images/00001.png", "images/nothere.png", "row 2.*does not exist"),
    (",1,2.250", ",1,9.500", "row 2.*outside 0-9"),
    (",1,2.250", ",yes,2.250", "row 2.*eye_visible"),
    ("31.500,29.500,1,2.250", ",,1,2.250", "row 2.*eye_x"),
    (",1,2.250", ",1,", "row 2.*score is empty"),
    ("images/00001.png", "images/00001.gif", "row 2.*png or .jpg"),
])
def test_malformed_rows_name_the_row(ds_dir, old, new, msg):
    _rewrite(ds_dir, old, new)
    with pytest.raises(DatasetError, match=msg):
        load_dataset(ds_dir)


def test_unreadable_image_named(ds_dir):
    (ds_dir / "images" / "00002.png").write_bytes(b"not a png at all")
    with pytest.raises(DatasetError, match=r"00002\.png.*row 3"):
        load_dataset(ds_dir)


def test_mask_with_bad_class(ds_dir):
    cv2.imwrite(str(ds_dir / "masks" / "00000.png"), np.full((64, 64), 7, np.uint8))
    with pytest.raises(DatasetError, match="class 7"):
        load_dataset(ds_dir)


def test_synthetic_dataset_round_trip(tmp_path):
    from mgs_core.synth.dataset import make_dataset

    ds = make_dataset(tmp_path / "s", 6, seed=3, workers=1)
    again = load_dataset(tmp_path / "s")
    assert [(i.eye_x, i.score) for i in ds] == [(i.eye_x, i.score) for i in again]
    assert ds.read_image(0).shape == (256, 256, 3)
    assert set(np.unique(ds.read_mask(0))) <= {0, 1, 2, 3}
    shutil.rmtree(tmp_path / "s")
