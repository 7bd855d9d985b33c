"""Benchmark of the core path: indexing throughput against the bare embedder, and answer latency.

    .venv/bin/python bench/core.py [--docs 1000] [--data ../shared/data/scifact] [--skip-answers]

Indexing: SciFact abstracts (read from ../shared/data, never copied into the repo) go through the
whole `rag index` path (read, chunk, embed, write the index) and then, in the same process with the
same loaded model, the same chunk texts go through plain `SentenceTransformer.encode`. The ratio of
the two throughputs is the pipeline's overhead. Answers: the generator's load time, then time to
first token and total time over the shipped question set. Prints the machine and versions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def machine() -> str:
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo")
                if ln.startswith("model name")), platform.processor())
    import faiss
    import sentence_transformers
    import torch
    import transformers
    return (f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__} ({torch.get_num_threads()} "
            f"threads), transformers {transformers.__version__}, sentence-transformers "
            f"{sentence_transformers.__version__}, faiss {faiss.__version__}, "
            f"Python {platform.python_version()}")


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))]


def bench_indexing(data: Path, n: int) -> None:
    from rag import registry
    from rag.chunking import ChunkParams
    from rag.config import Config
    from rag.indexing import sync
    from rag.store import Index

    cfg = Config()
    emb = registry.embedder(cfg.embedder, cfg.embedder_dtype)
    emb.embed(["warm up"])
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "scifact.jsonl"
        with open(data / "corpus.jsonl") as f, open(src, "w") as out:
            for i, line in enumerate(f):
                if i >= n:
                    break
                d = json.loads(line)
                out.write(json.dumps({"id": d["_id"], "title": d.get("title", ""),
                                      "text": d["text"]}) + "\n")
        t = time.perf_counter()
        report = sync([src], Path(tmp) / "ix", emb, ChunkParams(cfg.chunk_tokens, cfg.chunk_overlap))
        t_index = time.perf_counter() - t
        texts = [c.text for c in Index.open(Path(tmp) / "ix").chunks.values()]
        t = time.perf_counter()
        emb.model.encode(texts, batch_size=64)
        t_encode = time.perf_counter() - t
        t = time.perf_counter()
        again = sync([src], Path(tmp) / "ix", emb, ChunkParams(cfg.chunk_tokens, cfg.chunk_overlap))
        t_again = time.perf_counter() - t
    print(f"indexing {n} SciFact abstracts -> {report.chunks} chunks")
    print(f"  rag index (read, chunk, embed, write): {t_index:.1f} s = {n / t_index:.1f} docs/s, "
          f"{report.chunks / t_index:.1f} chunks/s")
    print(f"  plain SentenceTransformer.encode of the same chunks: {t_encode:.1f} s = "
          f"{len(texts) / t_encode:.1f} chunks/s")
    print(f"  ratio (pipeline / bare encode throughput): {t_encode / t_index:.2f}")
    print(f"  re-run with nothing changed: {t_again:.2f} s, {again.embedded} chunks embedded")


def bench_answers() -> None:
    from rag import registry
    from rag.chunking import ChunkParams
    from rag.config import Config
    from rag.indexing import sync
    from rag.pipeline import Pipeline

    with tempfile.TemporaryDirectory() as tmp:
        cfg = Config(index=str(Path(tmp) / "ix"))
        sync([ROOT / "seeds"], cfg.index, registry.embedder(cfg.embedder),
             ChunkParams(cfg.chunk_tokens, cfg.chunk_overlap))
        t = time.perf_counter()
        pipe = Pipeline.open(cfg, load_generator=True)
        load = time.perf_counter() - t
        first, total, retrieve, refused = [], [], [], 0
        questions = [json.loads(x) for x in open(ROOT / "seeds" / "questions.jsonl")]
        for q in questions:
            a = pipe.ask(q["question"])
            first.append(a.timings_ms["first_token"])
            total.append(a.timings_ms["total"])
            retrieve.append(a.timings_ms["retrieve"])
            refused += a.refused
    print(f"answers: generator {cfg.generator} ({pipe.generator.info().get('dtype')}), "
          f"{len(questions)} seed questions, k={cfg.k}")
    print(f"  model load (embedder already loaded): {load:.1f} s")
    print(f"  retrieve p50 {statistics.median(retrieve):.0f} ms")
    print(f"  first token p50 {statistics.median(first) / 1000:.2f} s, p95 {pct(first, 95) / 1000:.2f} s")
    print(f"  total p50 {statistics.median(total) / 1000:.2f} s, p95 {pct(total, 95) / 1000:.2f} s")
    print(f"  refused {refused}/{len(questions)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "scifact"))
    ap.add_argument("--skip-answers", action="store_true")
    ap.add_argument("--skip-indexing", action="store_true")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    if not args.skip_indexing:
        bench_indexing(Path(args.data), args.docs)
    if not args.skip_answers:
        bench_answers()


if __name__ == "__main__":
    main()
