"""In-process runner: U-Net (segmentation + eye keypoint) -> eye decision -> eye patch -> orbital-tightening regressor.

Per ``infer`` call (one frame's ROI crops, or any batch):

1. crops (N, 256, 256, 3) uint8 -> the U-Net's own input size with INTER_AREA (an exact 2x box filter at 128);
2. ONE batched U-Net call (torch ``inference_mode`` + channels_last, or ONNX Runtime);
3. a keypoint U-Net (``UNet(keypoint=True)``, the shipped one): :mod:`mgs_core.localise` decides per crop
   (no_animal / eye_hidden / too_small / scored) from the class map, the eye heatmap peak and the predicted eye
   length; an older segmentation-only U-Net: :mod:`mgs_core.eyes` picks the largest plausible eye blob;
4. patches as the score checkpoint says (:mod:`mgs_core.patches`: the paper's fixed 50 x 50 window, or a window of
   k x the eye length resized to 50 x 50; with ``score_shift``, the card's ``tta.shift_px``, also the patches at the
   eye centre moved by +-shift px up and down, whose scores are averaged) -> ONE batched score call;
5. scores are clamped to [0, 9]; crops that are not ``scored`` get ``score=None``, never a guess.

Detail crops (:class:`mgs_core.runners.base.Runner`): a crop of k x 256 px is scaled to 256 with INTER_AREA for
steps 1-3 (the same decision as for a 256-px crop of the ROI), and the scale-normalised patch of step 4 is cut from
the k x 256 crop itself (area-averaged to 50 x 50), so it holds the ROI's real detail wherever the eye is shorter than
the patch's 50 / k_patch px at 256. The paper's fixed window is cut from the 256-px crop (it is defined there).

Backends: ``"torch"``, ``"onnx"`` (ONNX Runtime; models exported once with ``torch.onnx.export(..., dynamo=True)`` and
cached under ``~/.cache/mgs-live/onnx`` keyed by a hash of the weights) or ``"auto"`` (ONNX Runtime when the export
and a numerical check succeed, else torch). CUDA is used when present (torch backend). Outputs are deterministic
for the same input and backend.
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from mgs_core.eyes import EYE_CLASS, EyeRules, select_eye
from mgs_core.localise import (OUT_MIN_ANIMAL, OUT_MIN_LENGTH, KeypointRules, RefineRules, ZoomRules, agreed,
                               animal_fraction, best_turned, confirms, decide, decision_from_card, focus_tiles,
                               from_tile, most_confident_peak, refine_with_tiles, refined, sits_on_animal,
                               turn_point, turned_views, zoom_out_tiles, zoom_tiles)
from mgs_core.patches import eye_patches, shift_from_card, shifted_patches
from mgs_core.runners.base import Runner
from mgs_core.types import EYE_HIDDEN, SCORED, CropResult, RunnerInfo

ROI_SIZE = 256
MAX_DETAIL = 4  # detail crops up to 1024 px (base.Runner)
PATCH = 50
FLIP_BAND = (0.25, 0.8)  # flip_tta: heatmap peaks in this band get the mirrored second look (LocalRunner.mirrored)


def cache_dir() -> Path:
    """Where exported ONNX models are cached (``MGS_CACHE_DIR`` overrides ``~/.cache/mgs-live``)."""
    root = os.environ.get("MGS_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "mgs-live")
    return Path(root) / "onnx"


def model_digest(model) -> str:
    """A short hash of a model's class, constructor arguments and weights (keys the ONNX cache)."""
    import torch

    h = hashlib.sha256()
    h.update(f"{type(model).__name__}:{sorted(getattr(model, 'model_args', {}).items())}:{torch.__version__}".encode())
    for k, v in model.state_dict().items():
        h.update(k.encode())
        h.update(v.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:20]


def _seg_wrapper(model):
    import torch

    class SegHead(torch.nn.Module):
        """U-Net + softmax: returns (eye probability, argmax labels) so ONNX Runtime does the post-processing."""

        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, x):
            logits = self.net(x)
            prob = torch.softmax(logits, dim=1)
            return prob[:, EYE_CLASS], torch.argmax(logits, dim=1).to(torch.uint8)

    class KeypointHead(torch.nn.Module):
        """Keypoint U-Net: returns (eye heatmap probability, log2 eye length, argmax class labels)."""

        def __init__(self, net):
            super().__init__()
            self.net = net
            self.c = int(net.classes)

        def forward(self, x):
            out = self.net(x)
            logits = out[:, : self.c]
            return torch.sigmoid(out[:, self.c]), out[:, self.c + 1], torch.argmax(logits, dim=1).to(torch.uint8)

    return (KeypointHead(model) if getattr(model, "keypoint", False) else SegHead(model)).eval()


def _export_onnx(module, example, path: Path) -> None:
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    batch = torch.export.Dim("batch", min=1, max=1024)
    quiet = [logging.getLogger(n) for n in ("torch.onnx", "torch.export", "torch._dynamo", "onnxscript")]
    levels = [q.level for q in quiet]
    with warnings.catch_warnings(), torch.inference_mode(False):
        warnings.simplefilter("ignore")
        # the exporter prints progress on stdout and logs warnings; keep CLI output clean
        saved, sys.stdout = sys.stdout, io.StringIO()
        for q in quiet:
            q.setLevel(logging.ERROR)
        try:
            torch.onnx.export(module, (example,), str(tmp), dynamo=True, input_names=["x"],
                              dynamic_shapes=({0: batch},), optimize=True, verbose=False)
        finally:
            sys.stdout = saved
            for q, lv in zip(quiet, levels):
                q.setLevel(lv)
    tmp.replace(path)


def _ort_session(path: Path, threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def default_threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


class LocalRunner(Runner):
    """Runs the two networks in this process. Construct from models, or from checkpoints with ``from_checkpoints``."""

    def __init__(self, seg_model, score_model, device: str = "auto", backend: str = "auto",
                 seg_card: dict | None = None, score_card: dict | None = None, threads: int | None = None,
                 eye_rules: EyeRules = EyeRules(), keypoint_rules: KeypointRules = KeypointRules(),
                 zoom: ZoomRules | None = ZoomRules(), check_model=None, check_card: dict | None = None,
                 flip_tta: bool = False, score_shift: float = 0.0, refine: RefineRules = RefineRules()):
        import torch

        if backend not in ("auto", "torch", "onnx"):
            raise ValueError(f"backend must be 'auto', 'torch' or 'onnx', got {backend!r}")
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        self.threads = threads or default_threads()
        if self.device.type == "cpu":
            torch.set_num_threads(self.threads)
        self.seg_model = getattr(seg_model, "_orig_mod", seg_model).to(self.device).eval()
        self.score_model = getattr(score_model, "_orig_mod", score_model).to(self.device).eval()
        if self.device.type == "cpu":
            self.seg_model = self.seg_model.to(memory_format=torch.channels_last)
        self.seg_size = int(getattr(self.seg_model, "input_size", 128))
        self.eye_rules = eye_rules
        self.keypoint_rules = keypoint_rules
        self.zoom = zoom
        self.refine = refine  # the closer look at small located eyes (off unless the U-Net's card or caller sets it)
        self.flip_tta = bool(flip_tta)  # a mirrored second look for crops the decision is unsure of (mirrored)
        self.score_shift = float(score_shift)  # shift test-time augmentation of the score, patch px (0 = off)
        self.keypoint = bool(getattr(self.seg_model, "keypoint", False))
        self.patch_mode = str(getattr(self.score_model, "patch", "fixed"))
        self.patch_k = float(getattr(self.score_model, "patch_k", 2.5))
        self.seg_card = dict(seg_card or {"kind": getattr(seg_model, "kind", "unet"),
                                          "model_args": getattr(seg_model, "model_args", {})})
        self.score_card = dict(score_card or {"kind": getattr(score_model, "kind", "orbital"),
                                              "model_args": getattr(score_model, "model_args", {})})
        # the eye check (mgs_core.models.eyecheck): located eyes it rejects are reported eye_hidden, never scored
        self.check_model = None if check_model is None else getattr(check_model, "_orig_mod", check_model).to(
            self.device).eval()
        if self.check_model is not None:
            self.check_card = dict(check_card or {"kind": "eyecheck", "model_args": self.check_model.model_args})
            self.score_card["eye_check"] = {k: self.check_card.get(k) for k in ("name", "sha256", "path")
                                            if self.check_card.get(k) is not None}
            self.score_card["eye_check"]["threshold"] = self.check_model.threshold
        self._seg_head = _seg_wrapper(self.seg_model)
        self._ort_seg = self._ort_score = self._ort_check = None
        self.backend = "torch"
        self.backend_note = ""
        if backend in ("auto", "onnx") and self.device.type == "cpu":
            try:
                self._init_onnx()
                self.backend = "onnx"
            except Exception as exc:  # noqa: BLE001 - any exporter/runtime failure falls back to torch
                self.backend_note = f"ONNX Runtime unavailable ({type(exc).__name__}: {exc}); using torch"
                if backend == "onnx":
                    warnings.warn(self.backend_note, RuntimeWarning, stacklevel=2)

    @classmethod
    def from_checkpoints(cls, seg: str | Path | None = None, score: str | Path | None = None,
                         device: str = "auto", backend: str = "auto", check: str | Path | None = "default",
                         **kw) -> "LocalRunner":
        """Load the checkpoints (default: the shipped ``mgs_core/weights/seg.pt`` and ``score.pt``).

        ``check``: the eye check: ``"default"`` = the shipped ``check.pt`` (when present and the U-Net is a keypoint
        one), a checkpoint path, or None for none. The decision thresholds come from the U-Net's card (``decision``,
        written by ``mgs train release`` from the evaluation that chose them) unless ``keypoint_rules``/``zoom``/
        ``flip_tta``/``refine`` are given; the score's shift test-time augmentation comes from the score card
        (``tta.shift_px``) unless ``score_shift`` is given."""
        from mgs_core.models import default_check_path, default_weight_paths, load_checkpoint

        dseg, dscore = default_weight_paths()
        seg_model, seg_card = load_checkpoint(seg or dseg, kind="unet")
        score_model, score_card = load_checkpoint(score or dscore, kind="orbital")
        if check == "default":
            check = default_check_path() if default_check_path().is_file() and seg_model.keypoint else None
        check_model, check_card = load_checkpoint(check, kind="eyecheck") if check else (None, None)
        rules, zoom, flip, refine = decision_from_card(seg_card)  # the decision chosen with this U-Net
        kw.setdefault("keypoint_rules", rules)
        kw.setdefault("zoom", zoom)
        kw.setdefault("flip_tta", flip)
        kw.setdefault("refine", refine)
        kw.setdefault("score_shift", shift_from_card(score_card))
        return cls(seg_model, score_model, device=device, backend=backend, seg_card=seg_card,
                   score_card=score_card, check_model=check_model, check_card=check_card, **kw)

    # ---- ONNX Runtime -------------------------------------------------------------------------------------------
    @property
    def seg_onnx_path(self) -> Path:
        """Where the U-Net's exported ONNX graph is cached (one file per weights and input size)."""
        return cache_dir() / f"seg-{model_digest(self.seg_model)}-{self.seg_size}.onnx"

    def _init_onnx(self) -> None:
        import torch

        s = self.seg_size
        seg_path = self.seg_onnx_path
        score_path = cache_dir() / f"score-{model_digest(self.score_model)}.onnx"
        cpu_seg = self._seg_head
        if not seg_path.is_file():
            _export_onnx(cpu_seg, torch.rand(2, 3, s, s), seg_path)
        if not score_path.is_file():
            _export_onnx(self.score_model, torch.rand(2, 3, PATCH, PATCH), score_path)
        self._ort_seg = _ort_session(seg_path, self.threads)
        self._ort_score = _ort_session(score_path, self.threads)
        if self.check_model is not None:
            check_path = cache_dir() / f"check-{model_digest(self.check_model)}.onnx"
            if not check_path.is_file():
                _export_onnx(self.check_model, torch.rand(2, 3, PATCH, PATCH), check_path)
            self._ort_check = _ort_session(check_path, self.threads)
        # numerical check against torch on a fixed input, so a bad export never silently changes results
        rng = np.random.default_rng(0)
        x = rng.random((2, 3, s, s), dtype=np.float32)
        p = rng.random((2, 3, PATCH, PATCH), dtype=np.float32)
        with torch.inference_mode():
            tp = cpu_seg(torch.from_numpy(x).contiguous(memory_format=torch.channels_last))
            ts = self.score_model(torch.from_numpy(p))
        op = self._ort_seg.run(None, {"x": x})
        (os_,) = self._ort_score.run(None, {"x": p})
        same = all(np.allclose(o, t.numpy(), atol=1e-3) for o, t in zip(op[:-1], tp[:-1]))
        if self._ort_check is not None:
            with torch.inference_mode():
                tc = self.check_model(torch.from_numpy(p))
            (oc,) = self._ort_check.run(None, {"x": p})
            same = same and np.allclose(oc, tc.numpy(), atol=1e-3)
        if not (same and np.allclose(os_, ts.numpy(), atol=1e-3)):
            raise RuntimeError("exported ONNX model disagrees with torch")

    # ---- inference ------------------------------------------------------------------------------------------------
    def _resize(self, crops: np.ndarray) -> np.ndarray:
        s = self.seg_size
        return crops if crops.shape[1] == s and crops.shape[2] == s else _downscale(crops, s)

    @staticmethod
    def _to_nchw(batch: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(batch.transpose(0, 3, 1, 2), dtype=np.float32) * np.float32(1.0 / 255.0)

    def segment(self, crops: np.ndarray) -> tuple[np.ndarray, ...]:
        """For uint8 RGB crops: (labels uint8 (N,S,S), eye probability float32 (N,S,S)) from a segmentation-only
        U-Net; (labels, heatmap probability, log2 eye length) from a keypoint U-Net."""
        small = self._resize(crops)
        if self.backend == "onnx":
            outs = self._ort_seg.run(None, {"x": self._to_nchw(small)})
        else:
            import torch

            with torch.inference_mode():
                x = torch.from_numpy(small).to(self.device).permute(0, 3, 1, 2).float().div_(255.0)
                if self.device.type == "cpu":
                    x = x.contiguous(memory_format=torch.channels_last)
                outs = [o.cpu().numpy() for o in self._seg_head(x)]
        labels = outs[-1]
        return (labels, *[np.asarray(o, np.float32) for o in outs[:-1]])

    def mirrored(self, crops: np.ndarray, maps: tuple) -> tuple:
        """``flip_tta``: the keypoint maps with a mirrored second look for the crops whose heatmap peak lies in
        :data:`FLIP_BAND` (the ones the decision could go either way on; sure eyes and clear no-eyes cost nothing):
        their heatmap and length maps become the mean of the crop's and the mirrored crop's (flipped back); labels
        stay the crop's own. Without ``flip_tta`` (or with no crop in the band) ``maps`` is returned as it is."""
        labels, heat, log2len = maps
        if not self.flip_tta or not len(crops):
            return maps
        peak = heat.reshape(len(heat), -1).max(axis=1)
        idx = np.flatnonzero((peak >= FLIP_BAND[0]) & (peak <= FLIP_BAND[1]))
        if not len(idx):
            return maps
        _, mh, ml = self.segment(np.ascontiguousarray(crops[idx][:, :, ::-1]))
        heat, log2len = heat.copy(), log2len.copy()
        heat[idx] = (heat[idx] + mh[:, :, ::-1]) * np.float32(0.5)
        log2len[idx] = (log2len[idx] + ml[:, :, ::-1]) * np.float32(0.5)
        return labels, heat, log2len

    def score_patches(self, patches: np.ndarray) -> np.ndarray:
        """Raw (unclamped) regressor output for (N, 50, 50, 3) uint8 patches."""
        if len(patches) == 0:
            return np.zeros(0, np.float32)
        n = len(patches)
        if getattr(self.score_model, "flip_tta", False):  # trained on mirrored patches: average both views
            patches = np.concatenate([patches, patches[:, :, ::-1]])
        out = self._patch_net(self.score_model, self._ort_score, patches)
        return out if len(out) == n else 0.5 * (out[:n] + out[n:])

    def _patch_net(self, model, session, patches: np.ndarray) -> np.ndarray:
        """One output per (N, 50, 50, 3) uint8 patch of a patch network: its ONNX session on the ONNX backend, else
        the torch model."""
        if self.backend == "onnx":
            (out,) = session.run(None, {"x": self._to_nchw(patches)})
        else:
            import torch

            with torch.inference_mode():
                x = torch.from_numpy(np.ascontiguousarray(patches)).to(self.device).permute(0, 3, 1, 2).float()
                out = model(x.div_(255.0)).float().cpu().numpy()
        return np.asarray(out, np.float32).reshape(-1)

    def check_patches(self, patches: np.ndarray) -> np.ndarray:
        """The eye check's probability that an eye is at the centre of each (N, 50, 50, 3) uint8 patch."""
        if self.check_model is None:
            raise RuntimeError("this runner has no eye check")
        if len(patches) == 0:
            return np.zeros(0, np.float32)
        logit = self._patch_net(self.check_model, self._ort_check, patches).astype(np.float64)
        return (1.0 / (1.0 + np.exp(-logit))).astype(np.float32)

    def infer(self, crops: np.ndarray) -> list[CropResult]:
        crops = np.ascontiguousarray(crops)
        k = detail_factor(crops)
        if len(crops) == 0:
            return []
        base = crops if k == 1 else _downscale(crops, ROI_SIZE)
        detail = None if k == 1 else crops
        if self.keypoint:
            out = self._infer_keypoint(base, detail)
        else:
            out = self._infer_blobs(base)
        return out if k == 1 else [_to_detail(r, k) for r in out]

    def _infer_blobs(self, crops: np.ndarray) -> list[CropResult]:
        labels, prob = self.segment(crops)
        blobs = [select_eye(labels[i], prob[i], ROI_SIZE, self.eye_rules) for i in range(len(crops))]
        seen = [i for i, b in enumerate(blobs) if b is not None]
        scores = self._scores(crops, seen, [(blobs[i].x, blobs[i].y, float("nan")) for i in seen])
        out = []
        for i, b in enumerate(blobs):
            if b is None:
                out.append(CropResult(False, None, None, None, 0.0, 0, EYE_HIDDEN))
            else:
                out.append(CropResult(True, b.x, b.y, scores[i], b.confidence, b.area_px, SCORED, None, b.confidence))
        return out

    def _scores(self, crops: np.ndarray, idx: list[int], eyes: list[tuple[float, float, float]],
                detail: np.ndarray | None = None) -> dict[int, float]:
        """Clamped scores of the eyes (x, y, length in ``crops`` pixels) of crops ``idx``; scale-normalised patches
        come from ``detail`` (the same crops at k x the size) when given."""
        if not idx:
            return {}
        if self.patch_mode == "scaled" and any(not np.isfinite(e[2]) for e in eyes):
            raise RuntimeError("a scale-normalised score model needs a keypoint U-Net that predicts the eye length")
        if detail is not None and self.patch_mode == "scaled":
            k = detail.shape[1] / crops.shape[1]
            eyes = [((x + 0.5) * k - 0.5, (y + 0.5) * k - 0.5, n * k) for x, y, n in eyes]
            scores = self.score_eyes(detail[idx], eyes)
        else:
            scores = self.score_eyes(crops[idx], eyes)
        return {i: float(s) for i, s in zip(idx, scores)}

    def score_eyes(self, crops: np.ndarray, eyes: list[tuple[float, float, float]]) -> np.ndarray:
        """Clamped scores (N,) of one eye per crop, (x, y, length) in that crop's own pixels, cut and averaged as
        ``infer`` scores them: the checkpoint's patch mode, the shift views (``score_shift``) and the mirror."""
        if not len(eyes):
            return np.zeros(0, np.float32)
        patches = shifted_patches(crops, eyes, self.score_shift, self.patch_mode, self.patch_k)
        raw = self.score_patches(patches.reshape(-1, *patches.shape[2:])).reshape(len(patches), len(eyes)).mean(0)
        return np.clip(raw, 0.0, 9.0)

    def _decide(self, crops: np.ndarray, maps: tuple | None = None) -> list:
        return self._decisions(self._looked(crops, maps))

    def _looked(self, crops: np.ndarray, maps: tuple | None = None) -> tuple:
        """The maps the decision reads: ``maps`` (or the U-Net's on ``crops``) with the mirrored look applied."""
        return self.mirrored(crops, maps if maps is not None else self.segment(crops))

    def _decisions(self, maps: tuple) -> list:
        labels, heat, log2len = maps
        return [decide(labels[i], heat[i], log2len[i], ROI_SIZE, self.keypoint_rules) for i in range(len(labels))]

    def locate(self, crops: np.ndarray, maps: tuple | None = None, detail: np.ndarray | None = None,
               turned: bool = True) -> list:
        """The localiser's decision per 256-px crop (keypoint U-Net, zoom pass on unsure crops), before the eye check
        and the regressor: :class:`mgs_core.localise.EyeDecision` each. ``maps``: this runner's :meth:`segment`
        output for ``crops`` when the caller already has it. ``detail``: the same crops at k x 256 (the ROI's own
        pixels), from which the closer looks are cut (:func:`mgs_core.localise.detail_tile`). ``turned=False``: no
        turned views (they are themselves located so)."""
        seen = self._looked(crops, maps)
        decisions = self._decisions(seen)
        unsure = [i for i, d in enumerate(decisions) if self.zoom is not None and self.zoom.wants(d)]
        src = crops if detail is None else detail
        if unsure:  # coarse-to-fine: second looks at the unsure crops (ZoomRules), all views in one batch
            self._zoom_pass(crops, decisions, unsure, seen[0], src)
        decisions = self._refined(crops, decisions, src)
        if turned and self.zoom is not None and self.zoom.turn > 0:
            self._turned_look(crops, decisions, [i for i in unsure if decisions[i].status == EYE_HIDDEN], detail)
        return decisions

    def _zoom_pass(self, crops: np.ndarray, decisions: list, unsure: list[int], labels: np.ndarray,
                   src: np.ndarray) -> None:
        """``decisions[i]`` for each unsure crop ``i`` after the zoom pass: the grid tiles and the views that confirm
        the first guess (:meth:`_views`) compete on confidence (``refine_with_tiles``, on the animal in the first
        look's ``labels``); a crop still without an eye may get one where two looks agree, then the last look.
        ``src``: ``crops`` or the same crops at k x their size, from which the tiles are cut."""
        grid, origins, confirmed, focus_peaks = self._views(crops, decisions, unsure, labels, src)
        last: dict = {}  # i -> the peak the last look is centred on
        for i in unsure:
            ds = grid[i] + [fd for fd, _ in confirmed[i]]
            os_ = list(origins) + [fo for _, fo in confirmed[i]]
            first, decisions[i] = decisions[i], refine_with_tiles(decisions[i], ds, os_, ROI_SIZE,
                                                                  self.keypoint_rules, labels[i])
            if self.zoom.agree > 0 and decisions[i].status == EYE_HIDDEN and first.peak is not None:
                decisions[i] = agreed(first.peak, focus_peaks[i], self.zoom.agree, self.keypoint_rules, labels[i],
                                      ROI_SIZE) or decisions[i]
            if self.zoom.last > 0 and decisions[i].status == EYE_HIDDEN:
                peak = most_confident_peak(first, grid[i], origins, ROI_SIZE)
                if peak is not None:
                    last[i] = peak
        if last:
            self._last_look(crops, decisions, last, labels, src)

    def _turned_look(self, crops: np.ndarray, decisions: list, idx: list[int], detail: np.ndarray | None) -> None:
        """The turned views (:attr:`ZoomRules.turn`) of the crops ``idx`` whose eye is still hidden, each located as a
        crop is (first look, zoom pass), in one call; ``decisions`` takes the most confident eye they find
        (:func:`best_turned`), with the view's turn. On the animal is judged in the view itself, which shows the
        whole crop (the first look's map of a head on its side can miss the head as it misses the eye)."""
        if not idx:
            return
        views = self.locate(turned_views(crops[idx]), detail=None if detail is None else turned_views(detail[idx]),
                            turned=False)
        n = len(views) // len(idx)
        for j, i in enumerate(idx):
            d = best_turned(views[j * n : (j + 1) * n], self.zoom.turn, self.keypoint_rules, ROI_SIZE)
            if d is not None:
                decisions[i] = d

    def _views(self, crops: np.ndarray, decisions: list, unsure: list[int], labels: np.ndarray,
               src: np.ndarray) -> tuple:
        """One U-Net batch over every second look at the unsure crops: the grid tiles, the focus tiles on each first
        guess, and the zoomed-out view of large guesses in crops the animal fills. Returns ``(grid, origins,
        confirmed, focus_peaks)``: per crop its grid tiles' decisions (at ``origins``), the (decision, origin) of the
        views that confirm its first guess, and the peaks its focus tiles saw, sure or not (in crop coordinates)."""
        tiles, origins = zoom_tiles(crops[unsure], self.zoom, src[unsure])
        focused = [i for i in unsure if decisions[i].peak is not None]
        parts, owners, forigins, kinds = [tiles], [], [], []
        for side in self.zoom.focus_sides if focused else ():
            ftiles, fo = focus_tiles(crops[focused], [decisions[i].peak for i in focused], side, src[focused])
            parts, owners, forigins = parts + [ftiles], owners + focused, forigins + fo
            kinds += ["focus"] * len(focused)
        large = [i for i in focused if decisions[i].peak.length >= OUT_MIN_LENGTH
                 and animal_fraction(labels[i]) >= OUT_MIN_ANIMAL] if self.zoom.out > 0 else []
        if large:
            otiles, oo = zoom_out_tiles(crops[large], self.zoom.out)
            parts, owners, forigins = parts + [otiles], owners + large, forigins + oo
            kinds += ["out"] * len(large)
        tile_decisions = self._decide(np.concatenate(parts) if len(parts) > 1 else tiles)
        n = len(origins)
        grid = {i: list(tile_decisions[k * n : (k + 1) * n]) for k, i in enumerate(unsure)}
        confirmed: dict = {i: [] for i in unsure}
        focus_peaks: dict = {i: [] for i in unsure}
        for i, fd, fo, kind in zip(owners, tile_decisions[len(unsure) * n :], forigins, kinds):
            mapped = from_tile(fd, fo, ROI_SIZE, self.keypoint_rules)
            if confirms(decisions[i].peak, mapped):
                confirmed[i].append((fd, fo))
            if kind == "focus" and mapped.peak is not None:
                focus_peaks[i].append(mapped.peak)
        return grid, origins, confirmed, focus_peaks

    def _last_look(self, crops: np.ndarray, decisions: list, peaks: dict, labels: np.ndarray,
                   src: np.ndarray) -> None:
        """The last look (:attr:`ZoomRules.last`) at the crops ``peaks`` names (i -> the peak to centre on), in one
        batch; ``decisions`` takes its eye where it confirms the peak and sits on the animal in the first look's
        ``labels``."""
        idx = list(peaks)
        tiles, origins = focus_tiles(crops[idx], [peaks[i] for i in idx], self.zoom.last, src[idx])
        for i, d, o in zip(idx, self._decide(tiles), origins):
            t = from_tile(d, o, ROI_SIZE, self.keypoint_rules)
            if confirms(peaks[i], t) and sits_on_animal(labels[i], t.peak, ROI_SIZE, self.keypoint_rules):
                decisions[i] = t

    def _refined(self, crops: np.ndarray, decisions: list, src: np.ndarray) -> list:
        """``decisions`` with small located eyes re-measured by the closer look (:class:`RefineRules`), in one
        batch (its tiles cut from ``src``, ``crops`` or the same at k x their size)."""
        small = [i for i, d in enumerate(decisions) if self.refine is not None and self.refine.wants(d)]
        if not small:
            return decisions
        tiles, origins = focus_tiles(crops[small], [decisions[i].peak for i in small], self.refine.side, src[small])
        out = list(decisions)
        for i, d, o in zip(small, self._decide(tiles), origins):
            out[i] = refined(decisions[i], from_tile(d, o, ROI_SIZE, self.keypoint_rules), self.keypoint_rules)
        return out

    def _checked(self, crops: np.ndarray, decisions: list) -> dict[int, float]:
        """Eye-check probability of every located (``scored``) eye; empty without an eye check. ``crops`` upright
        (:func:`upright`), as ``decisions`` their eyes."""
        seen = [i for i, d in enumerate(decisions) if d.status == SCORED]
        if self.check_model is None or not seen:
            return {}
        eyes = [_upright_eye(decisions[i], ROI_SIZE) for i in seen]
        prob = self.check_patches(eye_patches(crops[seen], eyes, "scaled", self.check_model.patch_k))
        return {i: float(prob[k]) for k, i in enumerate(seen)}

    def _infer_keypoint(self, crops: np.ndarray, detail: np.ndarray | None = None) -> list[CropResult]:
        decisions = self.locate(crops, detail=detail)
        up, up_detail = upright(crops, decisions), None if detail is None else upright(detail, decisions)
        checked = self._checked(up, decisions)
        rejected = {i for i, p in checked.items() if p < self.check_model.threshold}
        seen = [i for i, d in enumerate(decisions) if d.status == SCORED and i not in rejected]
        scores = self._scores(up, seen, [_upright_eye(decisions[i], ROI_SIZE) for i in seen], up_detail)
        out = []
        for i, d in enumerate(decisions):
            p = d.peak
            if i in rejected:  # located, but the eye check sees no eye there: hidden (its probability as scorability)
                out.append(CropResult(False, None, None, None, p.confidence, 0, EYE_HIDDEN, None, checked[i]))
            elif d.status == SCORED:
                out.append(CropResult(True, p.x, p.y, scores[i], p.confidence, 0, SCORED, p.length,
                                      min(d.scorability, checked.get(i, 1.0))))
            elif p is not None and d.status != EYE_HIDDEN:  # too_small: where the eye is, but no score
                out.append(CropResult(False, p.x, p.y, None, p.confidence, 0, d.status, p.length, d.scorability))
            else:
                out.append(CropResult(False, None, None, None, 0.0 if p is None else p.confidence, 0, d.status, None,
                                      d.scorability))
        return out

    def info(self) -> RunnerInfo:
        device = self.device.type if self.backend == "torch" else "cpu (onnxruntime)"
        return RunnerInfo(backend="local", device=device, roi_size=ROI_SIZE, seg_model=dict(self.seg_card),
                          score_model=dict(self.score_card), max_detail=MAX_DETAIL)


def upright(crops: np.ndarray, decisions: list) -> np.ndarray:
    """``crops`` with each crop whose eye a turned view found (``EyeDecision.turn``) turned as that view was, so that
    its eye patch is cut upright (the regressor learnt eyes within +-30 deg of level); the crops themselves when none
    was."""
    turned = [i for i, d in enumerate(decisions) if d.turn]
    if not turned:
        return crops
    out = crops.copy()
    for i in turned:
        out[i] = np.rot90(crops[i], decisions[i].turn)
    return out


def _upright_eye(d, crop_size: int) -> tuple[float, float, float]:
    """``(x, y, length)`` of a decision's eye in its :func:`upright` crop (``crop_size``-px coordinates)."""
    x, y = turn_point(d.peak.x, d.peak.y, d.turn, crop_size)
    return float(x), float(y), d.peak.length


def detail_factor(crops: np.ndarray) -> int:
    """k for (N, k*256, k*256, 3) uint8 crops (1 <= k <= MAX_DETAIL); anything else raises ValueError."""
    side = crops.shape[1] if crops.ndim == 4 else 0
    k = side // ROI_SIZE
    if (crops.ndim != 4 or crops.shape[1] != crops.shape[2] or crops.shape[3] != 3 or crops.dtype != np.uint8
            or side % ROI_SIZE or not 1 <= k <= MAX_DETAIL):
        raise ValueError(f"expected crops of shape (N, S, S, 3) uint8 with S = {ROI_SIZE} (or {ROI_SIZE} x 2..."
                         f"{MAX_DETAIL}), got {crops.shape} {crops.dtype}")
    return k


def _downscale(crops: np.ndarray, size: int) -> np.ndarray:
    """Square (N, S, S, 3) crops -> (N, size, size, 3) with INTER_AREA."""
    out = np.empty((len(crops), size, size, 3), np.uint8)
    for i, c in enumerate(crops):
        cv2.resize(c, (size, size), dst=out[i], interpolation=cv2.INTER_AREA)
    return out


def _to_detail(r: CropResult, k: int) -> CropResult:
    """A result in 256-px crop coordinates -> the k x 256 detail crop's coordinates."""
    return replace(r, eye_x=None if r.eye_x is None else (r.eye_x + 0.5) * k - 0.5,
                   eye_y=None if r.eye_y is None else (r.eye_y + 0.5) * k - 0.5,
                   eye_length=None if r.eye_length is None else r.eye_length * k)
