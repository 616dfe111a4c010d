import time

import cv2
import numpy as np
import pytest

from mgs_core.errors import VideoError
from mgs_core.io.video import open_video, probe_video, read_frame, write_video


def numbered(n, w=320, h=240):
    """Frames whose mean brightness encodes their index."""
    for i in range(n):
        yield np.full((h, w, 3), 10 + 6 * i, np.uint8)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return write_video(tmp_path_factory.mktemp("v") / "clip.mp4", numbered(30), fps=25)


def index_of(img):
    return round((img.mean() - 10) / 6)


def test_probe(clip):
    info = probe_video(clip)
    assert (info.width, info.height, info.codec, info.is_image) == (320, 240, "h264", False)
    assert info.fps == pytest.approx(25) and info.n_frames == 30 and info.duration_s == pytest.approx(1.2, abs=0.05)


@pytest.mark.parametrize("threaded", [True, False])
def test_all_frames_true_timestamps(clip, threaded):
    with open_video(clip, threaded=threaded) as src:
        frames = list(src)
    assert [f.index for f in frames] == list(range(30))
    assert [f.time_s for f in frames] == pytest.approx([i / 25 for i in range(30)], abs=1e-6)
    assert [index_of(f.image) for f in frames] == list(range(30))
    assert frames[0].image.shape == (240, 320, 3) and frames[0].image.dtype == np.uint8
    assert src.decode_error is None


def test_stride_start_max_frames(clip):
    with open_video(clip, stride=4, start=2, max_frames=5) as src:
        assert [f.index for f in src] == [2, 6, 10, 14, 18]


def test_read_frame(clip):
    assert index_of(read_frame(clip, 17)) == 17
    with pytest.raises(VideoError, match="no frame 99"):
        read_frame(clip, 99)


def test_live_mode_drops_stale_frames(clip):
    got = []
    t0 = time.perf_counter()
    with open_video(clip, live=True) as src:
        for f in src:
            got.append(f.index)
            time.sleep(0.15)  # a consumer slower than 25 fps
    elapsed = time.perf_counter() - t0
    assert src.dropped > 0 and len(got) < 20
    assert got == sorted(got) and got[-1] >= 25  # keeps up with the clock: reaches the end in about real time
    assert elapsed < 2.0


def test_close_early_stops_thread(clip):
    src = open_video(clip)
    it = iter(src)
    next(it)
    src.close()
    assert src._thread is None


def test_image_is_one_frame_source(tmp_path):
    img = np.zeros((50, 70, 3), np.uint8)
    img[..., 0] = 200  # red
    path = tmp_path / "still.png"
    cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    info = probe_video(path)
    assert info.is_image and (info.width, info.height, info.n_frames) == (70, 50, 1)
    frames = list(open_video(path))
    assert len(frames) == 1 and frames[0].time_s == 0.0 and frames[0].image[0, 0, 0] == 200
    np.testing.assert_array_equal(read_frame(path), img)


def test_non_video_and_missing(tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("hello, not a video\n" * 50)
    with pytest.raises(VideoError, match="not a video or image MGS Live can read"):
        open_video(bad)
    fake_png = tmp_path / "x.png"
    fake_png.write_bytes(b"\x00" * 10)
    with pytest.raises(VideoError, match="not a video or image"):
        probe_video(fake_png)
    with pytest.raises(VideoError, match="does not exist"):
        open_video(tmp_path / "missing.mp4")


def test_truncated_video_yields_good_frames_then_reports(clip, tmp_path):
    # PyAV's mp4 muxer writes the index (moov) at the end, so a cut mp4 is unreadable: cut a matroska copy
    mkv = write_video(tmp_path / "clip.mkv", numbered(30), fps=25)
    raw = mkv.read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(raw[: len(raw) * 2 // 3])
    with open_video(cut) as src:
        frames = list(src)
    assert 5 < len(frames) < 30
    # every yielded frame is the right picture at the right index and time, even after a gap
    assert [index_of(f.image) for f in frames] == [f.index for f in frames]
    assert [f.time_s for f in frames] == pytest.approx([f.index / 25 for f in frames], abs=1e-6)
    assert "truncated" in src.decode_error and f"after frame {frames[-1].index}" in src.decode_error
    with pytest.raises(VideoError, match="truncated"):
        list(open_video(cut, strict=True))
    # garbage in the middle of the stream
    bad = bytearray(raw)
    mid = len(bad) // 2
    bad[mid : mid + 2000] = b"\xff" * 2000
    (tmp_path / "bad.mkv").write_bytes(bytes(bad))
    with open_video(tmp_path / "bad.mkv") as src:
        n = sum(1 for _ in src)
    assert n >= 1  # what decodes is yielded; no exception escapes


def test_read_frame_matches_sequential_decoding(tmp_path):
    frames = [np.full((48, 64, 3), 4 * i, np.uint8) for i in range(60)]
    path = write_video(tmp_path / "gop.mp4", frames, fps=30)
    with open_video(path, threaded=False) as src:
        decoded = [f.image for f in src]
    for i in (1, 13, 29, 30, 47, 59):
        np.testing.assert_array_equal(read_frame(path, i), decoded[i])


@pytest.fixture(scope="module")
def long_gop(tmp_path_factory):
    """120 numbered frames at 25 frames/s with a key frame at least every 10 frames."""
    return write_video(tmp_path_factory.mktemp("g") / "gop10.mp4", (gop_frame(i) for i in range(120)), fps=25,
                       keyint=10)


def gop_frame(i):
    """A flat frame whose colour encodes ``i`` (0-143): red steps for i % 12, green for i // 12."""
    img = np.full((240, 320, 3), 128, np.uint8)
    img[..., 0], img[..., 1] = 10 + 20 * (i % 12), 10 + 20 * (i // 12)
    return img


def gop_index(img):
    r, g = img[..., 0].mean(), img[..., 1].mean()
    return round((r - 10) / 20) + 12 * round((g - 10) / 20)


@pytest.mark.parametrize("start", [1, 9, 10, 11, 57, 100, 117])
def test_start_seeks_to_a_key_frame_and_lands_on_the_start_frame(long_gop, start):
    with open_video(long_gop, start=start, max_frames=3, threaded=False) as src:
        frames = list(src)
    assert [f.index for f in frames] == [start, start + 1, start + 2]
    assert [gop_index(f.image) for f in frames] == [start, start + 1, start + 2]  # the right pictures
    assert [f.time_s for f in frames] == pytest.approx([start / 25, (start + 1) / 25, (start + 2) / 25], abs=1e-6)
    assert not src.seek_fell_back and start - 10 <= src.first_index <= start  # began at a key frame before it
    assert src.frames_decoded <= start - src.first_index + 4  # not decoded from the first frame (+1 read ahead)
    if start >= 20:
        assert src.first_index > 0


def test_a_seek_that_lands_past_the_start_decodes_from_the_beginning(long_gop, monkeypatch):
    from mgs_core.io import video

    def overshoot(self, container, st, tb, t0, fps):  # as a file with a broken index could
        container.seek(int((self.start + 30) / fps / tb), stream=st, backward=True, any_frame=False)
        return True

    monkeypatch.setattr(video.VideoSource, "_seek", overshoot)
    with open_video(long_gop, start=40, max_frames=2, threaded=False) as src:
        frames = list(src)
    assert [f.index for f in frames] == [40, 41] and [gop_index(f.image) for f in frames] == [40, 41]
    assert src.seek_fell_back and src.first_index == 0


def test_reading_past_the_end_after_a_seek_names_the_real_length(long_gop):
    with pytest.raises(VideoError, match=r"no frame 500 \(it has 120 frames\)"):
        read_frame(long_gop, 500)
    assert gop_index(read_frame(long_gop, 119)) == 119
