import numpy as np
import pandas as pd

from mgs_core.cli import main


def _results(path, seed, groups=("vehicle", "analgesic")):
    rng = np.random.default_rng(seed)
    rows = []
    for a, g in enumerate(groups):
        for i in range(360):  # 3 min at 2 fps
            vis = rng.random() > 0.2
            s = np.clip((5 if g == "vehicle" else 2) + rng.normal(0, 0.8), 0, 9) if vis else np.nan
            rows.append((i, i / 2, f"box{a}", f"m{a}{seed}", g, int(vis), 5.0, 5.0, s))
    pd.DataFrame(rows, columns=["frame", "time_s", "roi", "animal", "group", "eye_visible", "eye_x", "eye_y",
                                "score"]).to_csv(path, index=False)
    return path


def test_analyze_writes_tables_plots_and_report(tmp_path, capsys):
    files = [str(_results(tmp_path / f"rec{i}.csv", i)) for i in range(2)]
    out = tmp_path / "out"
    assert main(["analyze", *files, "--bin", "1min", "--smooth", "ema:0.3", "--threshold", "4", "--out", str(out)]) == 0
    for name in ("frames.csv", "frames.parquet", "bins.csv", "bins.parquet", "animals.csv", "groups.csv",
                 "group_tests.csv", "curves.png", "curves.html", "report.md"):
        assert (out / name).is_file(), name
    animals = pd.read_csv(out / "animals.csv")
    assert len(animals) == 4 and set(animals["source"]) == {"rec0", "rec1"}
    frames = pd.read_parquet(out / "frames.parquet")
    assert {"score_0_9", "score_smooth_0_9", "mgs_0_2"} <= set(frames.columns)
    tests = pd.read_csv(out / "group_tests.csv")
    assert (tests["leading_group"] == "vehicle").all()
    report = (out / "report.md").read_text()
    assert "procedurally rendered" in report and "ema:0.3" in report
    assert "report:" in capsys.readouterr().out


def test_analyze_bad_input_is_one_line_error(tmp_path, capsys):
    f = _results(tmp_path / "r.csv", 0)
    assert main(["analyze", str(f), "--smooth", "gauss", "--out", str(tmp_path / "o")]) == 2
    assert main(["analyze", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "o")]) == 2
    assert main(["analyze", str(f), "--bin=-5s", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 3 and "Traceback" not in err
