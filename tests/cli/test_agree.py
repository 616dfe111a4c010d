import pandas as pd

from mgs_core.cli import main


def _files(tmp_path):
    images = [f"kf_{i:04d}.png" for i in range(1, 9)]
    model = [0.5, 2.0, 3.1, 4.2, 5.0, 6.4, 7.7, 8.5]
    key = tmp_path / "key.csv"
    pd.DataFrame({"image": images, "model_score_0_9": model, "animal": "m1"}).to_csv(key, index=False)
    h1 = tmp_path / "h1.csv"
    pd.DataFrame({"image": images[::-1], "score": [8, 7, 6.5, 5.5, 4, 3, 2.5, 1]}).to_csv(h1, index=False)
    h2 = tmp_path / "h2.csv"
    pd.DataFrame({"image": images, "score": [1, 2, 3, 4, 5, 6, 7, 9]}).to_csv(h2, index=False)
    return key, h1, h2


def test_agree_cli_writes_report(tmp_path, capsys):
    key, h1, h2 = _files(tmp_path)
    out = tmp_path / "agree"
    assert main(["agree", str(key), str(h1), str(h2), "--out", str(out)]) == 0
    for name in ("agreement.md", "agreement.csv", "ratings.csv", "scatter.png", "bland_altman.png"):
        assert (out / name).is_file(), name
    table = pd.read_csv(out / "agreement.csv")
    assert list(table["b"]) == ["h1", "h2", "rater_mean", "h2"] and list(table["a"])[-1] == "h1"
    md = (out / "agreement.md").read_text()
    assert "Between humans" in md and "ICC(2,1)" in md
    assert "model vs h1" in capsys.readouterr().out


def test_agree_cli_names_the_bad_row(tmp_path, capsys):
    key, h1, _ = _files(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("image,score\nkf_0001.png,1\nkf_0002.png,12\n")
    assert main(["agree", str(key), str(h1), str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "bad.csv row 3" in err and "Traceback" not in err
    assert main(["agree", str(key), str(h1), "--scale", "mgs012", "--out", str(tmp_path / "o")]) == 2
    assert "h1.csv row 2" in capsys.readouterr().err


def test_agree_cli_reports_not_scorable_images(tmp_path):
    key, h1, _ = _files(tmp_path)
    x = tmp_path / "x.csv"
    x.write_text("image,score\n" + "\n".join(f"kf_{i:04d}.png,{'x' if i == 3 else i}" for i in range(1, 9)) + "\n")
    assert main(["agree", str(key), str(h1), str(x), "--out", str(tmp_path / "o")]) == 0
    md = (tmp_path / "o" / "agreement.md").read_text()
    assert "x: 1 of 8" in md and "kf_0003.png" in md
