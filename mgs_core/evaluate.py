"""Evaluation (compatibility module): the implementation lives in the package :mod:`mgs_core.evaluation`; every
name existing callers import from here (``evaluate_pipeline``, ``cross_validate``, ``confusion_matrix``,
``iou_per_class``, the metric functions and report classes) is re-exported unchanged."""
from mgs_core.evaluation import *  # noqa: F401,F403
from mgs_core.evaluation import __all__  # noqa: F401
