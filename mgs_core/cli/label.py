"""`mgs label`: label sets of a lab's own frames (pick, rater, status, export, import, agreement files)."""
from __future__ import annotations

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser("label", help="frames to label from your videos; label sets, datasets, agreement files",
                              description="Label sets (docs/analysis.md, 'Labelling your own frames'): pick frames "
                                          "to label from videos (active learning), export a rater's labels as a "
                                          "dataset folder or ZIP (docs/dataset.md), import one back, write the "
                                          "files of `mgs agree`. Labelling itself is done on the app's Label page.")
    sub = p.add_subparsers(dest="label_what", metavar="WHAT")

    k = sub.add_parser("pick", help="choose frames to label from one or more videos and write a label set",
                       description="Score every STRIDE-th frame with the active model, then pick N scorable frames "
                                   "spread over time, animals and predicted score, weighted toward frames the model "
                                   "is least sure of, at least --min-gap s apart per animal; crops are written "
                                   "shuffled under neutral names.")
    k.add_argument("videos", nargs="+", help="video files")
    k.add_argument("--rois", action="append", default=[],
                   help="ROI file for the video at the same position (repeat; default: each video's sibling "
                        "<stem>.rois.json, else the whole frame)")
    k.add_argument("--n", type=int, required=True, help="number of frames to label in all")
    k.add_argument("--min-gap", type=float, default=2.0, help="minimum seconds between two frames of an animal (2)")
    k.add_argument("--uncertainty-weight", type=float, default=0.5,
                   help="how strongly to prefer frames the model is unsure of (0 = not at all; default 0.5)")
    k.add_argument("--stride", type=int, default=None, help="score every STRIDE-th frame (default: about 600 per video)")
    k.add_argument("--seed", type=int, default=0)
    k.add_argument("--seg", help="segmentation checkpoint (default: shipped)")
    k.add_argument("--score", help="score checkpoint (default: shipped)")
    k.add_argument("--out", required=True, help="label set folder to create (its name is the set's name)")
    k.set_defaults(func=run_pick)

    r = sub.add_parser("rater", help="add a rater to a label set")
    r.add_argument("set", help="label set folder")
    r.add_argument("name", help="rater name (unique in the set)")
    r.add_argument("--scale", choices=["0-9", "mgs012"], default="0-9", help="the rater's scale (default 0-9)")
    r.set_defaults(func=run_rater)

    s = sub.add_parser("status", help="items and each rater's progress")
    s.add_argument("set", help="label set folder")
    s.set_defaults(func=run_status)

    e = sub.add_parser("export", help="a rater's labels as a dataset folder or ZIP (docs/dataset.md)")
    e.add_argument("set", help="label set folder")
    e.add_argument("--rater", required=True)
    e.add_argument("--out", required=True, help="new dataset folder, or a .zip file")
    e.set_defaults(func=run_export)

    i = sub.add_parser("import", help="add a dataset folder or ZIP of labels for this set's crops as a new rater")
    i.add_argument("set", help="label set folder")
    i.add_argument("dataset", help="dataset folder or .zip (as written by `mgs label export`)")
    i.add_argument("--rater", help="rater name (default: the dataset's rater column)")
    i.set_defaults(func=run_import)

    a = sub.add_parser("agree-files", help="write key.csv and one CSV per rater: the input of `mgs agree`")
    a.add_argument("set", help="label set folder")
    a.add_argument("--raters", nargs="+", required=True)
    a.add_argument("--rescore", action="store_true",
                   help="use the scores of the model given by --seg/--score (default: the model that picked the frames)")
    a.add_argument("--seg")
    a.add_argument("--score")
    a.add_argument("--cuts", default="3,6", help="0-9 -> MGS 0/1/2 cut points (default 3,6)")
    a.add_argument("--out", required=True, help="output folder")
    a.set_defaults(func=run_agree_files)
    f = sub.add_parser("finetune", help="fine-tune both networks on a labelled dataset, with k-fold CV before/after",
                       description="Fine-tune the U-Net and the regressor from a parent model (default: the shipped "
                                   "weights) on a dataset folder (e.g. from `mgs label export`); first a k-fold CV "
                                   "of the score network on the labels, before vs after. Writes seg.pt, score.pt "
                                   "and model_card.json/.md into OUT.")
    f.add_argument("dataset", help="dataset folder (docs/dataset.md; masks optional)")
    f.add_argument("--out", required=True, help="output folder")
    f.add_argument("--init", default="default", help="'default' or SEG.pt,SCORE.pt (the parent model)")
    f.add_argument("--epochs-seg", type=int, default=20)
    f.add_argument("--epochs-score", type=int, default=60)
    f.add_argument("--folds", type=int, default=5)
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--status", help="JSON file rewritten at every epoch (stage, done, total, eta_s, state, result)")
    f.add_argument("--cancel-file", help="stop (exit 130) at the next epoch once this file exists")
    f.add_argument("--user", help="who fine-tunes (recorded in the model cards; default: the OS user)")
    f.add_argument("--slots", help="folder of the app's job slots: wait for the one training slot first "
                                   "(the status says how many jobs are ahead)")
    f.set_defaults(func=run_finetune)
    p.set_defaults(func=lambda a: (p.print_help(), 1)[1])


def _progress(stage: str, done: int, total: int) -> None:
    import sys

    print(f"\r{stage}: {done}/{total}", end="\n" if done >= total else "", file=sys.stderr, flush=True)


def run_pick(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mgs_core.errors import InputError
    from mgs_core.io.rois import load_rois
    from mgs_core.labels.pick import VideoInput, create_label_set
    from mgs_core.runners import load_runner

    if args.rois and len(args.rois) != len(args.videos):
        raise InputError(f"give one --rois per video ({len(args.videos)} videos, {len(args.rois)} ROI files)")
    inputs = []
    for k, v in enumerate(args.videos):
        v = Path(v)
        if not v.is_file():
            raise InputError(f"video {v} does not exist")
        rf = Path(args.rois[k]) if args.rois else v.with_name(v.stem + ".rois.json")
        inputs.append(VideoInput(v, load_rois(rf) if (args.rois or rf.is_file()) else None))
    runner = load_runner(seg=args.seg, score=args.score)
    ls = create_label_set(args.out, inputs, runner, args.n, args.min_gap, args.uncertainty_weight, args.stride,
                          args.seed, progress=_progress)
    per = {}
    for it in ls.items:
        per[it.animal] = per.get(it.animal, 0) + 1
    print(f"label set {ls.root}: {len(ls)} frames ({', '.join(f'{a}: {n}' for a, n in sorted(per.items()))})")
    return 0


def run_rater(args: argparse.Namespace) -> int:
    from mgs_core.labels.store import LabelSet

    rf = LabelSet(args.set).add_rater(args.name, args.scale)
    print(f"rater {rf.name} ({rf.scale}) added: {rf.path}")
    return 0


def run_status(args: argparse.Namespace) -> int:
    from mgs_core.labels.store import LabelSet

    ls = LabelSet(args.set)
    print(f"{ls.name}: {len(ls)} frames from {', '.join(s['video'] for s in ls.meta['sources'])}")
    for name in ls.rater_names():
        rf = ls.rater(name)
        no_eye = sum(1 for lab in rf.labels.values() if not lab.eye_visible)
        print(f"  {rf.name} ({rf.scale}): {len(rf.labels)} of {len(ls)} labelled, {no_eye} without a visible eye")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mgs_core.labels.exchange import export_dataset, export_zip
    from mgs_core.labels.store import LabelSet

    ls, out = LabelSet(args.set), Path(args.out)
    if out.suffix.lower() == ".zip":
        export_zip(ls, args.rater, out)
    else:
        export_dataset(ls, args.rater, out)
    print(f"wrote {out} ({len(ls.rater(args.rater).labels)} labelled crops)")
    return 0


def run_import(args: argparse.Namespace) -> int:
    from mgs_core.labels.exchange import import_labels
    from mgs_core.labels.store import LabelSet

    res = import_labels(LabelSet(args.set), args.dataset, args.rater)
    print(f"rater {res.rater} ({res.scale}): {res.n_labels} labels imported ({res.n_no_eye} without a visible eye)")
    return 0


def run_agree_files(args: argparse.Namespace) -> int:
    from mgs_core.analysis.scale import ScaleConversion
    from mgs_core.labels.exchange import agreement_files, rescore
    from mgs_core.labels.store import LabelSet

    ls = LabelSet(args.set)
    scores = None
    if args.rescore:
        from mgs_core.runners import load_runner

        scores = rescore(ls, load_runner(seg=args.seg, score=args.score))
    files = agreement_files(ls, args.raters, args.out, scores, ScaleConversion.parse(args.cuts))
    left = "; ".join(f"{n} left out: {why}" for why, n in files.left_out.items())
    print(f"{files.n_items} items on scale {files.scale}" + (f" ({left})" if left else ""))
    print(f"mgs agree {files.key} {' '.join(str(p) for p in files.raters)} --scale {files.scale} --cuts {args.cuts} "
          "--out REPORT_DIR")
    return 0


class _CancelFile:
    """A cancel flag another process raises by creating a file (the app's Cancel button)."""

    def __init__(self, path):
        self.path = path

    def is_set(self) -> bool:
        import os

        return bool(self.path) and os.path.exists(self.path)


def run_finetune(args: argparse.Namespace) -> int:
    import json
    import os
    import sys
    import time
    from dataclasses import asdict
    from pathlib import Path

    from mgs_core.errors import InputError, MGSError
    from mgs_core.train.finetune import FinetuneCancelled, finetune

    init = args.init
    if init != "default":
        parts = [x.strip() for x in init.split(",")]
        if len(parts) != 2 or not all(parts):
            raise InputError(f"--init must be 'default' or SEG.pt,SCORE.pt, got {init!r}")
        init = tuple(parts)
    status = {"state": "running", "stage": "starting", "done": 0, "total": 1, "eta_s": None, "pid": os.getpid(),
              "started": time.time()}

    def write():
        if args.status:
            tmp = Path(args.status).with_name(Path(args.status).name + ".tmp")
            tmp.write_text(json.dumps(status, indent=1, default=str))
            os.replace(tmp, args.status)

    def progress(stage, done, total, eta):
        status.update(stage=stage, done=done, total=total, eta_s=None if eta != eta else round(eta, 1))
        write()
        print(f"\r{stage}: epoch {done}/{total}" + ("" if eta != eta else f", ETA {eta:.0f} s"), end="",
              file=sys.stderr, flush=True)

    write()
    slot = None
    if args.slots:  # at most one training job at a time on this server: wait in the queue, visibly
        from mgs_core.access.slots import JobSlots

        def waiting(ahead, view):
            busy = ", ".join(f"{r.get('user', '?')}: {r.get('what', '?')}" for r in view.running) or "finishing"
            status.update(stage=f"waiting for the training slot ({ahead} ahead in the queue; running: {busy})")
            write()

        slot = JobSlots(args.slots, "training", 1).acquire(
            {"user": args.user or "", "what": f"fine-tuning on {Path(args.dataset).name}"}, on_wait=waiting,
            cancelled=lambda: bool(args.cancel_file) and Path(args.cancel_file).exists())
        if slot is None:
            status.update(state="cancelled", message="cancelled while waiting for the training slot")
            write()
            return 130
    try:
        res = finetune(args.dataset, args.out, init, args.epochs_seg, args.epochs_score, args.folds, progress,
                       _CancelFile(args.cancel_file), seed=args.seed, user=args.user)
    except FinetuneCancelled:
        status.update(state="cancelled", message="cancelled")
        write()
        print("\ncancelled", file=sys.stderr)
        return 130
    except MGSError as exc:
        status.update(state="failed", message=str(exc))
        write()
        raise
    except Exception as exc:  # noqa: BLE001 - the status file must say why a background job died
        status.update(state="failed", message=f"{type(exc).__name__}: {exc}")
        write()
        raise
    status.update(state="done", seg=str(res.seg_path), score=str(res.score_path), seconds=round(res.seconds, 1),
                  cv_before=asdict(res.cv_before), cv_after=asdict(res.cv_after), card=res.card)
    write()
    b, a = res.cv_before, res.cv_after
    print(f"\nsaved {res.seg_path} and {res.score_path} in {res.seconds:.0f} s; {args.folds}-fold CV of the score "
          f"net on these labels: MAE {b.mae:.3f} -> {a.mae:.3f}, r {b.pearson_r:.3f} -> {a.pearson_r:.3f}")
    return 0
