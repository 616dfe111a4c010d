"""Fixtures of the analysis tests."""
import pytest

from .video_fixture import make_video_set


@pytest.fixture(scope="session")
def video_set(tmp_path_factory):
    return make_video_set(tmp_path_factory.mktemp("video"))
