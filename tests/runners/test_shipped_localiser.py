"""The shipped keypoint U-Net + regressor on rendered fixtures: shut eyes are found, no mouse means no eye.

A few dozen crops rendered on the fly (seeds no training set uses); thresholds are loose so the test checks behaviour
(a shut eye is still located, an empty scene gets no eye), not the benchmark figures of docs/benchmarks.md.
"""
import numpy as np
import pytest

from mgs_core.runners import load_runner
from mgs_core.synth.dataset import render_item
from mgs_core.synth.nomouse import NOMOUSE_KINDS, render_nomouse
from mgs_core.types import NO_ANIMAL, SCORED, TOO_SMALL

SEED = 31415


@pytest.fixture(scope="module")
def runner():
    return load_runner(backend="torch")


def _found(results, items) -> list[bool]:
    ok = []
    for r, it in zip(results, items):
        if r.eye_x is None:
            ok.append(False)
            continue
        ok.append(np.hypot(r.eye_x - it.eye_x, r.eye_y - it.eye_y) <= 0.5 * it.eye_length)
    return ok


@pytest.mark.parametrize("kind", ["box", "closeup", "headfixed"])
def test_shut_eyes_are_found_where_they_are(runner, kind):
    items = [render_item(SEED, i, score=8.7, hidden="", kind=kind) for i in range(12)]
    items = [it for it in items if it.eye_visible]
    results = runner.infer(np.stack([it.image for it in items]))
    found = _found(results, items)
    # measured: box 7/12, closeup and headfixed higher (docs/benchmarks.md); shut eyes are the weakest case
    assert np.mean(found) >= 0.5, [(r.status, r.confidence) for r in results]
    scored = [r.score for r, f in zip(results, found) if f and r.status == SCORED]
    assert scored and np.median(scored) >= 5.5  # a shut eye reads as tightened, not as open


def test_open_eyes_read_as_open(runner):
    items = [render_item(SEED + 1, i, score=0.5, hidden="", kind="closeup") for i in range(10)]
    results = runner.infer(np.stack([it.image for it in items]))
    scored = [r.score for r, f in zip(results, _found(results, items)) if f and r.status == SCORED]
    assert len(scored) >= 7 and np.median(scored) <= 3.0


def test_no_mouse_gives_no_eye(runner):
    crops = np.stack([render_nomouse(np.random.default_rng([SEED, i]), NOMOUSE_KINDS[i % len(NOMOUSE_KINDS)]).image
                      for i in range(15)])
    results = runner.infer(crops)
    assert sum(r.status in (SCORED, TOO_SMALL) for r in results) <= 1
    assert all(r.score is None for r in results if r.status != SCORED)
    assert any(r.status == NO_ANIMAL for r in results)


def test_small_eyes_in_a_wide_infrared_view_are_found(runner):
    # the far kind (head-fixed / close-up looks from further away, eyes 6-28 px); measured with v0.6: open 14 of 16
    # found (median score 0.7), shut 8 of 16 (median 8.3); v0.5: 12 and 7: the weakest regime left (model card)
    for score, need, ok in ((1.0, 10, lambda m: m <= 3.0), (8.7, 5, lambda m: m >= 5.5)):
        items = [it for it in (render_item(SEED, i, score=score, hidden="", kind="far") for i in range(16))
                 if it.eye_visible]
        results = runner.infer(np.stack([it.image for it in items]))
        found = _found(results, items)
        assert sum(found) >= need, [(r.status, r.confidence) for r in results]
        scored = [r.score for r, f in zip(results, found) if f and r.status == SCORED]
        assert scored and ok(np.median(scored)), scored


def test_flip_tta_looks_again_at_unsure_crops_only(runner):
    # the mirrored second look: crops whose heatmap peak is in FLIP_BAND get the mean of their own and the mirrored
    # crop's maps (flipped back); sure eyes and clear no-eyes keep their maps; off means the maps are untouched
    from mgs_core.runners.local import FLIP_BAND

    crops = np.stack([render_item(SEED + 2, i, score=float(i % 10), kind=kind).image for i in range(16)
                      for kind in ("box", "far", "backlit")])  # small and dark-field eyes: some unsure peaks
    maps = runner.segment(crops)
    before = runner.flip_tta
    try:
        runner.flip_tta = False
        assert runner.mirrored(crops, maps) is maps
        runner.flip_tta = True
        labels, heat, log2 = runner.mirrored(crops, maps)
    finally:
        runner.flip_tta = before
    _, mh, ml = runner.segment(np.ascontiguousarray(crops[:, :, ::-1]))
    peak = maps[1].reshape(len(crops), -1).max(axis=1)
    band = (peak >= FLIP_BAND[0]) & (peak <= FLIP_BAND[1])
    assert band.any() and (~band).any(), peak
    assert np.array_equal(labels, maps[0])
    for i in range(len(crops)):
        if band[i]:
            np.testing.assert_allclose(heat[i], (maps[1][i] + mh[i][:, ::-1]) / 2, atol=1e-6)
            np.testing.assert_allclose(log2[i], (maps[2][i] + ml[i][:, ::-1]) / 2, atol=1e-6)
        else:
            assert np.array_equal(heat[i], maps[1][i]) and np.array_equal(log2[i], maps[2][i])


def test_the_zoom_pass_adds_a_tile_centred_on_the_first_peak(runner, monkeypatch):
    # the runner's zoom pass with a focus tile: one more tile per unsure crop, its eye taken when it confirms the first
    # guess (same place, same size) and is surer; an eye it finds elsewhere is not taken from it
    from dataclasses import replace

    from mgs_core.eye_heatmap import EyePeak
    from mgs_core.localise import EyeDecision
    from mgs_core.types import EYE_HIDDEN

    calls, focus = [], {"peak": EyePeak(127.5, 127.5, 0.7, 22.0)}

    def scripted(maps):
        n = len(maps[0])
        calls.append(n)
        if len(calls) == 1:  # the first look: unsure, a weak guess at (62, 60), 11 px long
            return [EyeDecision(EYE_HIDDEN, EyePeak(62.0, 60.0, 0.3, 11.0), 0.3)]
        grid = [EyeDecision(EYE_HIDDEN, EyePeak(100.0, 100.0, 0.2, 10.0), 0.2)] * 4
        return grid + [EyeDecision(SCORED, focus["peak"], 0.7)] * (n - 4)  # the focus tile comes last

    monkeypatch.setattr(runner, "segment", lambda crops: None)
    monkeypatch.setattr(runner, "mirrored", lambda crops, maps: (np.ones((len(crops), 96, 96), np.uint8),) * 3)
    monkeypatch.setattr(runner, "_decisions", scripted)
    crops = np.zeros((1, 256, 256, 3), np.uint8)
    monkeypatch.setattr(runner, "zoom", replace(runner.zoom, focus=0.5))
    d = runner.locate(crops)[0]
    assert calls == [1, 5]  # 4 grid tiles + the focus tile
    assert d.status == SCORED and d.peak.confidence == 0.7
    assert abs(d.peak.x - 63.5) < 1e-6 and abs(d.peak.y - 63.5) < 1e-6 and d.peak.length == 11.0  # tile (0, 0, 128)
    calls.clear()
    focus["peak"] = EyePeak(127.5, 127.5, 0.7, 40.0)  # the same place at twice the size: not the first guess's eye
    assert runner.locate(crops)[0].status == EYE_HIDDEN and calls == [1, 5]
    calls.clear()
    focus["peak"] = EyePeak(30.0, 200.0, 0.7, 22.0)  # elsewhere in the tile
    assert runner.locate(crops)[0].status == EYE_HIDDEN
    calls.clear()
    focus["peak"] = EyePeak(127.5, 127.5, 0.7, 22.0)
    monkeypatch.setattr(runner, "zoom", replace(runner.zoom, focus=0.0))
    assert runner.locate(crops)[0].status == EYE_HIDDEN and calls == [1, 4]  # off: the grid alone
