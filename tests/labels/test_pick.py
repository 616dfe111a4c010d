"""Frames chosen to label from a video: scorable only, no near-duplicates, crops equal to the model's crops."""
import numpy as np
import pytest

from mgs_core.labels.store import LabelError

from .conftest import FakeRunner


def test_picks_are_scorable_spread_and_not_near_duplicates(label_set, video):
    from mgs_core.geometry import crop_roi
    from mgs_core.io.rois import load_rois
    from mgs_core.io.video import read_frame

    rois = {r.id: r for r in load_rois(video.with_name("rec.rois.json"))}
    assert len(label_set) == 8
    assert {it.animal for it in label_set.items} == {"m1", "m2"}
    for it in label_set.items:
        assert it.frame % 5 != 0  # the dark frames (no eye) are never chosen
        assert it.model_score is not None
        crop = crop_roi(read_frame(video, it.frame), rois[it.roi], 256)
        assert np.array_equal(label_set.read_image(it), crop)
    for animal in ("m1", "m2"):
        t = sorted(it.time_s for it in label_set.items if it.animal == animal)
        assert np.all(np.diff(t) >= 0.5 - 1e-9)


def test_existing_set_and_empty_inputs_are_refused(label_set, video):
    from mgs_core.labels.pick import VideoInput, create_label_set

    with pytest.raises(LabelError, match="already exists"):
        create_label_set(label_set.root, [VideoInput(video)], FakeRunner(), 4)
    with pytest.raises(LabelError, match="at least 1"):
        create_label_set(label_set.root.with_name("other"), [VideoInput(video)], FakeRunner(), 0)
