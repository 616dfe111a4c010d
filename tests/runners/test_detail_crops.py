"""Detail crops: a k x 256 crop is first looked at at 256 px, its closer looks and its eye patch cut from its own pixels
(runners/base.py)."""
import cv2
import numpy as np
import pytest

from mgs_core.patches import eye_patches, shift_views
from mgs_core.runners import load_runner
from mgs_core.runners.local import MAX_DETAIL
from mgs_core.synth.dataset import render_item
from mgs_core.types import SCORED

SEED = 27182


@pytest.fixture(scope="module")
def runner():
    return load_runner(backend="torch")


@pytest.fixture(scope="module")
def items():
    """Rendered at 512 px: small and mid-sized eyes of every kind, open to shut."""
    out = [render_item(SEED, i, size=512, score=float(i % 10), hidden="") for i in range(12)]
    return [it for it in out if it.eye_visible]


def _small(big):
    return np.stack([cv2.resize(b, (256, 256), interpolation=cv2.INTER_AREA) for b in big])


def test_detail_crop_decides_as_its_256_px_view_and_reports_detail_pixels(runner, items):
    big = np.stack([it.image for it in items])
    small = _small(big)
    base, detail = runner.infer(small), runner.infer(big)
    assert runner.info().max_detail == MAX_DETAIL >= 2
    zoomed = [runner.zoom.wants(d) for d in runner._decisions(runner._looked(small))]
    assert any(zoomed) and not all(zoomed)
    for b, d, z, it in zip(base, detail, zoomed, items):
        if z:  # its closer looks saw the detail crop's own pixels: the same eye, not necessarily the same pixel
            if b.eye_x is not None and d.eye_x is not None:
                near = np.hypot(d.eye_x - ((b.eye_x + 0.5) * 2 - 0.5), d.eye_y - ((b.eye_y + 0.5) * 2 - 0.5))
                assert near <= 0.5 * it.eye_length if it.eye_length else near <= 0.5 * d.eye_length
            continue
        assert d.status == b.status  # sure at the first look: decided on the 256-px view alone
        if b.eye_x is None:
            assert d.eye_x is None
            continue
        assert d.eye_x == pytest.approx((b.eye_x + 0.5) * 2 - 0.5, abs=1e-3)
        assert d.eye_y == pytest.approx((b.eye_y + 0.5) * 2 - 0.5, abs=1e-3)
        assert d.eye_length == pytest.approx(2 * b.eye_length, rel=1e-4)
        assert d.confidence == pytest.approx(b.confidence)
    found = [np.hypot(d.eye_x - it.eye_x, d.eye_y - it.eye_y) <= 0.5 * it.eye_length
             for d, it in zip(detail, items) if d.eye_x is not None]
    assert np.mean(found) >= 0.75  # in the 512-px crop's own coordinates


def test_detail_crop_is_scored_from_its_own_pixels(runner, items):
    big = np.stack([it.image for it in items])
    detail = runner.infer(big)
    k = runner.score_model.patch_k
    for d, img in zip(detail, big):
        if d.status != SCORED:
            continue
        views = shift_views([(d.eye_x, d.eye_y, d.eye_length)], runner.score_shift, "scaled", k)
        raw = np.mean([runner.score_patches(eye_patches(img[None], v, "scaled", k))[0] for v in views])
        assert d.score == pytest.approx(float(np.clip(raw, 0, 9)), abs=1e-4)


@pytest.mark.parametrize("side", [300, 128, 256 * (MAX_DETAIL + 1)])
def test_other_crop_sizes_are_refused(runner, side):
    with pytest.raises(ValueError, match="expected crops of shape"):
        runner.infer(np.zeros((1, side, side, 3), np.uint8))
