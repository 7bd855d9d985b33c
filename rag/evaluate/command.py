"""What `rag eval` does, kept out of the CLI module: parse the gates, load and sample the question
set, find or build the index, run, print the summary, and apply `--fail-under`.

Where the articles come from: `--index DIR` uses that index; `--articles PATH...` syncs those files
into `OUT/index` (only what changed is embedded, so a second run reuses it); a SQuAD or BEIR set
without either writes its own articles to `OUT/articles.jsonl` and syncs that the same way; a JSONL
set without either uses the configured index. `--fail-under` bounds are checked before anything
runs, so a typo fails at once, not after an hour. Exit status: 0, or 1 when a bound is not met
(or its figure cannot be computed); typed errors become messages in the CLI as usual.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from rag.errors import ConfigError, QuestionError
from rag.evaluate.metrics import RETRIEVAL_KEYS

KEYS = {"retrieval": RETRIEVAL_KEYS,
        "answer": ("em", "f1", "contains", "em_overall", "f1_overall"),
        "refusal": ("precision", "recall", "f1", "false_refusal_rate"),
        "citation": ("precision", "recall"),
        "latency_ms": ("retrieve_p50", "first_token_p50", "total_p50", "total_p95")}


def cmd_eval(args) -> int:
    if args.compare:
        if args.questions:
            raise QuestionError("give either QUESTIONS (to run) or --compare RUN_A RUN_B, not both")
        from rag.evaluate.compare import format_comparison

        print(format_comparison(*args.compare))
        return 0
    if not args.questions:
        raise QuestionError("give a question set (QUESTIONS) or --compare RUN_A RUN_B")
    bounds = parse_bounds(args.fail_under or [])
    from rag.answer.asking import valid_k
    from rag.config import load_config
    from rag.evaluate.questions import load_questions
    from rag.evaluate.runner import run_eval
    from rag.evaluate.sample import draw
    from rag.pipeline import Pipeline

    qset = load_questions(args.questions)
    questions = draw(qset.questions, args.limit, args.seed, args.balanced, args.skip)
    out = Path(args.out or Path("runs") / f"eval-{Path(args.questions).resolve().stem}")
    cfg = load_config(args.config, index=args.index, generator=args.generator,
                      embedder=args.embedder, k=args.k)
    cfg = replace(cfg, index=prepare_index(qset, args.index, args.articles, cfg, out))
    pipe = Pipeline.open(cfg)
    if not (args.retrieval_only or qset.retrieval_only):
        valid_k(cfg.k)  # once here, rather than as the same error on every question
    _warn_unknown_evidence(questions, pipe.index.articles)
    metrics = run_eval(qset, questions, pipe, out, cfg.k, args.retrieval_only,
                       audit=args.trade_off)
    print(summary(metrics))
    if metrics.get("trade_off"):
        from rag.evaluate.tradeoff import table

        print("refusal trade-off (shares of all questions; latencies include the audit's work):")
        print(table(metrics["trade_off"]))
    if metrics.get("ablation"):
        from rag.evaluate.ablation import table as ablation_table

        print("each check turned off (counts of questions):")
        print(ablation_table(metrics["ablation"]))
    print(f"wrote {out}/results.jsonl, metrics.json, report.html")
    failed = check_bounds(metrics, bounds)
    for line in failed:
        print(f"rag: fail-under: {line}", file=sys.stderr)
    return 1 if failed else 0


def prepare_index(qset, index: str | None, articles: list[str] | None, cfg, out: Path) -> str:
    if index and articles:
        raise ConfigError("give --index or --articles, not both")
    if index:
        return index
    if articles:
        return _sync(articles, out / "index", cfg)
    if qset.articles is not None:
        out.mkdir(parents=True, exist_ok=True)
        path = out / "articles.jsonl"
        text = "".join(json.dumps({"id": a.id, "title": a.title, "text": a.text},
                                  ensure_ascii=False) + "\n" for a in qset.articles)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        return _sync([str(path)], out / "index", cfg)
    return cfg.index


def _warn_unknown_evidence(questions: list, articles: dict) -> None:
    """Evidence ids that name no indexed article usually mean another id scheme (ids are paths
    relative to the folder given to `--articles`/`rag index`): say so before the figures mislead."""
    unknown = sorted({e for q in questions for e in q.qrels() if e not in articles})
    if unknown:
        print(f"warning: {len(unknown)} evidence id(s) are not in the index, e.g. "
              f"{', '.join(map(repr, unknown[:3]))}; retrieval figures count them as not found",
              file=sys.stderr)


def _sync(sources: list[str], index_dir: Path, cfg) -> str:
    from rag.sync import sync_index

    report = sync_index(sources, cfg, index=index_dir, progress=_embed_progress)
    for s in report.skipped:
        print(f"skipped {s.source}: {s.reason}", file=sys.stderr)
    print(f"index {index_dir}: {report.summary()}", file=sys.stderr)
    return str(index_dir)


def _embed_progress(done: int, total: int) -> None:
    if total >= 256:
        print(f"\rembedding {done}/{total} chunks", end="\n" if done == total else "",
              file=sys.stderr, flush=True)


def parse_bounds(items: list[str]) -> list[tuple[str, str, float]]:
    """`METRIC=VALUE` items as (group, name, bound). METRIC is `group.name` (`answer.f1`) or a name
    found in one group only (`hit@5`, `contains`)."""
    bounds = []
    for item in items:
        key, sep, value = item.partition("=")
        try:
            bound = float(value)
        except ValueError:
            bound = None
        if not sep or bound is None:
            raise ConfigError(f"--fail-under takes METRIC=VALUE (like answer.f1=0.5), not {item!r}")
        group, _, name = key.strip().rpartition(".")
        if group:
            if name not in KEYS.get(group, ()):
                raise ConfigError(f"--fail-under: no metric {key!r}; known: {_known()}")
            bounds.append((group, name, bound))
            continue
        groups = [g for g, names in KEYS.items() if name in names]
        if len(groups) != 1:
            why = "is in several groups; name one" if groups else "is not a metric"
            raise ConfigError(f"--fail-under: {name!r} {why}; known: {_known()}")
        bounds.append((groups[0], name, bound))
    return bounds


def check_bounds(metrics: dict, bounds: list[tuple[str, str, float]]) -> list[str]:
    failed = []
    for group, name, bound in bounds:
        value = (metrics.get(group) or {}).get(name)
        if value is None:
            failed.append(f"{group}.{name} cannot be computed on this run (bound {bound})")
        elif value < bound:
            failed.append(f"{group}.{name} = {value:.4f} is below {bound}")
    return failed


def summary(metrics: dict) -> str:
    counts = "" if metrics.get("n_answerable") is None else (
        f"{metrics['n_answerable']} answerable, {metrics['n_unanswerable']} unanswerable, ")
    lines = [f"n = {metrics['n']} ({counts}{metrics.get('n_errors', 0)} failed)"]
    for group in KEYS:
        vals = {k: v for k, v in (metrics.get(group) or {}).items() if v is not None}
        if vals:
            fmt = "{:.0f}" if group == "latency_ms" else "{:.3f}"
            shown = "  ".join(f"{k} {fmt.format(v)}" for k, v in vals.items())
            lines.append(f"{group:<10} {shown}")
    return "\n".join(lines)


def _known() -> str:
    return ", ".join(f"{g}.{n}" for g, names in KEYS.items() for n in names)
