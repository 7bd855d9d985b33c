"""The `rag` command with its `serve` subcommand: the web chat and the HTTP API on one server.

The library's command (rag.cli) holds every other subcommand; `serve` needs the web front end,
and the library never imports it, so it is declared and run here. `main` is the whole command:
the `rag` script and `python -m ui` run it, and `python -m rag serve` hands over to it.
Left out: the server itself (ui.server) and who may read or write (ui.access).
"""

from __future__ import annotations

import sys

from rag.cli import Command, Pages
from rag.cli import main as cli_main
from rag.config import load_config


def add_serve(sub) -> None:
    serve = sub.add_parser("serve", help="the web chat and the HTTP API")
    serve.add_argument("--index")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default "
                       "127.0.0.1; 0.0.0.0 opens it to the network)")
    serve.add_argument("--port", type=int, default=7860)
    serve.add_argument("--generator", help="generator name or model folder")
    serve.add_argument("--sources", nargs="+", metavar="PATH",
                       help="sync these files and folders into the index before serving")
    # Tokens only from files or the environment: a command line is visible to every local user.
    serve.add_argument("--read-token-file", metavar="FILE",
                       help="every request must carry the token in FILE (or set RAG_READ_TOKEN)")
    serve.add_argument("--write-token-file", metavar="FILE",
                       help="adding articles is on, for whoever gives the token in FILE (or set "
                            "RAG_WRITE_TOKEN); without one it is off")
    serve.add_argument("--public-read-only", action="store_true",
                       help="allow --host beyond loopback without a reader token: anyone who "
                            "can connect reads, nobody adds articles")


def run_serve(args) -> int:
    from ui.access import check_binding, load_access

    cfg = load_config(args.config, index=args.index, generator=args.generator)
    access = load_access(args.read_token_file, args.write_token_file, args.public_read_only)
    check_binding(args.host, access)  # refused before anything is read or loaded
    from rag.index.milvus_collections import attach, is_milvus

    if is_milvus(cfg.vectors):  # a server on a machine that has not indexed: name the index
        attach(cfg.index, cfg.vectors)
    if args.sources:
        from rag.sync import sync_index

        # Incremental and pruning only within the named sources: uploads stay indexed.
        pages = Pages()
        report = sync_index(args.sources, cfg, reading=pages.update)
        pages.close()
        for s in report.skipped:
            print(f"skipped {s.source}: {s.reason}", file=sys.stderr)
        print(f"index {cfg.index}: {report.summary()}", file=sys.stderr)
    from ui.server import serve  # the web stack is loaded only by this command

    serve(cfg, args.host, args.port, access)
    return 0


SERVE = Command(add_serve, run_serve)


def main(argv: list[str] | None = None) -> int:
    return cli_main(argv, SERVE)
