"""`mgs` command line: one subcommand module per file in this package.

Each module ``mgs_core/cli/<name>.py`` defines ``register(subparsers)`` which adds its subcommand(s) and sets
``func`` on the parser (``parser.set_defaults(func=...)``); ``func(args) -> int`` is the exit code. Modules are
discovered automatically, so adding a command touches only its own file. User errors (:class:`MGSError`) are
printed as one line on stderr with exit code 2, never as a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from mgs_core.errors import MGSError


def build_parser() -> argparse.ArgumentParser:
    from mgs_core import __version__

    parser = argparse.ArgumentParser(prog="mgs", description="MGS Live: Mouse Grimace Scale scoring from video.")
    parser.add_argument("--version", action="version", version=f"mgs-live {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{mod.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except MGSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: partial results kept; rerun the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
