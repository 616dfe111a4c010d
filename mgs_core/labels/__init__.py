"""Labelling a lab's own frames: label sets on disk (:mod:`.store`), frames chosen by active learning
(:mod:`.pick`), and datasets / ZIPs / agreement files made from the labels (:mod:`.exchange`)."""
from mgs_core.labels.store import Label, LabelError, LabelItem, LabelSet, RaterFile, list_sets

__all__ = ["Label", "LabelError", "LabelItem", "LabelSet", "RaterFile", "list_sets"]
