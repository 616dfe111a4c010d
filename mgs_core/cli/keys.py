"""`mgs keys generate`: CURVE key pairs for the inference server and its clients."""
from __future__ import annotations

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser("keys", help="CURVE keys for the inference server",
                              description="Manage CURVE key pairs for `mgs serve` and its clients.")
    sub = p.add_subparsers(dest="keys_command", metavar="ACTION")
    g = sub.add_parser("generate", help="write NAME.key (public) and NAME.key_secret (secret, mode 0600)")
    g.add_argument("--out", required=True, help="directory to write into")
    g.add_argument("--name", default="mgs", help="file name stem (default %(default)s)")
    g.add_argument("--force", action="store_true", help="overwrite an existing pair")
    g.set_defaults(func=cmd_generate)
    p.set_defaults(func=lambda args: (p.print_help(), 1)[1])


def cmd_generate(args: argparse.Namespace) -> int:
    from mgs_core.server.keys import generate_keypair

    files = generate_keypair(args.out, args.name, overwrite=args.force)
    print(f"public key: {files.public}")
    print(f"secret key: {files.secret} (mode 0600; keep it on this machine)")
    print("server: mgs serve --keys SERVER.key_secret --allow DIR_OF_CLIENT_KEYS; "
          "client: copy its NAME.key into the server's --allow directory and use the server's .key as "
          "server public key (MGS_SERVER_KEY / MGS_CLIENT_KEY)")
    return 0
