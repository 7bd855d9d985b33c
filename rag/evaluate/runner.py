"""Asking a question set through the pipeline and writing the output folder.

Each question is retrieved to article depth 100 (`Pipeline.retrieve`, deduplicated to articles)
for the retrieval figures and, unless retrieval only, answered with `Pipeline.ask`. Its result line
(with what each check found, `checks`) is appended to `results.jsonl` and flushed at once, so an
interrupted run loses at most the question in flight; run the same command again and the
questions already answered there are not asked again (failed ones are). `run.json` records what
the answers depend on (question set, index contents, embedder, chunking, k, and every pipeline
setting: retrieval mode, generator...); resuming with different settings is refused, since
mixing answers from two setups would make figures neither of them earned.

One failing question is recorded with its error and the run goes on. At the end `results.jsonl`
is rewritten with this sample's questions in order (each scored again, so answers reused from an
earlier run meet the current gold answers), then `metrics.json` and `report.html` are written.
"""

from __future__ import annotations

import json
import time
from dataclasses import fields
from pathlib import Path

from rag.errors import ConfigError
from rag.evaluate.metrics import DEPTH, aggregate, score_question
from rag.evaluate.progress import Progress
from rag.files import atomic_write

RESULTS, METRICS, RUN, REPORT = "results.jsonl", "metrics.json", "run.json", "report.html"


def run_eval(qset, questions: list, pipeline, out_dir: str | Path, k: int,
             retrieval_only: bool = False, progress_stream=None, audit: bool = False) -> dict:
    """Answer `questions` (a sample of `qset`) into `out_dir`; returns the metrics. `audit` runs
    every check on every question, for the refusal trade-off (rag.evaluate.tradeoff)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    retrieval_only = retrieval_only or qset.retrieval_only
    audit = audit and not retrieval_only
    settings = run_settings(qset, pipeline, k, retrieval_only)
    if audit:  # recorded only when on, so runs from before the option resume as they were
        settings["audit"] = True
    _check_settings(out, settings)
    done = load_results(out / RESULTS)
    todo = [q for q in questions if q.id not in done]
    prog = Progress(len(questions), len(questions) - len(todo), progress_stream)
    with (out / RESULTS).open("a", encoding="utf-8") as fh:
        try:
            for q in todo:
                rec = ask_one(pipeline, q, k, retrieval_only, audit)
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
                fh.flush()
                done[q.id] = rec
                prog.step(error=rec["error"] is not None)
        except KeyboardInterrupt:
            print(f"\nstopped with {prog.done} of {len(questions)} answered in {out}; run the same "
                  "command again to go on", file=prog.stream)
            raise
    records = [done[q.id] for q in questions]
    for q, rec in zip(questions, records):
        # Scored again from what was asked, so reused answers meet today's gold answers.
        rec["answers"] = list(q.answers)
        rec["metrics"] = score_question(q, rec, retrieval_only)
    atomic_write(out / RESULTS, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    metrics = aggregate(questions, records, retrieval_only, answers_known=not qset.retrieval_only,
                        config=run_config(pipeline, k, retrieval_only))
    if audit:
        from rag.evaluate.tradeoff import trade_off

        metrics["trade_off"] = trade_off(questions, records, metrics["config"]["pipeline"])
        if not qset.retrieval_only:
            from rag.evaluate.ablation import ablation

            metrics["ablation"] = ablation(questions, records)
    atomic_write(out / METRICS, json.dumps(metrics, indent=1) + "\n")
    from rag.evaluate.report import write_report  # matplotlib loads only when a report is due

    write_report(out / REPORT, metrics, questions, records)
    return metrics


def ask_one(pipeline, q, k: int, retrieval_only: bool, audit: bool = False) -> dict:
    rec = {"id": q.id, "question": q.question, "answers": list(q.answers), "answer": None,
           "refused": None, "citations": [], "retrieved": [], "metrics": {}, "timings_ms": {},
           "checks": {}, "error": None}
    try:
        t0 = time.perf_counter()
        rec["retrieved"] = article_ranking(pipeline, q.question, DEPTH)
        if retrieval_only:
            rec["timings_ms"] = {"retrieve": round((time.perf_counter() - t0) * 1000, 1)}
        else:
            answer = pipeline.ask(q.question, k=k, audit=audit)
            rec.update(answer=answer.text, refused=answer.refused,
                       citations=[c.to_dict() for c in answer.citations],
                       timings_ms=dict(answer.timings_ms), checks=dict(answer.checks))
    except Exception as e:  # noqa: BLE001 - one failing question is recorded; the run goes on
        rec["error"] = f"{type(e).__name__}: {e}"
    rec["metrics"] = score_question(q, rec, retrieval_only)
    return rec


def article_ranking(pipeline, query: str, depth: int) -> list[dict]:
    """The best `depth` articles for a query: its chunks, best first, each article kept once at
    its best chunk. Asks for more chunks until `depth` articles are found or none are left."""
    total = len(pipeline.index.chunks)
    k = min(total, depth * 3)  # articles here have a few chunks each; widen if that falls short
    while k > 0:
        ranked: dict[str, dict] = {}
        for h in pipeline.retrieve(query, k=k):
            if h.chunk.article_id not in ranked:
                ranked[h.chunk.article_id] = {"article_id": h.chunk.article_id,
                                              "chunk_id": h.chunk.id, "score": round(h.score, 4)}
        if len(ranked) >= depth or k >= total:
            return list(ranked.values())[:depth]
        k = min(total, k * 2)
    return []


def load_results(path: Path) -> dict[str, dict]:
    """Answered questions of an earlier run, by id; failed ones and a torn last line are dropped,
    so they are asked again."""
    done: dict[str, dict] = {}
    if not path.is_file():
        return done
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and "id" in rec:
            if rec.get("error"):
                done.pop(rec["id"], None)
            else:
                done[rec["id"]] = rec
    return done


# Settings that change what retrieval returns; every other Config field (but where the index is
# and how many threads run) changes the answers too.
RETRIEVAL_FIELDS = ("retrieval", "candidates", "dense_weight", "query_encoder")
# Not settings of a run: where the index is, threads, the embedder for building (queries use the
# index's own, recorded apart), and k (recorded apart: `-k` overrides it).
_NOT_SETTINGS = ("index", "threads", "embedder", "embedder_dtype", "k")


def pipeline_settings(config, retrieval_only: bool) -> dict:
    """The pipeline configuration a run's figures depend on, read from the Config itself so that a
    new setting is recorded (and checked on resume) without changes here."""
    out = {f.name: getattr(config, f.name) for f in fields(config) if f.name not in _NOT_SETTINGS}
    return {k: v for k, v in out.items() if k in RETRIEVAL_FIELDS} if retrieval_only else out


def run_settings(qset, pipeline, k: int, retrieval_only: bool) -> dict:
    idx = pipeline.index
    return {"questions": str(Path(qset.source).resolve()), "format": qset.kind,
            "index_contents": idx.contents_digest(), "embedder": idx.embedder_info.get("name"),
            "embedder_weights": idx.embedder_info.get("weights_sha256"),
            "chunking": idx.chunking.to_dict(),
            "retrieval_only": retrieval_only, "k": None if retrieval_only else k,
            "pipeline": pipeline_settings(pipeline.config, retrieval_only)}


def run_config(pipeline, k: int, retrieval_only: bool) -> dict:
    idx = pipeline.index
    return {"embedder": idx.embedder_info.get("name"),
            "generator": None if retrieval_only else pipeline.config.generator,
            "k": None if retrieval_only else k, "chunking": idx.chunking.to_dict(),
            "pipeline": pipeline_settings(pipeline.config, retrieval_only),
            "index": {"path": str(idx.path), "articles": idx.article_count,
                      "chunks": idx.chunk_count, "updated": idx.updated, "format": idx.format}}


def _check_settings(out: Path, settings: dict) -> None:
    path = out / RUN
    if path.is_file() and (out / RESULTS).is_file():
        try:
            old = json.loads(path.read_text())
        except json.JSONDecodeError:
            old = {}
        diff = [k for k in settings if old.get(k) != settings[k]]
        if diff:
            raise ConfigError(
                f"{out} holds a run with other settings ({', '.join(diff)} differ: "
                f"{', '.join(f'{k}={old.get(k)!r}' for k in diff)}); its answers cannot be "
                "reused: choose another --out, or delete that folder")
    atomic_write(path, json.dumps(settings, indent=1) + "\n")
