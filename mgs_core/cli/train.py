"""`mgs train seg` / `score` / `eyecheck`: train the U-Net, the orbital-tightening regressor or the eye check."""
from __future__ import annotations

import argparse
import sys


def _widths(text: str) -> tuple[int, ...]:
    try:
        w = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"widths must be comma-separated integers, got {text!r}") from None
    if len(w) < 2 or min(w) < 1:
        raise argparse.ArgumentTypeError("widths need at least two positive integers, e.g. 12,24,48,96")
    return w


def register(subparsers) -> None:
    p = subparsers.add_parser("train", help="train the segmentation U-Net or the orbital-tightening regressor",
                              description="Train a network on a labelled dataset folder (docs/dataset.md).")
    sub = p.add_subparsers(dest="train_what", metavar="WHAT")

    s = sub.add_parser("seg", help="train the U-Net (4 classes + eye keypoint head)",
                       description="Adam + warm-up/cosine; weighted cross-entropy + soft Dice on items with masks, "
                                   "eye-centre heatmap + eye-length losses on every item with an eye point (masks "
                                   "optional: a clicks-only dataset trains the localiser). Saves the checkpoint after "
                                   "every epoch; --resume continues an interrupted run; --init fine-tunes.")
    s.add_argument("--data", required=True, help="training dataset folder (masks optional)")
    s.add_argument("--val", help="validation dataset folder (reports eye IoU each epoch)")
    s.add_argument("--out", required=True, help="checkpoint to write, e.g. runs/seg.pt")
    s.add_argument("--epochs", type=int, default=10)
    s.add_argument("--batch", type=int, default=16)
    s.add_argument("--lr", type=float, default=3e-3)
    s.add_argument("--widths", type=_widths, default=(8, 16, 32, 64), help="channels per level (default 8,16,32,64)")
    s.add_argument("--input-size", type=int, default=None,
                   help="U-Net input side in px (crops are 256; default 96, or the --init model's; a fully "
                        "convolutional U-Net can be fine-tuned at another size)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--threads", type=int, default=2)
    s.add_argument("--limit", type=int, help="train on the first N rows only")
    s.add_argument("--resume", action="store_true", help="continue from OUT.state.pt when present")
    s.add_argument("--note", default="", help="training-data statement for the model card")
    s.add_argument("--init", help="fine-tune from 'default' (the shipped U-Net) or a U-Net checkpoint; keeps its "
                                  "widths and input size")
    s.add_argument("--no-keypoint", action="store_true", help="segmentation classes only (the paper's U-Net)")
    s.add_argument("--vis-weight", type=float, default=1.0,
                   help="weight of the eye-visibility loss (BCE on each image's heatmap peak; default 1)")
    s.add_argument("--hidden-weight", type=float, default=1.0,
                   help="sampling weight of crops without a visible eye (e.g. 3 oversamples them; default 1)")
    s.add_argument("--edge-aug", type=float, default=0.0,
                   help="share of crops magnified 1-1.6x and shifted so the head is cut by the crop border and the eye "
                        "can sit at an edge, as in a tight ROI (default 0)")
    s.add_argument("--letterbox-aug", type=float, default=0.0,
                   help="share of crops letterboxed like a non-square ROI: a central band kept, its edge rows or "
                        "columns replicated over the rest, as the pipeline pads a wide camera frame (default 0)")
    s.set_defaults(func=run_seg)

    r = sub.add_parser("score", help="train the paper's Table 1 regressor (paper's recipe by default)",
                       description="Default = the paper: rotation +-30 deg, 60x60 window, random 50x50 sub-crop, "
                                   "inverse-frequency sampling, SGD lr 0.001 momentum 0.9, batch 32, 35 epochs, MSE.")
    r.add_argument("--data", required=True, help="training dataset folder (visible-eye rows are used)")
    r.add_argument("--out", required=True, help="checkpoint to write, e.g. runs/score.pt")
    r.add_argument("--recipe", choices=["paper", "improved"], default="paper")
    r.add_argument("--epochs", type=int)
    r.add_argument("--batch", type=int)
    r.add_argument("--lr", type=float)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--threads", type=int, default=2)
    r.add_argument("--pretrain", choices=["none", "cifar10"], default="none",
                   help="cifar10: pretrain with a 10-way head on a local CIFAR-10 copy, then transfer the convs")
    r.add_argument("--cifar-dir", help="local cifar-10-batches-py folder (nothing is downloaded)")
    r.add_argument("--pretrain-epochs", type=int, default=5)
    r.add_argument("--pretrain-limit", type=int, help="use only the first N CIFAR-10 images")
    r.add_argument("--note", default="", help="training-data statement for the model card")
    r.add_argument("--patch", choices=["fixed", "scaled"],
                   help="fixed = the paper's 50x50 window; scaled = k x eye length resized to 50x50 (default: scaled, "
                        "or the --init model's mode)")
    r.add_argument("--patch-k", type=float, help="window side in eye lengths for --patch scaled (default 2.5)")
    r.add_argument("--init", help="fine-tune from 'default' (the shipped regressor) or a regressor checkpoint")
    r.add_argument("--flip", action="store_true",
                   help="also mirror half the training patches; the model then averages a patch and its mirror at "
                        "inference (not in the paper)")
    r.add_argument("--loss", choices=["mse", "l1"], default=None,
                   help="training loss (default mse, the paper's; l1 fits the median score, which minimises MAE)")
    r.add_argument("--max-shift", type=int, default=None,
                   help="largest random shift of the 50x50 sub-window in the 60x60 window, px (default 5, the "
                        "paper's random 50x50 sub-crop of 60x60)")
    r.add_argument("--width", type=int, default=None,
                   help="channel/unit multiplier of the Table 1 layers (default 1 = the paper's network; not with "
                        "--init, which keeps the parent's)")
    r.add_argument("--lengths-from", default="default",
                   help="keypoint U-Net ('default' or a checkpoint) that estimates eye lengths for rows without an "
                        "eye_length (scaled patches only); 'none' to refuse such rows")
    r.set_defaults(func=run_score)

    c = sub.add_parser("eyecheck", help="train the eye check on the localiser's own false eyes",
                       description="Mines candidates with a keypoint U-Net (the truth eye, the located eye, the "
                                   "located 'eye' of hidden-eye and no-mouse crops, secondary heatmap peaks), trains "
                                   "the small patch CNN that rejects non-eyes, and picks its threshold on --val so "
                                   "that --keep of the correctly located validation eyes pass (mgs_core.train.eyecheck).")
    c.add_argument("--data", required=True, action="append", help="training dataset folder(s) with eye_length "
                                                                  "(repeatable)")
    c.add_argument("--val", required=True, help="validation dataset folder (chooses the threshold)")
    c.add_argument("--out", required=True, help="checkpoint to write, e.g. runs/check.pt")
    c.add_argument("--seg", default="default", help="keypoint U-Net whose mistakes are mined ('default' = shipped)")
    c.add_argument("--epochs", type=int, default=30)
    c.add_argument("--lr", type=float, default=3e-3)
    c.add_argument("--patch-k", type=float, default=1.5, help="window side in eye lengths (default 1.5)")
    c.add_argument("--keep", type=float, default=0.995,
                   help="share of correctly located validation eyes the threshold must keep (default 0.995)")
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--threads", type=int, default=2)
    c.add_argument("--limit", type=int, help="use the first N rows of each training folder only")
    c.add_argument("--note", default="", help="training-data statement for the model card")
    c.set_defaults(func=run_eyecheck)

    sp = sub.add_parser("soup", help="average the weights of checkpoints fine-tuned from one parent (a model soup)",
                        description="Write OUT: the uniform weight average of two or more checkpoints of the same "
                                    "model fine-tuned from the same parent with different seeds (one model, no extra "
                                    "inference cost). Its card lists the ingredients.")
    sp.add_argument("checkpoints", nargs="+", metavar="CHECKPOINT")
    sp.add_argument("--out", required=True)
    sp.add_argument("--note", default="", help="training-data statement for the model card")
    sp.set_defaults(func=run_soup)

    rel = sub.add_parser("release", help="copy trained checkpoints into shipped weights with held-out metrics",
                         description="Write DEST/seg.pt and DEST/score.pt (+ .card.json/.card.md) from trained "
                                     "checkpoints, adding the metrics of `mgs evaluate --json` on a held-out set.")
    rel.add_argument("--seg", required=True)
    rel.add_argument("--score", required=True)
    rel.add_argument("--eval", required=True, help="JSON from `mgs evaluate --data TEST --json ...`")
    rel.add_argument("--cv", action="append", default=[], help="JSON(s) from `mgs evaluate --folds K` (repeatable)")
    rel.add_argument("--test-set", default="", help="how the held-out set was made (e.g. the synth command)")
    rel.add_argument("--check", help="eye-check checkpoint the evaluation ran with (shipped as DEST/check.pt)")
    rel.add_argument("--dest", required=True, help="destination folder, e.g. mgs_core/weights")
    rel.set_defaults(func=run_release)
    p.set_defaults(func=lambda a: (p.print_help(), 1)[1])


def _load(path: str):
    from mgs_core.io.dataset import load_dataset

    print(f"reading {path} ...", file=sys.stderr, flush=True)
    return load_dataset(path)


def run_seg(args: argparse.Namespace) -> int:
    from mgs_core.errors import InputError
    from mgs_core.train.data import seg_arrays
    from mgs_core.train.progress import print_progress
    from mgs_core.train.provenance import command_line, provenance
    from mgs_core.train.augment import SegAug
    from mgs_core.train.seg import SegConfig, train_seg

    if args.init:
        from mgs_core.train.seg import load_init

        parent, _ = load_init(args.init)  # refuses a checkpoint of the wrong kind, naming it
        args.widths = tuple(parent.model_args["widths"])
        args.input_size = args.input_size or int(parent.model_args["input_size"])
    args.input_size = args.input_size or 96
    div = 2 ** (len(args.widths) - 1)
    if args.input_size % div:
        raise InputError(f"--input-size {args.input_size} must be divisible by {div} for {len(args.widths)} levels")
    if args.epochs < 1 or args.batch < 1:
        raise InputError("--epochs and --batch must be at least 1")
    if not 0.0 <= args.edge_aug <= 1.0:
        raise InputError(f"--edge-aug must be a share between 0 and 1, got {args.edge_aug}")
    if not 0.0 <= args.letterbox_aug <= 1.0:
        raise InputError(f"--letterbox-aug must be a share between 0 and 1, got {args.letterbox_aug}")
    ds = _load(args.data)
    labels = str(ds.root / "labels.csv") if hasattr(ds, "root") else f"{args.data}/labels.csv"
    train = seg_arrays(ds.items[: args.limit] if args.limit else ds.items, args.input_size, source=labels)
    val = seg_arrays(_load(args.val).items, args.input_size, source=f"{args.val}/labels.csv") if args.val else None
    cfg = SegConfig(widths=args.widths, input_size=args.input_size, epochs=args.epochs, batch=args.batch, lr=args.lr,
                    seed=args.seed, threads=args.threads, keypoint=not args.no_keypoint, vis_weight=args.vis_weight,
                    hidden_weight=args.hidden_weight,
                    aug=SegAug(edge_p=args.edge_aug, letterbox_p=args.letterbox_aug))
    card = {"name": "segmentation + eye keypoint U-Net" if cfg.keypoint else "segmentation U-Net",
            **provenance(args.seed, args.data, len(train.images), args.note, command_line(args, ("train", "seg")))}
    _, res = train_seg(train, val, args.out, cfg, resume=args.resume, card=card, progress=print_progress,
                       init=args.init)
    iou = f", val IoU per class {['%.3f' % v for v in res.val_iou]}" if res.val_iou else ""
    kp = f", val eyes found {res.val_found:.3f}" if res.val_found is not None else ""
    print(f"saved {args.out} after {res.epochs} epochs{iou}{kp}")
    return 0


def run_score(args: argparse.Namespace) -> int:
    from mgs_core.errors import InputError
    from mgs_core.train.cifar import conv_weights, pretrain_cifar10
    from mgs_core.train.data import patch_source
    from mgs_core.train.progress import print_progress
    from mgs_core.train.provenance import command_line, provenance
    from mgs_core.train.score import recipe_config, train_score

    if args.pretrain == "cifar10" and not args.cifar_dir:
        raise InputError("--pretrain cifar10 needs --cifar-dir pointing at a local cifar-10-batches-py folder")
    patch, k = args.patch, args.patch_k
    if args.init:
        from mgs_core.train.score import load_score_init

        parent, _ = load_score_init(args.init)  # refuses a checkpoint of the wrong kind, naming it
        patch = patch or parent.patch
        k = k if k is not None else parent.patch_k
    patch = patch or "scaled"
    k = 2.5 if k is None else k
    if not 0.5 <= k <= 8:
        raise InputError(f"--patch-k must lie in [0.5, 8], got {k:g}")
    if args.width is not None and (args.width < 1 or args.init):
        raise InputError("--width must be a positive integer, and cannot change an --init model's width")
    cfg = recipe_config(args.recipe, epochs=args.epochs, batch=args.batch, lr=args.lr, seed=args.seed,
                        threads=args.threads, patch=patch, patch_k=k, width=args.width, loss=args.loss)
    if args.max_shift is not None and not 0 <= args.max_shift <= 5:
        raise InputError(f"--max-shift must lie in 0..5 px (the 60x60 window leaves 5 px each side), got "
                         f"{args.max_shift}")
    aug = {"flip": True} if args.flip else {}
    if args.max_shift is not None:
        aug["max_shift"] = args.max_shift
    if aug:
        from dataclasses import replace

        cfg = replace(cfg, aug=replace(cfg.aug, **aug))
    if cfg.epochs < 1 or cfg.batch < 2:
        raise InputError("--epochs must be at least 1 and --batch at least 2")
    ds = _load(args.data)
    items = ds.items
    if patch == "scaled" and args.lengths_from != "none":
        from mgs_core.train.lengths import fill_eye_lengths

        items = fill_eye_lengths(items, args.lengths_from)
    src = patch_source(items, mode=patch, k=k, source=f"{args.data}/labels.csv")
    init = None
    if args.pretrain == "cifar10":
        print("pretraining on CIFAR-10 ...", file=sys.stderr, flush=True)
        net, _ = pretrain_cifar10(args.cifar_dir, epochs=args.pretrain_epochs, seed=args.seed,
                                  limit=args.pretrain_limit, threads=args.threads, progress=print_progress)
        init = conv_weights(net)
    card = {"name": "orbital-tightening regressor (paper Table 1)",
            **provenance(args.seed, args.data, len(src), args.note, command_line(args, ("train", "score"))),
            "pretraining": f"CIFAR-10 from {args.cifar_dir}" if init else "none"}
    _, res = train_score(src, args.out, cfg, init_features=init, card=card, progress=print_progress, init=args.init)
    print(f"saved {args.out}: {res.n_train} visible-eye items, recipe {cfg.recipe}, final loss "
          f"{res.history[-1].loss:.4f}")
    return 0


def run_eyecheck(args: argparse.Namespace) -> int:
    from mgs_core.errors import InputError
    from mgs_core.runners.local import LocalRunner
    from mgs_core.train.eyecheck import (CheckConfig, CheckSource, choose_threshold, mine_check_source, save_eyecheck,
                                         train_eyecheck)
    from mgs_core.train.progress import print_progress
    from mgs_core.train.provenance import command_line, provenance

    if args.epochs < 1:
        raise InputError("--epochs must be at least 1")
    if not 0.5 <= args.keep < 1.0:
        raise InputError(f"--keep must lie in [0.5, 1), got {args.keep:g}")
    runner = LocalRunner.from_checkpoints(seg=None if args.seg == "default" else args.seg, check=None)
    if not runner.keypoint:
        raise InputError(f"{args.seg}: the eye check is mined with a keypoint U-Net; this one has no keypoint head")
    cfg = CheckConfig(epochs=args.epochs, lr=args.lr, seed=args.seed, threads=args.threads, patch_k=args.patch_k)

    def mine(folder: str, limit: int | None):
        items = _load(folder).items
        items = items[:limit] if limit else items
        print(f"mining candidates in {folder} ({len(items)} crops) ...", file=sys.stderr, flush=True)
        return mine_check_source(items, runner, cfg)

    train = CheckSource.concat([mine(d, args.limit) for d in args.data])
    val = mine(args.val, None)
    print(f"candidates: {train.counts()}", file=sys.stderr, flush=True)
    model, history = train_eyecheck(train, cfg, progress=print_progress)
    choice = choose_threshold(model, val, args.keep)
    card = {"name": "eye check (patch CNN)",
            **provenance(args.seed, ",".join(args.data), len(train), args.note,
                         command_line(args, ("train", "eyecheck"))),
            "mined_with": runner.seg_card.get("name", "U-Net") + f" ({runner.seg_card.get('sha256', '')[:12]})",
            "validation_data": args.val}
    save_eyecheck(model, args.out, choice, cfg, train, history, card)
    print(f"saved {args.out}: {len(train)} candidates, threshold {choice.threshold:.3f} keeps "
          f"{choice.keep_eyes:.3f} of {choice.n_eyes} located validation eyes and rejects {choice.reject_false:.3f} "
          f"of {choice.n_false} false ones")
    return 0


def run_soup(args: argparse.Namespace) -> int:
    import shlex

    from mgs_core.train.soup import make_soup

    words = ["mgs", "train", "soup", *args.checkpoints, "--out", args.out] + (["--note", args.note] if args.note else [])
    out, _ = make_soup(args.checkpoints, args.out, args.note, " ".join(shlex.quote(w) for w in words))
    print(f"saved {out}: the weight average of {len(args.checkpoints)} checkpoints")
    return 0


def run_release(args: argparse.Namespace) -> int:
    from mgs_core.train.release import release_weights

    seg, score = release_weights(args.seg, args.score, args.eval, args.dest, args.cv, args.test_set,
                                 check=args.check)
    print(f"wrote {seg} and {score}" + (" and the eye check" if args.check else "") + " (+ cards)")
    return 0
