"""The ROI page's frame reader returns exactly the frame at the slider's index (through mgs_core.io.video)."""
import numpy as np

from app_support import media
from mgs_core.io.video import open_video, write_video


def test_frame_at_matches_sequential_decoding(tmp_path):
    frames = [np.full((48, 64, 3), 4 * i, np.uint8) for i in range(40)]
    path = write_video(tmp_path / "clip.mp4", frames, fps=30)
    with open_video(path, threaded=False) as src:
        decoded = [f.image for f in src]
    for i in (0, 17, 39):
        np.testing.assert_array_equal(media.frame_at(path, i), decoded[i])
    assert media.info(path).n_frames == 40
