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

README = """# Sample data (synthetic)

Everything here was rendered by MGS Live's own procedural renderer (`mgs_core/synth/`): it is **not real mouse
footage** and its labels are the renderer's planted ground truth, not expert MGS ratings. See docs/dataset.md.

| file | what |
|---|---|
| `demo.mp4` | 10 s, 1920x1080, 30 fps, H.264: 4 black mice in transparent boxes on the red tent (seed 1001) |
| `demo.rois.json` | the 4 box ROIs (`box1`-`box4`, animals `m1`-`m4`, groups `vehicle`/`analgesic` alternating) |
| `demo.truth.csv` | per frame and ROI: `frame,time_s,roi,animal,group,eye_visible,eye_x,eye_y,score` (frame pixels) |
| `labelled/` | 120 labelled 256x256 ROI crops (JPEG) with masks and `labels.csv` (seed 1002) |

Regenerate (deterministic): `mgs synth sample --out sample_data`.
Seeds 1000-1999 are reserved for sample data: never train on them.
"""


def make_sample_data(out_dir: str | Path, workers: int = 2, seconds: float = 10.0, labelled: int = 120) -> Path:
    out = Path(out_dir)
    crf = 20
    out.mkdir(parents=True, exist_ok=True)
    (out / "README.md").write_text(README)
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
