"""`mgs label ...`: status, rater, export/import, agree-files; bad input exits 2 with one message."""
import pandas as pd

from mgs_core.cli import main


def test_label_cli_round_trip(label_set, tmp_path, capsys):
    root = str(label_set.root)
    assert main(["label", "rater", root, "Alice"]) == 0
    assert main(["label", "rater", root, "alice"]) == 2
    assert "already labels set" in capsys.readouterr().err
    for k, it in enumerate(label_set.items):
        label_set.label("Alice", it.name, k % 9, (120, 120))
    assert main(["label", "status", root]) == 0
    assert f"Alice (0-9): {len(label_set)} of {len(label_set)} labelled" in capsys.readouterr().out
    assert main(["label", "export", root, "--rater", "Alice", "--out", str(tmp_path / "a.zip")]) == 0
    assert main(["label", "import", root, str(tmp_path / "a.zip"), "--rater", "Bea"]) == 0
    assert main(["label", "agree-files", root, "--raters", "Alice", "Bea", "--out", str(tmp_path / "ag")]) == 0
    out = capsys.readouterr().out
    assert "mgs agree" in out
    a, b = pd.read_csv(tmp_path / "ag" / "Alice.csv"), pd.read_csv(tmp_path / "ag" / "Bea.csv")
    assert a.equals(b)
    assert main(["label", "import", root, str(tmp_path / "missing.zip")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_pick_refuses_mismatched_rois_and_missing_video(video, tmp_path, capsys):
    assert main(["label", "pick", str(video), str(video), "--rois", str(video.with_name("rec.rois.json")),
                 "--n", "4", "--out", str(tmp_path / "s")]) == 2
    assert "one --rois per video" in capsys.readouterr().err
    assert main(["label", "pick", str(tmp_path / "nope.mp4"), "--n", "4", "--out", str(tmp_path / "s")]) == 2
    assert "does not exist" in capsys.readouterr().err
