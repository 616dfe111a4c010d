"""From the keypoint U-Net's outputs to one decision per crop: where the eye is, and whether it can be judged.

Per crop (maps at the U-Net's resolution S; see :mod:`mgs_core.eye_heatmap`):

1. **no_animal** when the animal (animal + ears + eyes classes) covers less than ``min_animal_frac`` of the map: an
   empty box, bedding, a test pattern. Nothing else is looked at: no eye is ever reported without a mouse.
2. the heatmap peak (arg-max, sub-pixel refined) is the eye candidate; its probability is the confidence.
   **eye_hidden** when the confidence is below ``min_confidence`` (head turned away, paws or apparatus over the
   eye), or when the candidate does not sit on the animal (less than ``min_animal_near`` of the disc of one eye
   length around it is animal/ears/eyes): an eye is part of a head.
3. **too_small** when the predicted eye length is below ``min_judge_length`` crop pixels: found, but too few pixels
   to judge tightening (the patch would be an up-scaled blur); the eye position is kept, no score is given.
4. otherwise **scored**: the regressor scores the patch.

The runner adds two second looks at parts of the crop, each one more U-Net pass on tiles enlarged to the crop size:
the zoom pass (:class:`ZoomRules`) searches unsure crops again, and the closer look (:class:`RefineRules`) re-measures
the centre and length of small located eyes, whose few map pixels limit both.

``scorability`` (0-1) summarises how judgeable the crop was: 0 without an animal; the confidence, times
``min(1, length / min_judge_length)`` for eyes near the size limit.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from mgs_core.eye_heatmap import EyePeak, decode_peak
from mgs_core.types import EYE_HIDDEN, NO_ANIMAL, SCORED, TOO_SMALL

ANIMAL_OR_EYE = (1, 2, 3)


@dataclass(frozen=True)
class KeypointRules:
    """Thresholds of the decision (module docstring); chosen on the validation set (docs/model_card.md)."""

    min_confidence: float = 0.5
    min_animal_frac: float = 0.004
    min_animal_near: float = 0.25
    min_judge_length: float = 7.0  # crop pixels

    @classmethod
    def from_card(cls, card: dict | None) -> "KeypointRules":
        """The rules a U-Net's card carries under ``decision`` (chosen with that model on validation data; see
        :func:`decision_card`), the defaults for any it does not name."""
        d = card_decision(card)
        return cls(**{f.name: float(d[f.name]) for f in fields(cls) if d.get(f.name) is not None})


@dataclass(frozen=True)
class EyeDecision:
    status: str
    peak: EyePeak | None  # None only for no_animal
    scorability: float
    turn: int = 0  # quarter turns of the view that found the eye (ZoomRules.turn); the patch is cut from that view


def animal_fraction(labels: np.ndarray) -> float:
    return float(np.isin(labels, ANIMAL_OR_EYE).mean())


def on_animal(labels: np.ndarray, peak: EyePeak, crop_size: int) -> float:
    """Fraction of animal/ears/eyes pixels in the disc of one eye length (map pixels) around the peak."""
    s = labels.shape[0]
    scale = s / crop_size
    cx, cy = (peak.x + 0.5) * scale - 0.5, (peak.y + 0.5) * scale - 0.5
    r = max(1.5, peak.length * scale)
    x0, x1 = int(max(0, np.floor(cx - r))), int(min(labels.shape[1], np.ceil(cx + r) + 1))
    y0, y1 = int(max(0, np.floor(cy - r))), int(min(s, np.ceil(cy + r) + 1))
    if x0 >= x1 or y0 >= y1:
        return 0.0
    gy, gx = np.mgrid[y0:y1, x0:x1]
    disc = (gx - cx) ** 2 + (gy - cy) ** 2 <= r * r
    if not disc.any():
        return 0.0
    return float(np.isin(labels[y0:y1, x0:x1][disc], ANIMAL_OR_EYE).mean())


def sits_on_animal(labels: np.ndarray, peak: EyePeak, crop_size: int, rules: KeypointRules = KeypointRules()) -> bool:
    """Whether an eye candidate sits on the animal: at least ``rules.min_animal_near`` of the disc around it is
    animal/ears/eyes in ``labels`` (:func:`on_animal`)."""
    return on_animal(labels, peak, crop_size) >= rules.min_animal_near


def decide(labels: np.ndarray, heat_prob: np.ndarray, log2_length: np.ndarray, crop_size: int = 256,
           rules: KeypointRules = KeypointRules()) -> EyeDecision:
    """The decision for one crop from its (S, S) label map, heatmap probability and log2-length maps."""
    if labels.shape != heat_prob.shape or heat_prob.shape != log2_length.shape or labels.ndim != 2:
        raise ValueError(f"maps must be equal 2-D arrays, got {labels.shape}, {heat_prob.shape}, {log2_length.shape}")
    if animal_fraction(labels) < rules.min_animal_frac:
        return EyeDecision(NO_ANIMAL, None, 0.0)
    peak = decode_peak(heat_prob, log2_length, crop_size)
    if peak.confidence < rules.min_confidence or not sits_on_animal(labels, peak, crop_size, rules):
        return EyeDecision(EYE_HIDDEN, peak, peak.confidence)
    return judge_size(peak, rules)


def judge_size(peak: EyePeak, rules: KeypointRules = KeypointRules()) -> EyeDecision:
    """A located eye on the animal: ``scored``, or ``too_small`` below ``min_judge_length`` crop pixels."""
    if peak.length < rules.min_judge_length:
        return EyeDecision(TOO_SMALL, peak, peak.confidence * peak.length / rules.min_judge_length)
    return EyeDecision(SCORED, peak, peak.confidence)



ZOOM_CARD_KEYS = {"below": "zoom_below", "focus": "zoom_focus", "focus_close": "zoom_focus_close",
                  "last": "zoom_last", "out": "zoom_out", "agree": "zoom_agree",
                  "turn": "zoom_turn"}  # ZoomRules field -> card key


@dataclass(frozen=True)
class ZoomRules:
    """Coarse-to-fine second look (module :func:`zoom_tiles`): crops whose first decision is unsure are searched again
    on ``grid`` x ``grid`` overlapping tiles of ``side`` x the crop, each enlarged to the crop size. An eye that is
    small beside a large head (a whole-frame ROI of a head-fixed mouse) fills a tile the way a face close-up fills a
    crop. ``below``: a scored eye with a confidence under this is unsure too. No-mouse crops are never zoomed.
    ``focus`` (0 = off): one more tile, ``focus`` x the crop, centred on the first look's heatmap peak (moved inside
    the crop), so that a weak first guess is looked at closer with the eye in the middle of the tile, not at a tile's
    edge (:func:`focus_tiles`); its eye counts only where it :func:`confirms` the first guess. ``focus_close`` (0 =
    off): one more focus tile, closer still (e.g. 0.33 x the crop, 3x), for a face so small in its ROI that even
    twice its size leaves the eye unsure (real head-fixed faces at half their frame size: ``docs/benchmarks.md``).
    ``last`` (0 = off): a last look for a crop whose eye is still hidden after all that: one tile of ``last`` x the
    crop centred on the most confident peak any look saw (the first or a grid tile's, confident or not), its eye
    counted where it confirms that peak and sits on the animal; for faces so small that the first look's guess is
    elsewhere but a grid tile's is on the eye. ``out`` (0 = off): the other way, one view of the whole crop shrunk
    to ``out`` x its side in the middle of a canvas of the crop's median colour (:func:`zoom_out_tiles`), for an
    unsure first guess at least :data:`OUT_MIN_LENGTH` crop px long in a crop the animal fills (at least
    :data:`OUT_MIN_ANIMAL` of the first look's map), counted where it confirms that guess: an ROI drawn tight around a
    real eye shows it 90-160 crop px long, larger than the U-Net is sure of, and shrunk it looks like a face close-up
    again. (On a real top-view arena, where the animal class covers 16-32 % of the map, shrinking made whole mice
    "eyes" in 3.5 % of the frames; tight real ROIs are 71-87 % animal.) ``agree`` (0 = off): a crop still without an
    eye is given one where two looks (the first and the focus tiles) put the same eye at this confidence or more,
    though none reached the threshold (:func:`agreed`). ``turn`` (0 = off): a crop whose eye is still hidden after all
    that is looked at turned by a quarter turn each way (:func:`turned_views`, exact pixel turns; each view located
    as a crop is), and takes the most confident eye of those views at this confidence or more (and at least the
    decision's threshold; :func:`best_turned`), its patch cut from the turned view (:func:`unturned`): the U-Net learnt
    heads the right way up (within the renderer's poses and +-15 deg), so a camera mounted on its side showed no eye
    (real head-fixed faces turned by a quarter: 1 of 12)."""

    grid: int = 2
    side: float = 0.6
    below: float = 0.6
    focus: float = 0.0
    focus_close: float = 0.0
    last: float = 0.0
    out: float = 0.0
    agree: float = 0.0
    turn: float = 0.0

    @classmethod
    def from_card(cls, card: dict | None) -> "ZoomRules":
        """The zoom pass with the ``below``, ``focus``, ``focus_close``, ``last``, ``out``, ``agree`` and ``turn`` a
        U-Net's card carries as ``decision.zoom_below``, ``decision.zoom_focus``, ``decision.zoom_focus_close``,
        ``decision.zoom_last``, ``decision.zoom_out``, ``decision.zoom_agree`` and ``decision.zoom_turn`` (defaults
        0.6, then 0 = off)."""
        d = card_decision(card)
        return cls(**{k: float(d[v]) for k, v in ZOOM_CARD_KEYS.items() if d.get(v) is not None})

    @property
    def focus_sides(self) -> tuple[float, ...]:
        """The sides of the focus tiles each unsure crop gets (none when both are off)."""
        return tuple(s for s in (self.focus, self.focus_close) if s > 0)

    def wants(self, d: EyeDecision) -> bool:
        if d.status == NO_ANIMAL:
            return False
        return d.status != SCORED or d.peak is None or d.peak.confidence < self.below

    def origins(self, crop_size: int) -> list[tuple[int, int, int]]:
        """(x0, y0, side_px) of every tile in crop pixels."""
        t = int(round(self.side * crop_size))
        if self.grid == 1:
            starts = [(crop_size - t) // 2]
        else:
            starts = [int(round(i * (crop_size - t) / (self.grid - 1))) for i in range(self.grid)]
        return [(x0, y0, t) for y0 in starts for x0 in starts]


def zoom_tiles(crops: np.ndarray, rules: ZoomRules,
               detail: np.ndarray | None = None) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """All tiles of all ``crops`` enlarged to the crop size: ``(N * grid^2, S, S, 3)`` and the tile origins (crop
    pixels). ``detail``: the same crops at k x the size (an ROI's own pixels, :func:`detail_tile`), the tiles cut
    from them."""
    size = crops.shape[1]
    origins = rules.origins(size)
    out = np.empty((len(crops) * len(origins),) + crops.shape[1:], crops.dtype)
    src = crops if detail is None else detail
    k = 0
    for crop in src:
        for origin in origins:
            detail_tile(crop, origin, out[k])
            k += 1
    return out, origins


def detail_tile(src: np.ndarray, origin: tuple[int, int, int], dst: np.ndarray) -> None:
    """The tile ``(x0, y0, side)`` (in ``dst``-sized crop pixels) of ``src`` resized into ``dst``. ``src`` is the crop
    itself or the same crop at k x its size, an ROI's own pixels: a tile of a 512-px detail crop then shows the eye
    at its own resolution, not the 256-px crop's pixels enlarged (area-averaged when the tile has more pixels than
    ``dst``, else bilinear)."""
    import cv2

    k = src.shape[0] / dst.shape[0]
    x0, y0, t = (int(round(v * k)) for v in origin)
    tile = src[y0 : y0 + t, x0 : x0 + t]
    inter = cv2.INTER_AREA if t > dst.shape[0] else cv2.INTER_LINEAR
    cv2.resize(tile, dst.shape[1::-1], dst=dst, interpolation=inter)


def focus_tiles(crops: np.ndarray, peaks: list, side: float,
                detail: np.ndarray | None = None) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """One tile per crop of ``side`` x the crop side centred on its first-look peak (``EyePeak``; moved inside the
    crop), enlarged to the crop size: ``(N, S, S, 3)`` and each tile's origin (crop pixels). ``detail`` as for
    :func:`zoom_tiles`."""
    if not 0.0 < side <= 1.0:
        raise ValueError(f"focus tiles need 0 < side <= 1, got {side}")
    size = crops.shape[1]
    t = max(1, int(round(side * size)))
    out = np.empty(crops.shape, crops.dtype)
    origins = []
    for k, (crop, p) in enumerate(zip(crops if detail is None else detail, peaks)):
        x0, y0 = (int(np.clip(round(v - t / 2), 0, size - t)) for v in (p.x, p.y))
        origins.append((x0, y0, t))
        detail_tile(crop, origins[-1], out[k])
    return out, origins


OUT_MIN_LENGTH = 24.0  # crop px: a first guess shorter than this gains nothing from being shrunk (ZoomRules.out)
OUT_MIN_ANIMAL = 0.5  # share of the first look's map the animal must cover for the zoomed-out view (ZoomRules.out)


def zoom_out_tiles(crops: np.ndarray, out: float) -> tuple[np.ndarray, list[tuple[float, float, float]]]:
    """Each crop shrunk to ``out`` x its side (area-averaged) in the middle of a canvas of its per-channel median
    colour: ``(N, S, S, 3)`` and each view's origin ``(x0, y0, side)`` in crop pixels, negative and larger than the
    crop, so that :func:`from_tile` maps a view's eye back as it does a tile's."""
    import cv2

    if not 0.0 < out < 1.0:
        raise ValueError(f"a zoomed-out view needs 0 < out < 1, got {out}")
    size = crops.shape[1]
    t = max(1, int(round(out * size)))
    o = (size - t) // 2
    views = np.empty(crops.shape, crops.dtype)
    for k, crop in enumerate(crops):
        views[k] = np.median(crop.reshape(-1, crop.shape[-1]), axis=0).astype(crops.dtype)
        views[k, o : o + t, o : o + t] = cv2.resize(crop, (t, t), interpolation=cv2.INTER_AREA)
    f = size / t
    return views, [(-o * f, -o * f, size * f)] * len(crops)


TURNS = (1, 3)  # quarter turns (counter-clockwise, numpy.rot90) of the turned views (ZoomRules.turn): a camera on
# its side, either way. Not the half turn: on the validation sets it put 15 eyes on 646 heads turned away at a 0.55 bar


def turned_views(crops: np.ndarray) -> np.ndarray:
    """Each crop turned by each of :data:`TURNS` (quarter turns counter-clockwise; exact, no resampling):
    ``(N * len(TURNS), S, S, 3)``, crop by crop in :data:`TURNS` order."""
    return np.ascontiguousarray(np.stack([np.rot90(c, k) for c in crops for k in TURNS])) if len(crops) else crops[:0]


def turn_point(x: float, y: float, k: int, size: float) -> tuple[float, float]:
    """Where the pixel ``(x, y)`` of a ``size``-px square lands when it is turned by ``k`` quarter turns
    (counter-clockwise, as numpy.rot90; pixel centres at integers)."""
    m = size - 1
    return {0: (x, y), 1: (y, m - x), 2: (m - x, m - y), 3: (m - y, x)}[k % 4]


def unturned(d: EyeDecision, k: int, crop_size: int) -> EyeDecision:
    """A decision on a crop turned by ``k`` quarter turns (:func:`turned_views`) in the unturned crop's coordinates,
    remembering ``k`` (``turn``) so that the eye patch is cut from the turned view, where the eye is upright."""
    if d.peak is None:
        return d
    x, y = turn_point(d.peak.x, d.peak.y, -k, crop_size)
    return replace(d, peak=replace(d.peak, x=float(x), y=float(y)), turn=k % 4)


def best_turned(views: list[EyeDecision], turn: float, rules: KeypointRules = KeypointRules(),
                crop_size: int = 256) -> EyeDecision | None:
    """The most confident located eye of one crop's turned views (``views`` in :data:`TURNS` order, their own
    coordinates) at confidence ``turn`` or more (and at least ``rules.min_confidence``), in the crop's coordinates;
    None when no view has one. On the animal was judged in each view (it shows the whole crop)."""
    bar = max(turn, rules.min_confidence)
    found = [(d, k) for d, k in zip(views, TURNS) if d.status in (SCORED, TOO_SMALL) and d.peak.confidence >= bar]
    if not found:
        return None
    d, k = max(found, key=lambda dk: dk[0].peak.confidence)
    return unturned(d, k, crop_size)


FOCUS_LENGTH_RATIO = 1.5  # a focus tile's eye confirms the first guess within this factor of its length


def confirms(first: EyePeak, tile: EyeDecision) -> bool:
    """Whether a focus tile's decision (in crop coordinates, :func:`from_tile`) confirms the first look's guess: an
    eye within half the first guess's length of it and of about its length (within :data:`FOCUS_LENGTH_RATIO`).
    The focus tile re-looks at the first guess at twice the size; it is not a search (the grid tiles are), so an eye
    it finds elsewhere or at another size is not taken from it (on real top-view frames, a 2x look at a dark
    floor marker saw an "eye" twice the first guess's size 7 px away; on real faces the same eye within 2 px)."""
    return tile.peak is not None and tile.status in (SCORED, TOO_SMALL) and same_eye(first, tile.peak)


def same_eye(a: EyePeak, b: EyePeak) -> bool:
    """Whether two looks' peaks are the same eye: ``b`` within half ``a``'s length of it and of about its length
    (within :data:`FOCUS_LENGTH_RATIO`), whatever their confidences."""
    if a.length <= 0:
        return False
    ratio = b.length / a.length
    near = np.hypot(b.x - a.x, b.y - a.y) <= 0.5 * a.length
    return bool(near and 1.0 / FOCUS_LENGTH_RATIO <= ratio <= FOCUS_LENGTH_RATIO)


def agreed(first: EyePeak, views: list[EyePeak], agree: float, rules: KeypointRules = KeypointRules(),
           labels: np.ndarray | None = None, crop_size: int = 256) -> EyeDecision | None:
    """An eye that at least two looks agree on (:attr:`ZoomRules.agree`): of the first look's guess and the focus
    tiles' peaks on it (``views``, crop coordinates, whatever their decision), those of the same eye (:func:`same_eye`)
    at confidence ``agree`` or more; with two or more, the most confident of them, sized by :func:`judge_size`
    (and on the animal in the first look's ``labels`` when given), else None. Two unsure looks at one spot at two
    scales are more evidence than either alone (a faint crease of a shut eye, seen at 0.4-0.55 by each)."""
    votes = ([first] if first.confidence >= agree else []) + [v for v in views
                                                                  if v.confidence >= agree and same_eye(first, v)]
    if len(votes) < 2:
        return None
    best = max(votes, key=lambda v: v.confidence)
    if labels is not None and not sits_on_animal(labels, best, crop_size, rules):
        return None
    return judge_size(best, rules)


def from_tile(d: EyeDecision, origin: tuple[int, int, int], crop_size: int,
              rules: KeypointRules = KeypointRules()) -> EyeDecision:
    """A tile's decision in the coordinates of its crop (the size test is redone on the crop-pixel eye length)."""
    if d.peak is None:
        return d
    x0, y0, t = origin
    f = t / crop_size
    p = EyePeak(x0 + (d.peak.x + 0.5) * f - 0.5, y0 + (d.peak.y + 0.5) * f - 0.5, d.peak.confidence,
                d.peak.length * f)
    if d.status not in (SCORED, TOO_SMALL):
        return EyeDecision(d.status, p, d.scorability)
    return judge_size(p, rules)


@dataclass(frozen=True)
class RefineRules:
    """A closer look at small eyes (:func:`refined`): a located eye (``scored`` or ``too_small``) shorter than
    ``below`` crop pixels is looked at again on one tile of ``side`` x the crop centred on it and enlarged to the crop
    size (:func:`focus_tiles`, 1/``side`` x), and takes that look's centre and length where it :func:`confirms` the
    first. At the U-Net's map resolution a 10-px eye spans a few map pixels; at 2.5x it spans many more. ``below`` 0 =
    off (cards made before it)."""

    below: float = 0.0
    side: float = 0.4

    @classmethod
    def from_card(cls, card: dict | None) -> "RefineRules":
        """The closer look a U-Net's card carries as ``decision.refine_below`` / ``decision.refine_side`` (off
        without them)."""
        d = card_decision(card)
        kw = {k: float(d[f"refine_{k}"]) for k in ("below", "side") if d.get(f"refine_{k}") is not None}
        return cls(**kw)

    def wants(self, d: EyeDecision) -> bool:
        return self.below > 0 and d.status in (SCORED, TOO_SMALL) and d.peak is not None and d.peak.length < self.below


def refined(first: EyeDecision, tile: EyeDecision, rules: KeypointRules = KeypointRules()) -> EyeDecision:
    """The first look's located eye with the centre and length of a closer look at it (``tile``, in crop
    coordinates: :func:`from_tile`) where that look :func:`confirms` it, else the first look unchanged. Whether an eye
    is there and how sure, stays the first look's decision; the size test is redone on the refined length."""
    if first.peak is None or not confirms(first.peak, tile):
        return first
    return judge_size(EyePeak(tile.peak.x, tile.peak.y, first.peak.confidence, tile.peak.length), rules)


def refine_with_tiles(first: EyeDecision, tiles: list[EyeDecision], origins, crop_size: int,
                      rules: KeypointRules = KeypointRules(), labels: np.ndarray | None = None) -> EyeDecision:
    """The first decision, or the most confident located eye of the zoomed tiles when it is more confident.

    ``labels``: the crop's own label map from the first look; a tile's eye must then sit on the animal there too
    (``min_animal_near`` of the disc of one eye length), as the first look's own eye must: a zoomed tile sees only
    part of the scene and judges "on the animal" from that part alone."""
    best = first
    best_conf = first.peak.confidence if first.peak is not None and first.status in (SCORED, TOO_SMALL) else -1.0
    for d, o in zip(tiles, origins):
        if d.status in (SCORED, TOO_SMALL) and d.peak.confidence > best_conf:
            cand = from_tile(d, o, crop_size, rules)
            if labels is not None and not sits_on_animal(labels, cand.peak, crop_size, rules):
                continue
            best, best_conf = cand, d.peak.confidence
    return best


def most_confident_peak(first: EyeDecision, tiles: list[EyeDecision], origins, crop_size: int) -> EyePeak | None:
    """The most confident heatmap peak any look saw, in crop coordinates, whatever its decision (None when none had
    a peak): where the last look (:attr:`ZoomRules.last`) is centred."""
    peaks = [] if first.peak is None else [first.peak]
    peaks += [from_tile(d, o, crop_size).peak for d, o in zip(tiles, origins) if d.peak is not None]
    return max(peaks, key=lambda p: p.confidence) if peaks else None


def decision_card(rules: KeypointRules, zoom: ZoomRules | None, flip_tta: bool = False,
                  refine: RefineRules | None = None) -> dict:
    """The decision thresholds as a U-Net card records them (``decision``), read back by the ``from_card`` methods
    and :func:`flip_tta_from_card`."""
    out = asdict(rules)
    if zoom is not None:  # below always, the optional looks only when on (cards made before them stay as they were)
        out |= {key: getattr(zoom, f) for f, key in ZOOM_CARD_KEYS.items() if f == "below" or getattr(zoom, f) > 0}
    out |= {"refine_below": refine.below, "refine_side": refine.side} if refine is not None and refine.below > 0 else {}
    return out | ({"flip_tta": True} if flip_tta else {})


def flip_tta_from_card(card: dict | None) -> bool:
    """Whether the U-Net's decision was chosen with the mirrored second look (``decision.flip_tta``, default off:
    :meth:`mgs_core.runners.local.LocalRunner.mirrored`)."""
    return bool(card_decision(card).get("flip_tta", False))


def decision_from_card(card: dict | None) -> tuple[KeypointRules, ZoomRules, bool, RefineRules]:
    """The whole decision a U-Net's card carries: its rules, its zoom pass, whether to take the mirrored look, and its
    closer look at small eyes."""
    return (KeypointRules.from_card(card), ZoomRules.from_card(card), flip_tta_from_card(card),
            RefineRules.from_card(card))


def card_decision(card: dict | None) -> dict:
    """The ``decision`` a U-Net's card carries (:func:`decision_card`), empty for a card without one."""
    return (card or {}).get("decision") or {}
