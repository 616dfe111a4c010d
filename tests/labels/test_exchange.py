"""Labels -> dataset (folder, ZIP) -> labels round trip; foreign files refused; agreement files equal `mgs agree`."""
import numpy as np
import pandas as pd
import pytest

from mgs_core.errors import DatasetError
from mgs_core.labels.exchange import agreement_files, export_dataset, export_zip, import_labels
from mgs_core.labels.store import LabelError


def _label_all(ls, rater, scale="0-9", offset=0.0):
    ls.add_rater(rater, scale)
    for k, it in enumerate(ls.items):
        if k == 2:
            ls.label(rater, it.name, None, None)
        elif scale == "0-9":
            ls.label(rater, it.name, round(min(9.0, (it.model_score or 0) + offset), 2), (110 + k, 120 - k))
        else:
            ls.label(rater, it.name, k % 3, (110 + k, 120 - k))


@pytest.mark.parametrize("scale", ["0-9", "mgs012"])
def test_export_import_round_trip(label_set, tmp_path, scale):
    from mgs_core.io.dataset import load_dataset

    _label_all(label_set, "alice", scale)
    ds = export_dataset(label_set, "alice", tmp_path / "ds")
    again = load_dataset(tmp_path / "ds")
    assert len(again) == len(label_set) and not again.has_masks
    assert set(ds.extra_columns) >= {"item", "rater", "scale", "raw_score"}
    export_zip(label_set, "alice", tmp_path / "alice.zip")
    res = import_labels(label_set, tmp_path / "alice.zip", rater="alice2")
    assert (res.rater, res.scale, res.n_labels, res.n_no_eye) == ("alice2", scale, len(label_set), 1)
    a, b = label_set.rater("alice").labels, label_set.rater("alice2").labels
    for name, lab in a.items():
        other = b[name]
        assert (lab.eye_visible, lab.eye_x, lab.eye_y, lab.score, lab.raw, lab.scale) == \
               (other.eye_visible, other.eye_x, other.eye_y, other.score, other.raw, other.scale)


def test_import_of_labels_for_other_frames_is_refused_whole(label_set, tmp_path):
    import cv2

    _label_all(label_set, "alice")
    export_dataset(label_set, "alice", tmp_path / "ds")
    labels = pd.read_csv(tmp_path / "ds" / "labels.csv")
    img = cv2.imread(str(tmp_path / "ds" / labels["image"][3]))
    cv2.imwrite(str(tmp_path / "ds" / labels["image"][3]), 255 - img)  # another picture under f00x's name
    with pytest.raises(LabelError, match="row 4: the crop is not the picture of"):
        import_labels(label_set, tmp_path / "ds", rater="bob")
    assert "bob" not in [n.lower() for n in label_set.rater_names()]
    labels["item"] = "z999"
    labels.to_csv(tmp_path / "ds" / "labels.csv", index=False)
    with pytest.raises(LabelError, match="not in label set"):
        import_labels(label_set, tmp_path / "ds", rater="bob")
    with pytest.raises(LabelError, match="already labels set"):
        export_dataset(label_set, "alice", tmp_path / "ds2")
        import_labels(label_set, tmp_path / "ds2")  # rater column says alice, who exists
    with pytest.raises(DatasetError, match="not a ZIP"):
        (tmp_path / "bad.zip").write_bytes(b"nope")
        import_labels(label_set, tmp_path / "bad.zip", rater="bob")
    assert len(label_set.rater("alice").labels) == len(label_set)


def test_agreement_files_give_the_numbers_of_mgs_agree(label_set, tmp_path):
    from mgs_core.analysis.raters import agree
    from mgs_core.cli import main

    _label_all(label_set, "alice")
    _label_all(label_set, "bob", offset=0.7)
    label_set.add_rater("carl")
    label_set.label("carl", label_set.items[0].name, 3, (100, 100))
    with pytest.raises(LabelError, match="only 1 item"):
        agreement_files(label_set, ["alice", "carl"], tmp_path / "x")
    files = agreement_files(label_set, ["alice", "bob"], tmp_path / "agree")
    assert files.scale == "0-9" and files.n_items == len(label_set)
    rep = agree(files.key, files.raters, files.scale)
    assert main(["agree", str(files.key), *map(str, files.raters), "--out", str(tmp_path / "rep")]) == 0
    cli = pd.read_csv(tmp_path / "rep" / "agreement.csv")
    mine = rep.table()
    assert np.allclose(cli["mae"], mine["mae"]) and np.allclose(cli["icc_2_1"], mine["icc_2_1"], equal_nan=True)
    assert rep.not_scorable["alice"] == [label_set.items[2].name + ".png"]
    assert rep.model_vs_rater[1].ba.bias == pytest.approx(-0.7, abs=0.2)


def test_mixed_scales_compare_on_mgs012(label_set, tmp_path):
    _label_all(label_set, "alice")
    _label_all(label_set, "bob", scale="mgs012")
    files = agreement_files(label_set, ["alice", "bob"], tmp_path / "agree")
    assert files.scale == "mgs012"
    vals = set(pd.read_csv(files.raters[0], dtype=str)["score"])
    assert vals <= {"0", "1", "2", "x"}
