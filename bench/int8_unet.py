"""INT8 U-Net: the shipped U-Net's ONNX graph quantized statically (ONNX Runtime, QDQ, per-channel int8 weights,
uint8 activations) against the float32 graph the app runs: U-Net time per crop, 4-ROI end-to-end throughput and
the eye decisions on a labelled dataset.

Usage: .venv/bin/python bench/int8_unet.py DATASET [--calib N] [--reps 3] [--frames 300] [--out PATH]
DATASET: a labelled folder of 256-px crops (docs/dataset.md), e.g. `mgs synth dataset --out runs/v4 --n 600
--seed 600004`. Calibration crops are rendered from the training seed 600001 (first looks and centre tiles, as the
runner's zoom pass cuts them). The eye decisions are measured as `mgs evaluate` measures them (evaluate_pipeline).
Never asserts anything; the quantized graph is written to --out (default: a temporary file) and is not used by the
app.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def calibration_inputs(n: int, size: int):
    """``n`` rendered training crops (seed 600001), each as the U-Net's first look and as a 2x centre tile."""
    from mgs_core.synth.dataset import render_item

    for i in range(n):
        img = render_item(600001, i).image
        h = img.shape[0]
        for a in (img, img[h // 4 : 3 * h // 4, h // 4 : 3 * h // 4]):
            small = cv2.resize(a, (size, size), interpolation=cv2.INTER_AREA)
            yield {"x": small.transpose(2, 0, 1)[None].astype(np.float32) / np.float32(255.0)}


def quantize(src: Path, out: Path, n: int, size: int) -> None:
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = calibration_inputs(n, size)

        def get_next(self):
            return next(self.it, None)

    pre = out.with_suffix(".pre.onnx")
    quant_pre_process(str(src), str(pre))
    quantize_static(str(pre), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    pre.unlink()


def ms_per_crop(session, size: int, batch: int, reps: int = 30) -> float:
    x = np.random.default_rng(0).random((batch, 3, size, size), dtype=np.float32)
    for _ in range(3):
        session.run(None, {"x": x})
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        session.run(None, {"x": x})
        ts.append(time.perf_counter() - t)
    return 1000 * statistics.median(ts) / batch


def decisions(runner, items) -> str:
    """The eye decisions and scores of ``runner`` on labelled ``items``, under ``mgs evaluate``'s match rule."""
    from mgs_core.evaluation import evaluate_pipeline

    rep = evaluate_pipeline(runner, items)
    loc = rep.localisation
    return (f"found {loc.found.text()}, shut (score >= 7) {loc.high_score.text()}, false eyes on hidden heads "
            f"{loc.false_eye_hidden.text()} / no mouse {loc.false_eye_nomouse.text()}, MAE {rep.score.mae:.4f} on "
            f"{rep.score.n} scored eyes")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data")
    ap.add_argument("--calib", type=int, default=200, help="rendered calibration crops (default 200)")
    ap.add_argument("--reps", type=int, default=3, help="alternating end-to-end runs of each graph (default 3)")
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--out", help="where to write the quantized graph")
    a = ap.parse_args()
    from mgs_core.benchmark import machine, make_bench_video, reexec_with_tcmalloc, run_one
    from mgs_core.io.dataset import load_dataset
    from mgs_core.runners.local import LocalRunner, _ort_session

    reexec_with_tcmalloc([sys.executable, str(Path(__file__).resolve()), *sys.argv[1:]])
    fp32 = LocalRunner.from_checkpoints(backend="onnx")
    int8 = LocalRunner.from_checkpoints(backend="onnx")
    src = fp32.seg_onnx_path
    out = Path(a.out) if a.out else Path(tempfile.mkdtemp()) / "seg-int8.onnx"
    print(f"quantizing {src.name} with {a.calib} rendered crops -> {out}", flush=True)
    quantize(src, out, a.calib, fp32.seg_size)
    int8._ort_seg = _ort_session(out, int8.threads)
    print(f"machine: {machine()}; {fp32.threads} inference threads")
    for b in (4, 16):
        print(f"U-Net batch {b}: float32 {ms_per_crop(fp32._ort_seg, fp32.seg_size, b):.2f} ms/crop, "
              f"int8 {ms_per_crop(int8._ort_seg, fp32.seg_size, b):.2f} ms/crop")
    video = make_bench_video()
    fps = {"float32": [], "int8": []}
    for rep in range(a.reps):
        for name, r in (("float32", fp32), ("int8", int8)):
            fps[name].append(run_one(video, r, 4, max_frames=a.frames).fps)
            print(f"  run {rep + 1} {name}: {fps[name][-1]:.1f} frames/s at 4 ROIs", flush=True)
    med = {k: statistics.median(v) for k, v in fps.items()}
    print(f"4 ROIs end to end, median of {a.reps}: float32 {med['float32']:.1f}, int8 {med['int8']:.1f} frames/s "
          f"(ratio {med['int8'] / med['float32']:.3f})")
    items = load_dataset(a.data).items
    for name, r in (("float32", fp32), ("int8", int8)):
        print(f"{name} on {a.data}: {decisions(r, items)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
