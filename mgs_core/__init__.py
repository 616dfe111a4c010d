"""MGS Live core: Mouse Grimace Scale (orbital tightening) scoring from video. Never imports streamlit.

The public API is re-exported here and imported lazily (``import mgs_core`` stays light; torch loads on first use)::

    import mgs_core
    runner = mgs_core.load_runner()                        # shipped weights, in-process (or server="tcp://host:5555")
    rois = mgs_core.load_rois("sample_data/demo.rois.json")
    summary = mgs_core.score_video("sample_data/demo.mp4", rois, runner, "out/")
    table = mgs_core.load_scores("out/demo.csv")
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    # typed data model
    "Roi": "mgs_core.types", "RoiSet": "mgs_core.types", "RoiResult": "mgs_core.types",
    "FrameResult": "mgs_core.types", "CropResult": "mgs_core.types", "RunnerInfo": "mgs_core.types",
    "MGSError": "mgs_core.errors",
    # IO (load_x / save_x pairs)
    "load_rois": "mgs_core.io.rois", "save_rois": "mgs_core.io.rois",
    "load_scores": "mgs_core.io.results", "save_scores": "mgs_core.io.results",
    "load_dataset": "mgs_core.io.dataset", "save_dataset": "mgs_core.io.dataset",
    "open_video": "mgs_core.io.video", "read_frame": "mgs_core.io.video",
    # inference
    "load_runner": "mgs_core.runners", "Pipeline": "mgs_core.pipeline", "score_video": "mgs_core.scoring",
    "propose_rois": "mgs_core.roi_detect", "crop_roi": "mgs_core.geometry",
    # models, evaluation, analysis
    "load_checkpoint": "mgs_core.models", "save_checkpoint": "mgs_core.models",
    "evaluate_pipeline": "mgs_core.evaluate", "cross_validate": "mgs_core.evaluate",
    "analyze": "mgs_core.analysis",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'mgs_core' has no attribute {name!r}")
