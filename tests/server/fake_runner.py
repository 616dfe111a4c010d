"""A small deterministic Runner for server tests (no torch), and a script serving it like `mgs serve`.

Run: python -m tests.server.fake_runner --bind tcp://127.0.0.1:PORT [--delay S] [--keys K --allow DIR]
"""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import time

import numpy as np

from mgs_core.runners.base import Runner
from mgs_core.types import CropResult, RunnerInfo

FAIL_VALUE = 13  # a crop whose every pixel is 13 makes the runner raise (tests the server's error path)
ODD_VALUE = 17  # a crop whose every pixel is 17 makes the runner raise an unusual exception (RecursionError)


class FakeRunner(Runner):
    """Score = mean intensity scaled to 0-9; eye centre = intensity centroid; all-black crops have no eye."""

    def __init__(self, roi_size: int = 256, delay_s: float = 0.0, per_crop_s: float = 0.0):
        self.roi_size = roi_size
        self.delay_s = delay_s
        self.per_crop_s = per_crop_s
        self.calls: list[int] = []

    def infer(self, crops: np.ndarray) -> list[CropResult]:
        assert crops.ndim == 4 and crops.shape[1:] == (self.roi_size, self.roi_size, 3) and crops.dtype == np.uint8
        self.calls.append(len(crops))
        if self.delay_s or self.per_crop_s:
            time.sleep(self.delay_s + self.per_crop_s * len(crops))
        out = []
        for c in crops:
            if (c == FAIL_VALUE).all():
                raise RuntimeError("fake runner asked to fail")
            if (c == ODD_VALUE).all():
                raise RecursionError("fake runner asked to recurse")
            gray = c.astype(np.float64).mean(axis=2)
            total = gray.sum()
            if total == 0:
                out.append(CropResult(False, None, None, None, 0.0, 0))
                continue
            ys, xs = np.indices(gray.shape)
            out.append(CropResult(True, float((xs * gray).sum() / total), float((ys * gray).sum() / total),
                                  float(gray.mean() / 255.0 * 9.0), float(c[0, 0, 0]) / 255.0, int(c[0, 0, 1])))
        return out

    def info(self) -> RunnerInfo:
        return RunnerInfo(backend="fake", device="cpu", roi_size=self.roi_size,
                          seg_model={"kind": "fake-seg", "sha256": "a" * 64},
                          score_model={"kind": "fake-score", "sha256": "b" * 64})


def main(argv=None) -> int:
    from mgs_core.server.server import InferenceServer, ServerConfig

    p = argparse.ArgumentParser()
    p.add_argument("--bind", required=True)
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--max-batch", type=int, default=16)
    p.add_argument("--max-rois", type=int, default=8)
    p.add_argument("--roi-size", type=int, default=256)
    p.add_argument("--per-crop", type=float, default=0.0, help="extra seconds per crop (a CPU-like cost)")
    p.add_argument("--max-client-crops", type=int, default=None)
    p.add_argument("--reload-s", type=float, default=1.0)
    p.add_argument("--require-keys", action="store_true")
    p.add_argument("--keys")
    p.add_argument("--allow")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    server = InferenceServer(FakeRunner(args.roi_size, args.delay, args.per_crop),
                             ServerConfig(bind=args.bind, max_batch=args.max_batch, max_rois=args.max_rois,
                                          max_client_crops=args.max_client_crops, secret_key_file=args.keys,
                                          allow_dir=args.allow, require_keys=args.require_keys,
                                          reload_s=args.reload_s))
    signal.signal(signal.SIGTERM, lambda *_: server.stop())
    signal.signal(signal.SIGINT, lambda *_: server.stop())
    signal.signal(signal.SIGHUP, lambda *_: server.reload_keys())
    server.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
