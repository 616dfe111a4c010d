"""The shipped ``sample_data/``: a 10 s demo video of 4 mice with ROI and truth files, and a small labelled set.

Regenerate with ``mgs synth sample --out sample_data``. Seeds 1001 (video) and 1002 (labelled crops) belong to the
sample-data range 1000-1999, which training must not use.
"""
from __future__ import annotations

import sys
from pathlib import Path

from mgs_core.synth.dataset import make_dataset, stderr_progress
from mgs_core.synth.video import make_video

VIDEO_SEED = 1001
LABELLED_SEED = 1002
MAX_VIDEO_BYTES = 3_000_000


def make_sample_data(out_dir: str | Path, workers: int = 2, seconds: float = 10.0, labelled: int = 120) -> Path:
    out = Path(out_dir)
    crf = 20
    while True:
        v = make_video(out / "demo.mp4", seconds=seconds, mice=4, seed=VIDEO_SEED, width=1920, height=1080,
                       fps=30.0, crf=crf, progress=stderr_progress(f"demo.mp4 (crf {crf})"))
        size = v.video.stat().st_size
        if size <= MAX_VIDEO_BYTES or crf >= 40:
            break
        crf += 3
    print(f"demo.mp4: {size / 1e6:.2f} MB at crf {crf}", file=sys.stderr)
    make_dataset(out / "labelled", labelled, LABELLED_SEED, size=256, workers=workers, fmt="jpg",
                 progress=stderr_progress("labelled"))
    return out
