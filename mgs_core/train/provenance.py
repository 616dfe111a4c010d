"""What a model card records about how a model was made: command, date, code version."""
from __future__ import annotations

import shlex
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def code_version() -> str:
    """``mgs-live <version> (git <hash>[+dirty])``; the hash is omitted outside a git checkout."""
    from mgs_core import __version__

    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                              text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        head = ""
    return f"mgs-live {__version__}" + (f" (git {head})" if head else "")


def command_line(args, words: tuple[str, ...]) -> str:
    """The ``mgs`` command that reproduces a parsed argparse namespace (options in their long form)."""
    parts = ["mgs", *words]
    for key, value in vars(args).items():
        if key in ("func", "command", "train_what") or value is None or value is False or value == "":
            continue
        opt = "--" + key.replace("_", "-")
        if value is True:
            parts.append(opt)
        elif isinstance(value, (tuple, list)):
            parts += [opt, ",".join(str(v) for v in value)]
        else:
            parts += [opt, str(value)]
    return " ".join(shlex.quote(p) for p in parts)


def provenance(seed: int, data: str, n_items: int, note: str = "", command: str = "",
               user: str | None = None) -> dict:
    """What a trained model's card records about its making; ``user`` (who trained it) defaults to the OS user."""
    from mgs_core.access.who import os_user

    card = {
        "user": user or os_user(),
        "trained_on": note or f"labelled crops in {data}",
        "training_data": str(data),
        "training_items": n_items,
        "seed": seed,
        "command": command or "mgs " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d"),
        "code_version": code_version(),
    }
    return card
