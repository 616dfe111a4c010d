"""Segmentation U-Net candidates: throughput at batch 4 on this CPU (torch channels_last and ONNX Runtime).

Usage: .venv/bin/python bench/seg_speed.py [--threads 2] [--seconds 3] [--json OUT]
Prints one line per candidate (widths, input size, parameters, img/s for torch eager channels_last and ONNX Runtime).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

CANDIDATES = [
    ((16, 32, 64, 128), 128),
    ((12, 24, 48, 96), 128),
    ((12, 24, 48, 96), 112),
    ((12, 24, 48, 96), 96),
    ((8, 16, 32, 64), 128),
    ((8, 16, 32, 64), 112),
    ((8, 16, 32, 64), 96),
]


def _rate(fn, seconds: float, batch: int) -> float:
    for _ in range(3):
        fn()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        fn()
        n += 1
    return n * batch / (time.perf_counter() - t0)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--json")
    args = ap.parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import numpy as np
    import onnxruntime as ort
    import torch

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from mgs_core.models import UNet

    torch.set_num_threads(args.threads)
    rows = []
    for widths, size in CANDIDATES:
        model = UNet(widths=widths, input_size=size).eval()
        params = sum(p.numel() for p in model.parameters())
        x = torch.rand(args.batch, 3, size, size)
        with torch.inference_mode():
            eager = _rate(lambda: model(x), args.seconds, args.batch)
            mcl = model.to(memory_format=torch.channels_last)
            xcl = x.contiguous(memory_format=torch.channels_last)
            cl = _rate(lambda: mcl(xcl), args.seconds, args.batch)
        model = model.to(memory_format=torch.contiguous_format)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "unet.onnx"
            torch.onnx.export(model, (x,), str(path), dynamo=True, input_names=["x"], output_names=["y"],
                              dynamic_shapes={"x": {0: torch.export.Dim("n", min=1, max=64)}}, verbose=False)
            so = ort.SessionOptions()
            so.intra_op_num_threads = args.threads
            so.inter_op_num_threads = 1
            so.add_session_config_entry("session.intra_op.allow_spinning", "0")
            sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
            xn = x.numpy().astype(np.float32)
            onnx = _rate(lambda: sess.run(None, {"x": xn}), args.seconds, args.batch)
        row = {"widths": list(widths), "input_size": size, "parameters": params, "torch_eager": round(eager, 1),
               "torch_channels_last": round(cl, 1), "onnxruntime": round(onnx, 1)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
