"""Bad input gets one clear message: ROI values, dataset rows and paths, damaged videos (issue 14)."""
import csv
import math

import numpy as np
import pytest

from mgs_core.errors import DatasetError, RoiError
from mgs_core.io.dataset import LabelledSample, load_dataset, save_dataset
from mgs_core.io.rois import load_rois, rois_from_dict
from mgs_core.io.video import describe_ranges, open_video, write_video


def roi_doc(**box):
    roi = {"id": "a", "x": 0, "y": 0, "w": 10, "h": 10, **box}
    return {"frame_width": 100, "frame_height": 100, "rois": [roi]}


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 1.5, "3", None, [1], 10 ** 30, 1e300])
def test_roi_values_that_are_not_whole_finite_numbers_are_refused_by_name(value):
    with pytest.raises(RoiError, match="ROI 'a' x"):
        rois_from_dict(roi_doc(x=value))


@pytest.mark.parametrize("text, message", [
    ('{"frame_width": 100, "frame_height": 100, "rois": [{"id": "a", "x": NaN, "y": 0, "w": 5, "h": 5}]}',
     "whole number, got nan"),
    ('{"frame_width": Infinity, "frame_height": 100, "rois": []}', "frame_width must be a whole number"),
    ('{"frame_width": 100, "frame_height": 100, "rois": []}', "lists no ROIs"),
    ("[" * 5000 + "]" * 5000, "nests too deeply|expected a JSON object"),
])
def test_roi_files_with_odd_values_give_one_clear_error(tmp_path, text, message):
    path = tmp_path / "rois.json"
    path.write_text(text)
    with pytest.raises(RoiError, match=message):
        load_rois(path)


def test_roi_file_that_is_a_folder(tmp_path):
    with pytest.raises(RoiError, match="is a folder"):
        load_rois(tmp_path)


def _dataset(tmp_path, n=3, masks=True):
    rng = np.random.default_rng(0)
    samples = []
    for i in range(n):
        mask = np.zeros((32, 32), np.uint8) if masks else None
        samples.append(LabelledSample(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8), mask, 10.0 + i, 12.0,
                                      True, 1.0 + i))
    root = tmp_path / "ds"
    save_dataset(root, samples)
    return root


def _edit_rows(root, edit):
    path = root / "labels.csv"
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0])
    rows = edit(rows)
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)


def test_dataset_refuses_a_duplicate_image_row_naming_both_rows(tmp_path):
    root = _dataset(tmp_path)
    _edit_rows(root, lambda rows: rows + [dict(rows[1])])
    with pytest.raises(DatasetError, match=r"labels.csv row 4: image 'images/00001.png' is already listed at row 2"):
        load_dataset(root)
    _edit_rows(root, lambda rows: rows[:3] + [{**rows[1], "image": "images/./00001.png"}])  # same file, other spelling
    with pytest.raises(DatasetError, match="row 4: .* already listed at row 2"):
        load_dataset(root)


@pytest.mark.parametrize("path", ["../outside.png", "images/../../outside.png", "/etc/passwd.png",
                                  "C:\\data\\x.png", "..\\outside.png"])
def test_dataset_refuses_paths_that_leave_the_folder(tmp_path, path):
    root = _dataset(tmp_path)
    (tmp_path / "outside.png").write_bytes((root / "images" / "00000.png").read_bytes())
    _edit_rows(root, lambda rows: [{**rows[0], "image": path}] + rows[1:])
    with pytest.raises(DatasetError, match="row 1: image path .* leaves the dataset folder"):
        load_dataset(root)


@pytest.mark.parametrize("eye", [(40.0, 12.0), (-3.0, 5.0)])
def test_clicks_only_row_with_the_eye_outside_the_image_names_file_and_row(tmp_path, eye):
    root = _dataset(tmp_path, masks=False)
    _edit_rows(root, lambda rows: rows[:1] + [{**rows[1], "eye_x": str(eye[0]), "eye_y": str(eye[1])}] + rows[2:])
    with pytest.raises(DatasetError, match=r"labels.csv row 2: eye .* lies outside the .*image 00001.png"):
        load_dataset(root)
    if eye[0] < 0:  # found without reading the image, too
        with pytest.raises(DatasetError, match="row 2"):
            load_dataset(root, verify_images=False)


def _moving_bar(n=300, w=320, h=240):
    rng = np.random.default_rng(0)
    for i in range(n):
        img = np.full((h, w, 3), 80, np.uint8)
        img[:, (i * 3) % w:(i * 3) % w + 20] = 250
        img[100:140, 100:140] = rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)
        yield img


def damaged_copy(src, dst, n_bytes=20_000, seed=1):
    data = bytearray(src.read_bytes())
    mid = len(data) // 2
    data[mid:mid + n_bytes] = np.random.default_rng(seed).integers(0, 256, n_bytes, dtype=np.uint8).tobytes()
    dst.write_bytes(bytes(data))
    return dst


@pytest.fixture(scope="module")
def damaged_video(tmp_path_factory):
    d = tmp_path_factory.mktemp("damaged")
    good = write_video(d / "good.mp4", _moving_bar(), fps=30)
    return good, damaged_copy(good, d / "damaged.mp4")


def test_decoding_skips_damaged_packets_and_lists_the_frames_lost(damaged_video):
    good, damaged = damaged_video
    with open_video(good) as src:
        assert sum(1 for _ in src) == 300 and src.decode_error is None and src.lost_ranges == []
    with open_video(damaged) as src:
        indices = [vf.index for vf in src]
    assert len(indices) >= 0.85 * 300, len(indices)
    assert src.lost_ranges and src.packets_skipped > 0
    lost = {i for a, b in src.lost_ranges for i in range(a, b + 1)}
    assert lost.isdisjoint(indices) and len(lost) == src.frames_lost
    assert len(indices) + src.frames_lost == 300  # every frame is either decoded or listed as lost
    assert "damaged packet" in src.decode_error and describe_ranges(src.lost_ranges) in src.decode_error


def test_describe_ranges():
    assert describe_ranges([(3, 5), (9, 9)]) == "frames 3-5, 9"
    assert describe_ranges([]) == "no frames"
