"""Choosing the retrieval fusion by measurement: nDCG@10 of each mode on SciFact's train queries
(for choosing) and test queries (for reporting), at the article level, with trec_eval's measure.

    .venv/bin/python bench/fusion.py --index runs/eval-scifact/index [--data ../shared/data/scifact]

The index is the SciFact corpus indexed by `rag eval ../shared/data/scifact` (its articles are the
corpus documents). Tuning happens on train only; test is reported for every setting, so the
choice can be checked but was not made on it.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def load(data: Path, split: str):
    queries = {}
    for line in open(data / "queries.jsonl"):
        d = json.loads(line)
        queries[str(d["_id"])] = d["text"]
    qrels: dict[str, dict[str, int]] = {}
    with open(data / "qrels" / f"{split}.tsv") as f:
        for row in csv.reader(f, delimiter="\t"):
            if row[0] == "query-id" or int(row[2]) <= 0:
                continue
            qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    return {q: queries[q] for q in qrels}, qrels


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "scifact"))
    args = ap.parse_args()
    import pytrec_eval

    from rag import registry, retrieval
    from rag.index.store import Index

    index = Index.open(args.index)
    emb = registry.embedder(index.embedder_info["name"], index.embedder_info.get("dtype", "float32"))
    settings = [("dense", 0.0), ("bm25", 0.0), ("rrf", 0.0)] + \
        [("convex", w) for w in (0.3, 0.4, 0.5, 0.6, 0.7)]
    print(f"index {args.index}: {len(index.chunks)} chunks of {len(index.articles)} articles")
    for split in ("train", "test"):
        queries, qrels = load(Path(args.data), split)
        ids = list(queries)
        vecs = emb.embed([queries[q] for q in ids])
        evaluator = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut_10"})
        for mode, w in settings:
            t = time.perf_counter()
            run = {}
            for q, v in zip(ids, vecs):
                ranking: dict[str, float] = {}
                hits = retrieval.search(index, v, queries[q], 100, mode, 100, w)
                for r, h in enumerate(hits):
                    ranking.setdefault(h.chunk.article_id, float(len(hits) - r))
                run[q] = ranking
            ms = (time.perf_counter() - t) * 1000 / len(ids)
            scores = evaluator.evaluate(run)
            ndcg = sum(s["ndcg_cut_10"] for s in scores.values()) / len(scores)
            label = f"{mode}" + (f" w={w}" if mode == "convex" else "")
            print(f"{split:5} ({len(ids)} queries)  {label:14} nDCG@10 {ndcg:.4f}  "
                  f"{ms:.1f} ms/query (without embedding)")


if __name__ == "__main__":
    main()
