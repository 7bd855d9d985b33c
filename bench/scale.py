"""The index past one machine: the whole index in Milvus (Lite here) against today's FAISS +
bm25s folder, in the same run, on the same chunks and vectors.

    .venv/bin/python bench/scale.py [--sizes 100000] [--fusion] [--queries 200] [--out DIR]

- fusion (--fusion): SciFact's corpus (../shared/data/scifact) chunked and embedded once with the
  default embedder, written into both engines; nDCG@10 on the test qrels for today's convex
  fusion over FAISS + bm25s, the same convex fusion over Milvus's dense and BM25 searches
  (rag.retrieval over rag.index.milvus_store), and Milvus's own hybrid search with its RRF and
  weighted rankers.
- scale (--sizes): synthetic indexes of N chunks whose texts are drawn from the real SciFact
  chunks and whose vectors are the real ones plus noise (as bench/speed.py builds them). For
  each engine: the time to fill it, the time of one write of 1,000 more chunks (100 articles of
  10, through the same `add_article` and `save` that `rag index` uses), and the full search's
  p50/p95 (dense + BM25 + fusion, the question already embedded), plus bytes per chunk.
Prints the machine first. Nothing is asserted: these are figures to read.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
SCIFACT = ROOT.parent / "shared" / "data" / "scifact"
QUERIES = 200


def machine() -> str:
    import subprocess

    cpu = next((ln.split(":", 1)[1].strip() for ln in
                subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
                if ln.startswith("Model name")), platform.processor())
    import faiss
    import milvus_lite
    import pymilvus
    return (f"{cpu}, {os.cpu_count()} cores; faiss {faiss.__version__}, pymilvus "
            f"{pymilvus.__version__}, milvus-lite {milvus_lite.__version__}, Python "
            f"{platform.python_version()}")


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))]


def ms(xs) -> str:
    return f"p50 {statistics.median(xs):.1f} ms, p95 {pct(xs, 95):.1f} ms"


def scifact_articles():
    from rag.types import Article

    for line in open(SCIFACT / "corpus.jsonl"):
        d = json.loads(line)
        yield Article(str(d["_id"]), d.get("title") or "", d["text"])


def embed_scifact(out: Path):
    """(articles, chunks per article, vectors): the corpus chunked and embedded once, cached."""
    from rag import registry
    from rag.config import Config
    from rag.index.chunking import ChunkParams, chunk_article

    cfg = Config()
    emb = registry.embedder(cfg.embedder, cfg.embedder_dtype)
    arts = list(scifact_articles())
    per = [chunk_article(a, emb.count_tokens, ChunkParams(cfg.chunk_tokens, cfg.chunk_overlap))
           for a in arts]
    cache = out / "scifact_vectors.npy"
    texts = [c.text for cs in per for c in cs]
    if cache.exists() and len(np.load(cache, mmap_mode="r")) == len(texts):
        vecs = np.load(cache)
    else:
        t = time.perf_counter()
        vecs = emb.embed(texts, batch_size=64)
        print(f"  embedded {len(texts):,} SciFact chunks in {time.perf_counter() - t:.0f} s")
        np.save(cache, vecs)
    return emb, arts, per, vecs


def fill(index, arts, per, vecs) -> float:
    t = time.perf_counter()
    pos = 0
    for a, cs in zip(arts, per):
        index.add_article(a, cs, vecs[pos:pos + len(cs)])
        pos += len(cs)
    index.save()
    return time.perf_counter() - t


def bench_fusion(out: Path) -> None:
    import csv

    import pytrec_eval
    from pymilvus import AnnSearchRequest, RRFRanker, WeightedRanker

    from rag import retrieval
    from rag.index.lexical import tokenize
    from rag.index.store import Index

    emb, arts, per, vecs = embed_scifact(out)
    info, chunking = emb.info(), {"max_tokens": 200, "overlap_sentences": 1}
    faiss_ix = Index.empty(out / "fusion-faiss", info, chunking, "faiss")
    milvus_ix = Index.empty(out / "fusion-milvus", info, chunking, "milvus.db")
    for name, ix in (("FAISS + bm25s folder", faiss_ix), ("Milvus Lite", milvus_ix)):
        print(f"  {name}: {len(arts):,} articles, {len(vecs):,} chunks written in "
              f"{fill(ix, arts, per, vecs):.0f} s")
    faiss_ix, milvus_ix = Index.open(out / "fusion-faiss"), Index.open(out / "fusion-milvus")
    queries = {json.loads(ln)["_id"]: json.loads(ln)["text"] for ln in open(SCIFACT / "queries.jsonl")}
    qrels: dict[str, dict[str, int]] = {}
    with open(SCIFACT / "qrels" / "test.tsv") as f:
        for row in csv.reader(f, delimiter="\t"):
            if row[0] != "query-id" and int(row[2]) > 0:
                qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    ids = list(qrels)
    qv = emb.embed([queries[q] for q in ids])
    evaluator = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut_10"})

    def rank(aids):
        out = {}
        for r, a in enumerate(aids):
            out.setdefault(a, float(len(aids) - r))
        return out

    def ours(index, mode, w=0.5):
        return lambda q, v: [h.chunk.article_id for h in
                             retrieval.search(index, v, queries[q], 100, mode, 100, w)]

    def hybrid(ranker):
        def run(q, v):
            terms = " ".join(tokenize([queries[q]])[0]) or "none"
            reqs = [AnnSearchRequest([v.tolist()], "vector", {"metric_type": "IP"}, 100,
                                     expr=milvus_ix._visible),
                    AnnSearchRequest([terms], "sparse", {"metric_type": "BM25"}, 100,
                                     expr=milvus_ix._visible)]
            res = milvus_ix._c.hybrid_search(milvus_ix.manifest["chunks"], reqs, ranker,
                                             limit=100, output_fields=["aid"])
            return [h["entity"]["aid"] for h in res[0]]
        return run

    settings = [
        ("FAISS + bm25s, convex 0.5 (today)", ours(faiss_ix, "convex")),
        ("FAISS + bm25s, rrf", ours(faiss_ix, "rrf")),
        ("Milvus dense only", ours(milvus_ix, "dense")),
        ("Milvus BM25 only", ours(milvus_ix, "bm25")),
        ("Milvus searches, convex 0.5 here", ours(milvus_ix, "convex")),
        ("Milvus hybrid_search, RRFRanker(60)", hybrid(RRFRanker(60))),
        ("Milvus hybrid_search, WeightedRanker(0.5, 0.5)", hybrid(WeightedRanker(0.5, 0.5))),
    ]
    print(f"\n## fusion: SciFact test, {len(ids)} queries, nDCG@10 (article level)")
    for label, fn in settings:
        t = time.perf_counter()
        run = {q: rank(fn(q, v)) for q, v in zip(ids, qv)}
        per_q = (time.perf_counter() - t) * 1000 / len(ids)
        scores = evaluator.evaluate(run)
        ndcg = sum(s["ndcg_cut_10"] for s in scores.values()) / len(scores)
        print(f"  {label:48} nDCG@10 {ndcg:.4f}   {per_q:.1f} ms/query")


def bench_scale(out: Path, sizes: list[int], n_queries: int = QUERIES) -> None:
    from rag import retrieval
    from rag.index.store import Index
    from rag.types import Article, Chunk

    emb, arts, per, vecs = embed_scifact(out)
    texts = [c.text for cs in per for c in cs]
    info, chunking = emb.info(), {"max_tokens": 200, "overlap_sentences": 1}
    queries = [json.loads(ln)["text"] for ln in open(SCIFACT / "queries.jsonl")][:n_queries]
    qv = emb.embed(queries)
    rng = np.random.default_rng(0)

    def synthetic(n: int, tag: str):
        """Articles of 10 chunks: texts drawn from the real ones, vectors real + noise."""
        pick = rng.integers(0, len(texts), n)
        x = vecs[pick] + 0.04 * rng.standard_normal((n, vecs.shape[1]), dtype=np.float32)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        for s in range(0, n, 10):
            body = [texts[i] for i in pick[s:s + 10]]
            text, chunks, pos = "", [], 0
            for j, b in enumerate(body):
                chunks.append(Chunk(f"{tag}{s}#{j}", f"{tag}{s}", b, pos, pos + len(b)))
                text += b + " "
                pos += len(b) + 1
            yield Article(f"{tag}{s}", f"Synthetic {tag}{s}", text), chunks, x[s:s + len(body)]

    for n in sizes:
        print(f"\n## {n:,} chunks (synthetic from real SciFact chunks)")
        for engine in ("faiss", "milvus.db"):
            folder = out / f"scale-{engine.replace('.', '-')}-{n}"
            shutil.rmtree(folder, ignore_errors=True)
            ix = Index.empty(folder, info, chunking, engine)
            t = time.perf_counter()
            for a, cs, v in synthetic(n, "s"):
                ix.add_article(a, cs, v)
            ix.save()
            filled = time.perf_counter() - t
            ix = Index.open(folder, writable=True)
            t = time.perf_counter()
            for a, cs, v in synthetic(1000, "new"):
                ix.add_article(a, cs, v)
            ix.save()
            write = time.perf_counter() - t
            ix = Index.open(folder)
            retrieval.search(ix, qv[0], queries[0], 3, "convex", 50, 0.5)
            times = []
            for q, v in zip(queries, qv):
                t = time.perf_counter()
                retrieval.search(ix, v, q, 3, "convex", 50, 0.5)
                times.append((time.perf_counter() - t) * 1000)
            size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
            name = "FAISS + bm25s folder" if engine == "faiss" else "Milvus Lite (whole index)"
            print(f"  {name:26} filled in {filled:.0f} s ({n / filled:,.0f} chunks/s); one write "
                  f"of 1,000 more chunks {write:.1f} s; search (dense + BM25 + convex, k=3, 50 "
                  f"candidates each) {ms(times)} over {len(times)} questions; "
                  f"{size / (n + 1000):,.0f} B/chunk on disk")
            del ix


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000")
    ap.add_argument("--fusion", action="store_true")
    ap.add_argument("--queries", type=int, default=QUERIES,
                    help="SciFact questions timed per engine and size (fewer: a size whose "
                         "search takes seconds)")
    ap.add_argument("--out", help="working folder (default: a temporary one)")
    args = ap.parse_args()
    print(machine())
    out = Path(args.out or tempfile.mkdtemp(prefix="rag-scale-"))
    out.mkdir(parents=True, exist_ok=True)
    if args.fusion:
        bench_fusion(out)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if sizes:
        bench_scale(out, sizes, args.queries)


if __name__ == "__main__":
    main()
