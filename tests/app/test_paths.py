"""The data-folder picker never reaches outside the configured folder; uploads get plain file names."""
import os
import zipfile

import pytest

from app_support.datasets import unpack_zip
from app_support.paths import list_files, safe_filename, safe_join
from mgs_core.errors import DatasetError, InputError


@pytest.fixture()
def tree(tmp_path):
    base = tmp_path / "data"
    (base / "sub").mkdir(parents=True)
    (base / "a.mp4").write_bytes(b"x")
    (base / "sub" / "b.mp4").write_bytes(b"x")
    (base / ".hidden.mp4").write_bytes(b"x")
    secret = tmp_path / "secret.mp4"
    secret.write_bytes(b"x")
    os.symlink(secret, base / "link.mp4")
    os.symlink(tmp_path, base / "up")
    return base


def test_safe_join_accepts_files_inside(tree):
    assert safe_join(tree, "a.mp4") == (tree / "a.mp4").resolve()
    assert safe_join(tree, "sub/b.mp4") == (tree / "sub" / "b.mp4").resolve()


@pytest.mark.parametrize("rel", ["../secret.mp4", "sub/../../secret.mp4", "/etc/passwd", "C:\\Windows\\x",
                                 "..\\secret.mp4", "", "  ", "a\x00.mp4"])
def test_safe_join_refuses_escapes(tree, rel):
    with pytest.raises(InputError):
        safe_join(tree, rel)


def test_safe_join_refuses_symlinks_leading_outside(tree):
    with pytest.raises(InputError, match="outside"):
        safe_join(tree, "link.mp4")
    with pytest.raises(InputError, match="outside"):
        safe_join(tree, "up/secret.mp4")


def test_list_files_only_lists_real_files_inside(tree):
    assert list_files(tree, (".mp4",)) == ["a.mp4", "sub/b.mp4"]
    assert list_files(tree / "missing", (".mp4",)) == []


def test_safe_filename_strips_folders_and_odd_characters():
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\x\\my video (1).mp4") == "my_video_1_.mp4"
    assert safe_filename("..") == "upload"


def test_dataset_zip_refuses_entries_leaving_the_folder(tmp_path):
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("../evil.txt", "x")
    with pytest.raises(DatasetError, match="leave"):
        unpack_zip(bad, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()
    notzip = tmp_path / "n.zip"
    notzip.write_text("hello")
    with pytest.raises(DatasetError, match="not a ZIP"):
        unpack_zip(notzip, tmp_path / "out")
