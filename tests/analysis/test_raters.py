import numpy as np
import pandas as pd
import pytest

from mgs_core.analysis.agreement import icc
from mgs_core.analysis.raters import agree, load_rater
from mgs_core.errors import InputError

IMAGES = [f"kf_{i:04d}.png" for i in range(1, 11)]
MODEL = [0.5, 1.8, 2.9, 3.5, 4.4, 5.1, 6.2, 7.0, 8.3, 2.2]


@pytest.fixture
def key(tmp_path):
    p = tmp_path / "key.csv"
    pd.DataFrame({"image": IMAGES, "animal": ["m1", "m2"] * 5, "model_score_0_9": MODEL}).to_csv(p, index=False)
    return p


def _rater(tmp_path, name, scores, images=IMAGES):
    p = tmp_path / name
    pd.DataFrame({"image": images, "score": scores}).to_csv(p, index=False)
    return p


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize("text,match", [
    ("image,score\nkf_0001.png,3\nkf_0001.png,4\n", r"row 3: image 'kf_0001.png' is rated twice \(first at row 2\)"),
    ("image,score\nkf_0001.png,3\nkf_9999.png,4\n", r"row 3: image 'kf_9999.png' is not in the key"),
    ("image,score\nkf_0001.png,9.5\n", r"row 2: score '9.5' .* off-scale"),
    ("image,score\nkf_0001.png,-1\n", r"row 2: .*off-scale"),
    ("image,score\nkf_0001.png,abc\n", r"row 2: score 'abc' .* not a number"),
    ("image,score\nkf_0001.png,\n", r"row 2: no score"),
    ("image,score\n,3\n", r"row 2: no image"),
    ("picture,score\nkf_0001.png,3\n", r"lacks the column 'image'"),
])
def test_malformed_rater_files_name_file_and_row(tmp_path, text, match):
    p = _write(tmp_path, "bad.csv", text)
    with pytest.raises(InputError, match=match) as exc:
        load_rater(p, IMAGES[:2])
    assert "bad.csv" in str(exc.value)


def test_missing_image_and_mgs012_scale(tmp_path):
    p = _write(tmp_path, "r.csv", "image,score\nkf_0001.png,1\n")
    with pytest.raises(InputError, match=r"r.csv: no row for image 'kf_0002.png'"):
        load_rater(p, IMAGES[:2], "mgs012")
    p = _write(tmp_path, "r2.csv", "image,score\nkf_0001.png,1.5\nkf_0002.png,2\n")
    with pytest.raises(InputError, match=r"row 2: .*0, 1 or 2"):
        load_rater(p, IMAGES[:2], "mgs012")
    p = _write(tmp_path, "r3.csv", "image,score\nkf_0002.png,2\nkf_0001.png,0\n")
    assert load_rater(p, IMAGES[:2], "mgs012").tolist() == [0.0, 2.0]  # order follows the key


def test_agree_one_and_two_raters(tmp_path, key):
    h1 = np.array(MODEL) + np.array([0.3, -0.2, 0.5, 0.0, -0.4, 0.2, 0.1, -0.3, 0.4, 0.0])
    h2 = np.array(MODEL) + 0.5
    r1, r2 = _rater(tmp_path, "alice.csv", h1), _rater(tmp_path, "bob.csv", h2)
    one = agree(key, [r1])
    (p,) = one.model_vs_rater
    assert p.b == "alice" and p.n == 10 and one.inter_rater == [] and one.inter_rater_icc_2_1 is None
    assert p.mae == pytest.approx(np.mean(np.abs(np.array(MODEL) - h1)))
    assert p.ba.bias == pytest.approx(np.mean(np.array(MODEL) - h1))
    assert p.icc_2_1.value == pytest.approx(icc(np.column_stack([MODEL, h1]), "2,1").value)
    two = agree(key, [r1, r2])
    assert [x.b for x in two.model_vs_rater] == ["alice", "bob", "rater_mean"]
    assert two.model_vs_rater[2].mae == pytest.approx(np.mean(np.abs(np.array(MODEL) - (h1 + h2) / 2)))
    (ir,) = two.inter_rater
    assert (ir.a, ir.b) == ("alice", "bob")
    assert two.inter_rater_icc_3_1.value == pytest.approx(icc(np.column_stack([h1, h2]), "3,1").value)
    table = two.table()
    assert {"icc_2_1", "ba_bias", "kappa_linear_0_2", "scale"} <= set(table.columns) and len(table) == 4


def test_agree_on_mgs012_scale_converts_the_model(tmp_path, key):
    cats = [0, 0, 0, 1, 1, 1, 2, 2, 2, 0]
    res = agree(key, [_rater(tmp_path, "c.csv", cats)], scale="mgs012")
    (p,) = res.model_vs_rater
    assert res.ratings["model"].tolist() == cats and p.scale == "mgs012"
    assert p.kappa_linear == pytest.approx(1.0) and p.mae == 0.0


def test_constant_rater_gives_nan_with_reason_not_a_crash(tmp_path, key):
    res = agree(key, [_rater(tmp_path, "flat.csv", [4.0] * 10)])
    (p,) = res.model_vs_rater
    assert np.isnan(p.r)
    assert np.isfinite(p.icc_2_1.value)  # model varies, so the ICC is defined (and low)


def test_spreadsheet_exports_are_accepted(tmp_path):
    p = tmp_path / "excel.csv"
    p.write_bytes("\ufeffimage;score\r\nkf_0001.png;4,5\r\nkf_0002.png;7\r\n".encode("utf-8"))
    assert load_rater(p, IMAGES[:2]).tolist() == [4.5, 7.0]


def test_not_scorable_marks_are_counted_and_left_out(tmp_path, key):
    h1 = [f"{v:.1f}" for v in MODEL]
    h1[2], h1[7] = "x", "No eye"
    r1 = _rater(tmp_path, "alice.csv", h1)
    r2 = _rater(tmp_path, "bob.csv", [f"{v + 0.5:.1f}" for v in MODEL])
    res = agree(key, [r1, r2])
    assert res.not_scorable == {"alice": ["kf_0003.png", "kf_0008.png"], "bob": []}
    assert res.model_vs_rater[0].n == 8 and res.model_vs_rater[1].n == 10
    assert res.inter_rater_icc_2_1.n_targets == 8  # ICC over humans drops images without all ratings
    assert res.model_vs_rater[2].n == 10  # the rater mean uses the raters who scored the image
