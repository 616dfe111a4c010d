import numpy as np

from mgs_core.eye_heatmap import heatmap_target
from mgs_core.localise import KeypointRules, ZoomRules, decide, decision_card, flip_tta_from_card
from mgs_core.types import EYE_HIDDEN, NO_ANIMAL, SCORED, TOO_SMALL


def _maps(animal: bool = True, conf: float = 0.9, length_crop: float = 30.0, at=(50.0, 40.0)):
    labels = np.zeros((96, 96), np.uint8)
    if animal:
        labels[20:80, 20:80] = 1
    heat = heatmap_target(96, at[0], at[1], length_crop * 96 / 256) * conf
    log2 = np.full((96, 96), np.log2(length_crop), np.float32)
    return labels, heat, log2


def test_scored_eye_on_an_animal():
    d = decide(*_maps())
    assert d.status == SCORED and d.scorability > 0.85
    assert abs(d.peak.x - (50.5 * 256 / 96 - 0.5)) < 1.5 and abs(d.peak.length - 30) < 1e-3


def test_no_animal_means_no_eye_even_with_a_confident_heatmap():
    d = decide(*_maps(animal=False))
    assert d.status == NO_ANIMAL and d.peak is None and d.scorability == 0


def test_low_confidence_or_off_the_animal_is_hidden():
    assert decide(*_maps(conf=0.1)).status == EYE_HIDDEN
    assert decide(*_maps(at=(5.0, 5.0))).status == EYE_HIDDEN  # a confident peak on the floor is no eye


def test_too_small_keeps_the_position_but_is_not_judged():
    d = decide(*_maps(length_crop=4.0), rules=KeypointRules(min_judge_length=7.0))
    assert d.status == TOO_SMALL and d.peak is not None and d.scorability < 0.6


def test_zoom_tiles_cover_the_crop_and_map_back():
    from mgs_core.localise import EyeDecision, ZoomRules, from_tile, zoom_tiles
    from mgs_core.eye_heatmap import EyePeak

    rules = ZoomRules(grid=2, side=0.6)
    crops = np.zeros((1, 256, 256, 3), np.uint8)
    crops[0, 30:36, 180:186] = 255  # a bright spot in the upper-right tile
    tiles, origins = zoom_tiles(crops, rules)
    assert tiles.shape == (4, 256, 256, 3) and origins[0] == (0, 0, 154) and origins[-1] == (102, 102, 154)
    x0, y0, t = origins[1]
    ys, xs = np.nonzero(tiles[1, ..., 0] > 128)
    back_x = x0 + (xs.mean() + 0.5) * t / 256 - 0.5
    back_y = y0 + (ys.mean() + 0.5) * t / 256 - 0.5
    assert abs(back_x - 182.5) < 1 and abs(back_y - 32.5) < 1
    d = from_tile(EyeDecision(SCORED, EyePeak(128.0, 64.0, 0.9, 40.0), 0.9), origins[1], 256)
    assert d.status == SCORED and abs(d.peak.length - 40 * 154 / 256) < 1e-6
    assert abs(d.peak.x - (102 + 128.5 * 154 / 256 - 0.5)) < 1e-6
    small = from_tile(EyeDecision(SCORED, EyePeak(10.0, 10.0, 0.9, 9.0), 0.9), origins[0], 256)
    assert small.status == TOO_SMALL  # 9 px in the tile is 5.4 px in the crop


def test_tiles_cut_from_a_detail_crop_show_its_own_pixels_at_the_same_place():
    import cv2

    from mgs_core.eye_heatmap import EyePeak
    from mgs_core.localise import focus_tiles, zoom_tiles

    rng = np.random.default_rng(3)
    detail = rng.integers(0, 256, (1, 512, 512, 3), dtype=np.uint8)
    detail[0, 60:72, 360:372] = 255  # a bright square: (366, 66) at 512 px, (182.75, 32.75) at 256
    crops = cv2.resize(detail[0], (256, 256), interpolation=cv2.INTER_AREA)[None]
    rules = ZoomRules(grid=2, side=0.5)
    plain, origins = zoom_tiles(crops, rules)
    sharp, same = zoom_tiles(crops, rules, detail)
    assert same == origins and sharp.shape == plain.shape
    x0, y0, t = origins[1]  # 128-px tiles: a 256-px piece of the detail crop, not 128 px enlarged twice
    assert np.array_equal(sharp[1], detail[0, 2 * y0 : 2 * (y0 + t), 2 * x0 : 2 * (x0 + t)])
    for tiles in (plain, sharp):  # the square at the same place in both
        ys, xs = np.nonzero(tiles[1].min(axis=2) == 255)
        assert abs(x0 + (xs.mean() + 0.5) * t / 256 - 0.5 - 182.75) < 0.6
        assert abs(y0 + (ys.mean() + 0.5) * t / 256 - 0.5 - 32.75) < 0.6
    assert sharp[1].std() > plain[1].std() * 1.2  # the detail crop's texture, not a smoothed enlargement
    peak = [EyePeak(182.75, 32.75, 0.5, 10.0)]
    f_plain, fo = focus_tiles(crops, peak, 0.33)
    f_sharp, fo2 = focus_tiles(crops, peak, 0.33, detail)
    assert fo == fo2 and f_sharp.shape == f_plain.shape and f_sharp[0].std() > f_plain[0].std()
    assert np.array_equal(zoom_tiles(crops, rules, crops)[0], plain)  # the crop as its own detail: as before


def test_refine_takes_a_more_confident_tile_and_never_zooms_an_empty_scene():
    from mgs_core.localise import EyeDecision, ZoomRules, refine_with_tiles
    from mgs_core.eye_heatmap import EyePeak

    rules = ZoomRules()
    first = EyeDecision(EYE_HIDDEN, EyePeak(5.0, 5.0, 0.2, 10.0), 0.2)
    assert rules.wants(first) and not rules.wants(EyeDecision(NO_ANIMAL, None, 0.0))
    assert not rules.wants(EyeDecision(SCORED, EyePeak(5.0, 5.0, 0.9, 20.0), 0.9))
    tiles = [EyeDecision(EYE_HIDDEN, EyePeak(1.0, 1.0, 0.25, 9.0), 0.25),
             EyeDecision(SCORED, EyePeak(100.0, 50.0, 0.8, 30.0), 0.8)]
    best = refine_with_tiles(first, tiles, rules.origins(256)[:2], 256)
    assert best.status == SCORED and best.peak.confidence == 0.8
    assert refine_with_tiles(first, tiles[:1], rules.origins(256)[:1], 256) is first


def test_decision_thresholds_round_trip_through_a_card():
    assert KeypointRules.from_card({}) == KeypointRules() and ZoomRules.from_card(None) == ZoomRules()
    card = {"decision": decision_card(KeypointRules(min_confidence=0.55), ZoomRules(below=0.65))}
    rules, zoom = KeypointRules.from_card(card), ZoomRules.from_card(card)
    assert rules.min_confidence == 0.55 and rules.min_judge_length == KeypointRules().min_judge_length
    assert zoom.below == 0.65
    labels, heat, log2 = _maps(conf=0.52)  # between the default threshold and the card's
    assert decide(labels, heat, log2).status == SCORED
    assert decide(labels, heat, log2, rules=rules).status == EYE_HIDDEN


def test_flip_tta_travels_in_the_card_and_is_off_without_it():
    assert not flip_tta_from_card(None) and not flip_tta_from_card({"decision": decision_card(KeypointRules(), None)})
    assert "flip_tta" not in decision_card(KeypointRules(), ZoomRules())  # cards made before it stay as they were
    assert flip_tta_from_card({"decision": decision_card(KeypointRules(), ZoomRules(), flip_tta=True)})


def test_focus_tile_is_centred_on_the_first_peak_and_stays_inside_the_crop():
    from mgs_core.eye_heatmap import EyePeak
    from mgs_core.localise import EyeDecision, ZoomRules, focus_tiles, from_tile

    rules = ZoomRules(focus=0.5)
    crops = np.zeros((2, 256, 256, 3), np.uint8)
    crops[0, 98:102, 148:152] = 255  # a spot at (150, 100): the tile is centred on it
    crops[1, 4:8, 250:254] = 255  # near the top-right corner: the tile is moved inside the crop
    tiles, origins = focus_tiles(crops, [EyePeak(149.5, 99.5, 0.3, 10.0), EyePeak(251.5, 5.5, 0.3, 10.0)], rules.focus)
    assert tiles.shape == (2, 256, 256, 3) and origins == [(86, 36, 128), (128, 0, 128)]
    ys, xs = np.nonzero(tiles[0, ..., 0] > 128)
    assert abs(xs.mean() - 127.5) < 2 and abs(ys.mean() - 127.5) < 2  # the first guess in the middle, 2x larger
    back = from_tile(EyeDecision(SCORED, EyePeak(xs.mean(), ys.mean(), 0.9, 20.0), 0.9), origins[0], 256)
    assert abs(back.peak.x - 149.5) < 1 and abs(back.peak.y - 99.5) < 1 and abs(back.peak.length - 10.0) < 1e-6


def test_zoom_focus_travels_in_the_card_and_is_off_without_it():
    assert ZoomRules.from_card({"decision": decision_card(KeypointRules(), ZoomRules(below=0.7))}).focus == 0.0
    assert "zoom_focus" not in decision_card(KeypointRules(), ZoomRules())  # cards made before it stay as they were
    zoom = ZoomRules.from_card({"decision": decision_card(KeypointRules(), ZoomRules(below=0.7, focus=0.5))})
    assert zoom.focus == 0.5 and zoom.below == 0.7



def test_a_focus_tile_confirms_only_the_first_guess_at_its_size():
    from mgs_core.eye_heatmap import EyePeak
    from mgs_core.localise import EyeDecision, confirms

    first = EyePeak(60.0, 20.0, 0.3, 12.0)
    same = EyeDecision(SCORED, EyePeak(62.0, 22.0, 0.7, 14.0), 0.7)
    assert confirms(first, same)
    assert not confirms(first, EyeDecision(SCORED, EyePeak(67.0, 20.0, 0.7, 12.0), 0.7))  # 7 px away: > half of 12
    assert not confirms(first, EyeDecision(SCORED, EyePeak(60.0, 20.0, 0.7, 24.0), 0.7))  # twice the length
    assert not confirms(first, EyeDecision(SCORED, EyePeak(60.0, 20.0, 0.7, 7.0), 0.7))  # under 1/1.5 of it
    assert confirms(first, EyeDecision(TOO_SMALL, EyePeak(60.0, 20.0, 0.7, 9.0), 0.7))
    assert not confirms(first, EyeDecision(EYE_HIDDEN, EyePeak(60.0, 20.0, 0.4, 12.0), 0.4))


def test_the_closer_look_travels_in_the_card_and_is_off_without_it():
    from mgs_core.localise import RefineRules, decision_from_card

    assert RefineRules.from_card(None).below == 0.0 and RefineRules.from_card({"decision": {}}) == RefineRules()
    assert "refine_below" not in decision_card(KeypointRules(), ZoomRules())  # cards made before it stay as they were
    card = {"decision": decision_card(KeypointRules(), ZoomRules(), refine=RefineRules(below=14.0, side=0.35))}
    assert card["decision"]["refine_below"] == 14.0 and decision_from_card(card)[3] == RefineRules(14.0, 0.35)


def test_the_closer_look_wants_small_located_eyes_only():
    from mgs_core.eye_heatmap import EyePeak
    from mgs_core.localise import EyeDecision, RefineRules

    rules = RefineRules(below=14.0)
    assert rules.wants(EyeDecision(SCORED, EyePeak(50.0, 50.0, 0.9, 10.0), 0.9))
    assert rules.wants(EyeDecision(TOO_SMALL, EyePeak(50.0, 50.0, 0.9, 5.0), 0.6))
    assert not rules.wants(EyeDecision(SCORED, EyePeak(50.0, 50.0, 0.9, 20.0), 0.9))  # large enough already
    assert not rules.wants(EyeDecision(EYE_HIDDEN, EyePeak(50.0, 50.0, 0.2, 10.0), 0.2))  # no eye: nothing to measure
    assert not rules.wants(EyeDecision(NO_ANIMAL, None, 0.0))
    assert not RefineRules().wants(EyeDecision(SCORED, EyePeak(50.0, 50.0, 0.9, 10.0), 0.9))  # off by default


def test_the_closer_look_moves_the_eye_only_where_it_confirms_it():
    from mgs_core.eye_heatmap import EyePeak
    from mgs_core.localise import EyeDecision, refined

    first = EyeDecision(SCORED, EyePeak(50.0, 50.0, 0.8, 10.0), 0.8)
    d = refined(first, EyeDecision(SCORED, EyePeak(51.5, 49.0, 0.95, 11.0), 0.95))
    assert (d.peak.x, d.peak.y, d.peak.length) == (51.5, 49.0, 11.0)
    assert d.status == SCORED and d.peak.confidence == 0.8  # whether an eye is there stays the first look's
    assert refined(first, EyeDecision(SCORED, EyePeak(58.0, 50.0, 0.95, 10.0), 0.95)) is first  # 8 px away
    assert refined(first, EyeDecision(SCORED, EyePeak(50.0, 50.0, 0.95, 20.0), 0.95)) is first  # twice the size
    assert refined(first, EyeDecision(EYE_HIDDEN, EyePeak(50.0, 50.0, 0.3, 10.0), 0.3)) is first  # no eye there
    shorter = refined(first, EyeDecision(SCORED, EyePeak(50.0, 50.0, 0.9, 6.8), 0.9))
    assert shorter.status == TOO_SMALL and shorter.peak.length == 6.8  # the size test is redone on the new length


def test_the_closer_focus_tile_travels_in_the_card_and_is_off_without_it():
    assert ZoomRules().focus_sides == () and ZoomRules(focus=0.5).focus_sides == (0.5,)
    assert ZoomRules(focus=0.5, focus_close=0.33).focus_sides == (0.5, 0.33)
    assert "zoom_focus_close" not in decision_card(KeypointRules(), ZoomRules(focus=0.5))  # cards before it
    card = {"decision": decision_card(KeypointRules(), ZoomRules(below=0.7, focus=0.5, focus_close=0.33))}
    zoom = ZoomRules.from_card(card)
    assert (zoom.below, zoom.focus, zoom.focus_close) == (0.7, 0.5, 0.33)
    assert ZoomRules.from_card({"decision": {"zoom_focus": 0.5}}).focus_close == 0.0


def test_the_last_look_is_centred_on_the_most_confident_peak_any_look_saw():
    from mgs_core.eye_heatmap import EyePeak
    from mgs_core.localise import EyeDecision, most_confident_peak

    assert ZoomRules.from_card({"decision": decision_card(KeypointRules(), ZoomRules(last=0.25))}).last == 0.25
    assert "zoom_last" not in decision_card(KeypointRules(), ZoomRules(focus=0.5))  # cards made before it
    first = EyeDecision(EYE_HIDDEN, EyePeak(200.0, 200.0, 0.15, 10.0), 0.15)
    grid = [EyeDecision(EYE_HIDDEN, EyePeak(128.0, 128.0, 0.4, 20.0), 0.4),  # tile (0, 0, 128): crop (63.75, 63.75)
            EyeDecision(EYE_HIDDEN, EyePeak(10.0, 10.0, 0.1, 20.0), 0.1)]
    p = most_confident_peak(first, grid, [(0, 0, 128), (128, 0, 128)], 256)
    assert p.confidence == 0.4 and abs(p.x - 63.75) < 1e-6 and abs(p.length - 10.0) < 1e-6
    assert most_confident_peak(first, grid[1:], [(128, 0, 128)], 256) is first.peak
    assert most_confident_peak(EyeDecision(NO_ANIMAL, None, 0.0), [], [], 256) is None


def test_a_zoomed_out_view_maps_its_eye_back_to_the_crop():
    from mgs_core.eye_heatmap import EyePeak
    from mgs_core.localise import EyeDecision, from_tile, zoom_out_tiles

    crops = np.full((1, 256, 256, 3), 40, np.uint8)
    crops[0, 96:104, 156:164] = 250  # a spot at (159.5, 99.5)
    views, origins = zoom_out_tiles(crops, 0.4)
    assert views.shape == crops.shape and origins[0][2] > 256 and origins[0][0] < 0
    assert (views[0, :5, :5] == 40).all()  # the canvas: the crop's median colour, not smeared edges
    ys, xs = np.nonzero(views[0, ..., 0] > 100)
    back = from_tile(EyeDecision(SCORED, EyePeak(xs.mean(), ys.mean(), 0.9, 8.0), 0.9), origins[0], 256)
    assert abs(back.peak.x - 159.5) < 1.5 and abs(back.peak.y - 99.5) < 1.5  # the spot, found in the view
    assert abs(back.peak.length - 8.0 * 256 / 102) < 1e-6  # lengths grow back by the shrink factor
    assert ZoomRules.from_card({"decision": decision_card(KeypointRules(), ZoomRules(out=0.4))}).out == 0.4
    assert "zoom_out" not in decision_card(KeypointRules(), ZoomRules(focus=0.5))  # cards made before it


def test_two_unsure_looks_at_the_same_eye_agree_on_it():
    from mgs_core.eye_heatmap import EyePeak
    from mgs_core.localise import agreed, same_eye

    first = EyePeak(60.0, 40.0, 0.45, 20.0)
    assert same_eye(first, EyePeak(64.0, 42.0, 0.1, 24.0)) and not same_eye(first, EyePeak(75.0, 40.0, 0.9, 20.0))
    assert not same_eye(first, EyePeak(60.0, 40.0, 0.9, 40.0))  # twice the size
    d = agreed(first, [EyePeak(61.0, 41.0, 0.5, 21.0), EyePeak(90.0, 40.0, 0.9, 20.0)], 0.4)
    assert d.status == SCORED and (d.peak.x, d.peak.confidence) == (61.0, 0.5)  # the surer of the two that agree
    assert agreed(first, [EyePeak(61.0, 41.0, 0.3, 21.0)], 0.4) is None  # one look alone does not do
    assert agreed(EyePeak(60.0, 40.0, 0.2, 20.0), [EyePeak(61.0, 41.0, 0.42, 21.0), EyePeak(59.0, 40.0, 0.41, 19.0)],
                  0.4).peak.confidence == 0.42  # two focus tiles agree, the first look under the bar
    labels = np.zeros((96, 96), np.uint8)  # no animal there: an eye is part of a head
    assert agreed(first, [EyePeak(61.0, 41.0, 0.5, 21.0)], 0.4, labels=labels) is None
    assert ZoomRules.from_card({"decision": decision_card(KeypointRules(), ZoomRules(agree=0.4))}).agree == 0.4
    assert "zoom_agree" not in decision_card(KeypointRules(), ZoomRules(focus=0.5))  # cards made before it


def test_turned_views_turn_exactly_and_their_eyes_map_back():
    from mgs_core.eye_heatmap import EyePeak
    from mgs_core.localise import TURNS, EyeDecision, best_turned, turn_point, turned_views, unturned

    crops = np.zeros((2, 256, 256, 3), np.uint8)
    crops[1, 30, 200] = 255  # one bright pixel at (200, 30) of the second crop
    views = turned_views(crops)
    n = len(TURNS)
    assert TURNS == (1, 3) and views.shape == (2 * n, 256, 256, 3) and not views[:n].any()
    for j, k in enumerate(TURNS):
        ys, xs = np.nonzero(views[n + j, ..., 0])
        assert (xs[0], ys[0]) == turn_point(200, 30, k, 256)  # where the pixel went
        d = unturned(EyeDecision(SCORED, EyePeak(float(xs[0]), float(ys[0]), 0.9, 12.0), 0.9), k, 256)
        assert (d.peak.x, d.peak.y, d.peak.length, d.turn) == (200.0, 30.0, 12.0, k)  # back where it was
    assert turned_views(crops[:0]).shape == (0, 256, 256, 3)
    hidden = EyeDecision(EYE_HIDDEN, EyePeak(10.0, 10.0, 0.3, 12.0), 0.3)
    sure = [EyeDecision(SCORED, EyePeak(100.0, 50.0, 0.7, 20.0), 0.7),
            EyeDecision(SCORED, EyePeak(20.0, 60.0, 0.8, 20.0), 0.8)]
    best = best_turned(sure, 0.6)
    assert best.turn == 3 and (best.peak.x, best.peak.y) == turn_point(20.0, 60.0, -3, 256)  # the surest view
    assert best_turned(sure, 0.85) is None and best_turned([hidden] * 2, 0.1) is None
    assert best_turned([sure[0], hidden], 0.1, KeypointRules(min_confidence=0.75)) is None  # never under the bar
    card = {"decision": decision_card(KeypointRules(), ZoomRules(turn=0.6))}
    assert ZoomRules.from_card(card).turn == 0.6 and card["decision"]["zoom_turn"] == 0.6
    assert "zoom_turn" not in decision_card(KeypointRules(), ZoomRules(focus=0.5))  # cards made before it
