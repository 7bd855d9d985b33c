"""The speed benchmark: every figure of the README's speed table, each beside its bare limit.

    .venv/bin/python bench/speed.py [--docs N] [--index DIR] [--sizes 100000,1000000]
                                    [--runtimes transformers,llama.cpp]
                                    [--skip ingest,retrieval,scale,answers,memory]

- ingest: SciFact (../shared/data/scifact, read in place) through the whole `rag index` path with
  the embedder in fp32, in bf16 and as the int8 ONNX export (rag.index.query_encoder), beside the one
  `embedder_dtype = "auto"` picks here, then plain fp32
  `SentenceTransformer.encode` of the same chunk texts in the same process (the bare limit);
  docs/s, ratios, and SciFact test nDCG@10 (dense only) per precision, since a faster embedder is
  only adopted if it ranks as well.
- retrieval: the full query path (embed the question, FAISS + BM25, fuse) at about 5,000 chunks
  and at SciFact size, p50/p95, with the embedding and the search timed apart, for questions
  embedded by the adapter and by the int8 export (rag.index.query_encoder).
- scale: synthetic vectors (real SciFact chunk vectors plus noise, so neighbourhoods look like
  real ones) at each size: exact search against the IVF index `rag.index.vectors` switches to past
  `EXACT_LIMIT`, with build time, p50/p95, recall@10 against exact, and bytes per chunk; and BM25
  over as many chunk texts (drawn from the real ones): build time, p50/p95, bytes per chunk.
- answers: the seed questions through the pipeline per generator runtime (llama.cpp twice where
  there is memory for the bf16 copy: prompts read by it and by the GGUF alone, beside the one
  `prefill = "auto"` picks here):
  first token and total p50/p95, and the refusals (the answers themselves are judged by `rag
  eval`); the bare limit is llama.cpp reading the same prompts with the same weights.
- memory: peak resident memory (VmHWM) of a real `rag serve` with the default models after
  answering three questions.
Prints the machine and library versions first. Nothing is asserted: these are figures to read.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SCIFACT = ROOT.parent / "shared" / "data" / "scifact"


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
            f"llama-cpp-python {_version('llama_cpp')}, Python {platform.python_version()}")


def _version(module: str) -> str:
    try:
        return __import__(module).__version__
    except ImportError:
        return "not installed"


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))]


def ms(xs) -> str:
    return f"p50 {statistics.median(xs):.1f} ms, p95 {pct(xs, 95):.1f} ms"


def scifact_jsonl(out: Path, n: int | None) -> int:
    count = 0
    with open(SCIFACT / "corpus.jsonl") as f, open(out, "w") as w:
        for line in f:
            if n is not None and count >= n:
                break
            d = json.loads(line)
            w.write(json.dumps({"id": d["_id"], "title": d.get("title", ""), "text": d["text"]})
                    + "\n")
            count += 1
    return count


def dense_ndcg(index, emb, questions) -> float:
    from rag.index.vectors import all_vectors

    ids, vecs = all_vectors(index.vectors.index)
    chunks = [index.chunks[int(i)] for i in ids]
    return _ndcg_of_vectors(chunks, vecs, emb.embed([q.question for q in questions]), questions)


def bench_ingest(tmp: Path, n: int | None) -> Path:
    from rag import registry
    from rag.config import Config
    from rag.evaluate.questions import load_beir
    from rag.index.store import Index
    from rag.models import choices
    from rag.sync import sync_index

    cfg = Config()
    src = tmp / "scifact.jsonl"
    docs = scifact_jsonl(src, n)
    questions = load_beir(SCIFACT).questions
    print(f"\n## ingest: {docs} SciFact abstracts, `rag index` path (read, chunk, embed, write)")
    rate = {}
    for dtype in ("float32", "bfloat16", "int8"):
        emb = registry.embedder(cfg.embedder, dtype, 0)
        emb.embed(["warm up"])
        t = time.perf_counter()
        rep = sync_index([src], cfg, index=tmp / f"ix-{dtype}", embedder=emb)
        secs = time.perf_counter() - t
        rate[dtype] = docs / secs
        ndcg = dense_ndcg(Index.open(tmp / f"ix-{dtype}"), emb, questions)
        note = "" if n is None else " (corpus subset: not comparable to published figures)"
        print(f"  {dtype}: {secs:.1f} s = {rate[dtype]:.1f} docs/s ({rep.chunks} chunks); "
              f"SciFact test nDCG@10 dense {ndcg:.4f}{note}")
    chunks = list(Index.open(tmp / "ix-float32").chunks.values())
    texts = [c.text for c in chunks]
    fp32 = registry.embedder(cfg.embedder, "float32", 0)
    t = time.perf_counter()
    fp32.model.encode(texts, batch_size=64)
    bare = docs / (time.perf_counter() - t)
    print(f"  bare limit, plain fp32 SentenceTransformer.encode of the same chunks: {bare:.1f} docs/s")
    print("  ratios against it: " + ", ".join(f"rag index {d} {r / bare:.2f}"
                                              for d, r in rate.items()))
    # the index in the precision the default ("auto") picks on this machine
    auto = registry.embedder(cfg.embedder, cfg.embedder_dtype, 0).info()['dtype']
    how = ("measured at set-up, rag.models.choices" if choices.embedder_dtype(cfg.embedder)
           else "by rule: set-up measured nothing here")
    print(f"  embedder_dtype \"auto\" picks {auto} here ({how})")
    return tmp / f"ix-{auto}"


def _ndcg_of_vectors(chunks, vecs, qvecs, questions) -> float:
    import faiss

    from rag.evaluate.metrics import retrieval_scores

    flat = faiss.IndexFlatIP(vecs.shape[1])
    flat.add(np.ascontiguousarray(vecs, dtype=np.float32))
    _, ids = flat.search(np.ascontiguousarray(qvecs, dtype=np.float32), 100)
    vals = []
    for q, row in zip(questions, ids):
        ranking = []
        for i in row:
            if i >= 0 and chunks[i].article_id not in ranking:
                ranking.append(chunks[i].article_id)
        vals.append(retrieval_scores(q.qrels(), ranking)["ndcg@10"])
    return float(np.mean(vals))


def bench_retrieval(index_dir: Path, tmp: Path) -> None:
    """The query path at about 5,000 chunks (the first SciFact abstracts) and at all of SciFact,
    with questions embedded by the adapter ("torch") and by the int8 export ("onnx-int8")."""
    from rag.config import Config
    from rag.sync import sync_index

    src = tmp / "scifact-5k.jsonl"
    scifact_jsonl(src, 2000)  # about 2.5 chunks per abstract
    small = tmp / "ix-5k"
    sync_index([src], Config(), index=small)
    for folder in (small, index_dir):
        for encoder in ("torch", "onnx-int8"):
            _time_retrieval(folder, encoder)


def _encoder_name(emb) -> str:
    return "the int8 export" if type(emb).__name__.startswith("Onnx") else "torch"


def _time_retrieval(index_dir: Path, encoder: str) -> None:
    from rag import registry, retrieval
    from rag.config import Config
    from rag.evaluate.questions import load_beir
    from rag.index.store import Index

    cfg = Config()
    index = Index.open(index_dir)
    info = index.embedder_info
    emb = registry.query_encoder(registry.embedder(info["name"], info.get("dtype", "float32"), 0),
                                 encoder, 0)
    if encoder == "torch" and info.get("dtype") == "int8":
        # An int8 index embeds its questions by the export whatever the setting: time torch on
        # the same vectors through the fp32 adapter instead.
        emb = registry.embedder(info["name"], "float32", 0)
    qs = [q.question for q in load_beir(SCIFACT).questions]
    emb.embed(qs[:5])
    index.search_bm25("warm up", 5)
    total, embed, search = [], [], []
    for q in qs:
        t0 = time.perf_counter()
        v = emb.embed([q])[0]
        t1 = time.perf_counter()
        retrieval.search(index, v, q, cfg.k, cfg.retrieval, cfg.candidates, cfg.dense_weight)
        t2 = time.perf_counter()
        embed.append((t1 - t0) * 1000)
        search.append((t2 - t1) * 1000)
        total.append((t2 - t0) * 1000)
    print(f"\n## retrieval at {len(index.chunks):,} chunks ({cfg.retrieval} fusion, index in "
          f"{info.get('dtype')}, questions by {_encoder_name(emb)}, {len(qs)} SciFact queries)")
    print(f"  whole path {ms(total)}")
    print(f"  of which: embedding the question {ms(embed)}; FAISS + BM25 + fusion {ms(search)}")


def bench_scale(index_dir: Path, sizes: list[int]) -> None:
    import faiss

    from rag.index import vectors as vs
    from rag.index.store import Index

    from rag.evaluate.questions import load_beir

    base = Index.open(index_dir)
    _, real = vs.all_vectors(base.vectors.index)
    texts = [c.text for c in base.chunks.values()]
    queries = [q.question for q in load_beir(SCIFACT).questions]
    rng = np.random.default_rng(0)
    print(f"\n## dense search at scale (synthetic: real chunk vectors + noise; "
          f"exact below {vs.EXACT_LIMIT:,} vectors, IVF above), and BM25 over as many chunk "
          f"texts drawn from the real ones")
    for n in sizes:
        x = real[rng.integers(0, len(real), n)]
        x += 0.04 * rng.standard_normal(x.shape, dtype=np.float32)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        ids = np.arange(n, dtype=np.int64)
        q = real[rng.integers(0, len(real), 200)]
        q += 0.04 * rng.standard_normal(q.shape, dtype=np.float32)
        q /= np.linalg.norm(q, axis=1, keepdims=True)
        exact = vs.FaissVectors.empty(x.shape[1])
        exact.index.add_with_ids(x, ids)
        truth, t_exact = [], []
        for v in q:
            t = time.perf_counter()
            truth.append({i for i, _ in exact.search(v, 10)})
            t_exact.append((time.perf_counter() - t) * 1000)
        flat_bytes = faiss.serialize_index(exact.index).nbytes
        del exact
        t = time.perf_counter()
        ivf = vs.FaissVectors(vs.build_ivf(ids, x), vs.ivf_shape(n)[1])
        build = time.perf_counter() - t
        t_ivf, recall = [], []
        for v, want in zip(q, truth):
            t = time.perf_counter()
            got = {i for i, _ in ivf.search(v, 10)}
            t_ivf.append((time.perf_counter() - t) * 1000)
            recall.append(len(got & want) / 10)
        ivf_bytes = faiss.serialize_index(ivf.index).nbytes
        d = ivf.describe()
        print(f"  {n:>9,} vectors: exact {ms(t_exact)}, {flat_bytes / n:.0f} B/chunk | "
              f"IVF{d['nlist']} nprobe {d['nprobe']}: built in {build:.0f} s, {ms(t_ivf)}, "
              f"recall@10 vs exact {np.mean(recall):.3f}, {ivf_bytes / n:.0f} B/chunk | "
              f"used: {'exact' if n <= vs.EXACT_LIMIT else 'IVF'}")
        del ivf, x
        _bm25_at(n, texts, queries, rng)


def _bm25_at(n: int, texts: list[str], queries: list[str], rng) -> None:
    """BM25 (rag.index.lexical) over n chunk texts drawn from the real ones: build time (each index
    version rebuilds it), query p50/p95 at the pipeline's depth, and size on disk."""
    from rag.config import Config
    from rag.index.lexical import Bm25

    sample = [texts[i] for i in rng.integers(0, len(texts), n)]
    t = time.perf_counter()
    bm = Bm25.build(list(range(n)), sample)
    build = time.perf_counter() - t
    del sample
    depth = Config().candidates
    bm.search(queries[0], depth)
    times = []
    for q in queries:
        t = time.perf_counter()
        bm.search(q, depth)
        times.append((time.perf_counter() - t) * 1000)
    with tempfile.TemporaryDirectory() as tmp:
        size = sum(p.stat().st_size for p in bm.save(Path(tmp)))
    print(f"  {n:>9,} chunks BM25: built in {build:.0f} s, {ms(times)} (top {depth}), "
          f"{size / n:.0f} B/chunk on disk")


def bench_answers(runtimes: list[str]) -> None:
    from rag.answer.runtimes.llamacpp import LlamaCppGenerator
    from rag.config import load_config
    from rag.models.weights import BF16_MIN_MEMORY_GIB, memory_gib
    from rag.pipeline import Pipeline
    from rag.sync import sync_index

    questions = [json.loads(x) for x in open(ROOT / "seeds" / "questions.jsonl")]
    print(f"\n## answers: {len(questions)} seed questions, default settings per runtime")
    # llama.cpp twice where the machine has room for the bf16 copy: prompts read by it and by
    # the GGUF alone (`prefill = "off"`), each choice beside the one "auto" makes here.
    # Each llama.cpp run asks the questions twice: as a chat asks them, the prompt cache keeping
    # the passages read for earlier ones (rag.answer.runtimes.prompt_cache), and "new passages":
    # before each question the cache forgets every passage, keeping the system turns, as a
    # question about articles not asked about before finds it.
    both = ("bf16", "off") if memory_gib() >= BF16_MIN_MEMORY_GIB else ("off",)
    runs = [(r, p) for r in runtimes for p in (both if r == "llama.cpp" else ("auto",))]
    if "llama.cpp" in runtimes:
        auto = LlamaCppGenerator.auto_prefill(load_config().generator)
        print(f"  prefill \"auto\" picks {auto} here")
    for runtime, prefill in runs:
        with tempfile.TemporaryDirectory() as tmp:
            cfg = load_config(index=str(Path(tmp) / "ix"), runtime=runtime, prefill=prefill)
            sync_index([ROOT / "seeds"], cfg)
            t = time.perf_counter()
            try:
                pipe = Pipeline.open(cfg, load_generator=True)
            except Exception as e:  # noqa: BLE001 - a runtime that is not installed is reported
                print(f"  {runtime}: not available ({e})")
                continue
            load = time.perf_counter() - t
            info = pipe.generator.info()
            read = f", prompts read by {info['prefill']}" if "prefill" in info else ""
            cache = getattr(pipe.generator, "prompt_cache", None)
            for new in ((False, True) if cache is not None else (False,)):
                first, total, refused = [], [], 0
                for q in questions:
                    if new:
                        cache.forget(1)
                    a = pipe.ask(q["question"])
                    first.append(a.timings_ms["first_token"] / 1000)
                    total.append(a.timings_ms["total"] / 1000)
                    refused += a.refused
                how = ", new passages" if new else (", chat" if cache is not None else "")
                print(f"  {runtime} ({info.get('dtype')}{read}{how}): load {load:.1f} s; first "
                      f"token p50 {statistics.median(first):.2f} s, p95 {pct(first, 95):.2f} s; "
                      f"total p50 {statistics.median(total):.2f} s, p95 {pct(total, 95):.2f} s; "
                      f"refused {refused}/{len(questions)}")
            if runtime == "llama.cpp":  # against the figures with new passages
                _bare_prefill(pipe, questions, statistics.median(first))


def _bare_prefill(pipe, questions: list[dict], first_p50: float) -> None:
    """The bare limit of the first token: llama.cpp reading the same prompts (ChatML, as the
    packaged models' template writes them) into an empty cache, nothing else, with the weights
    that read them in the pipeline (the bf16 reader where there is one)."""
    gen = pipe.generator
    llm = gen.reader or gen.llm
    secs, sizes = [], []
    for q in questions:
        msgs = pipe.messages(q["question"], pipe.retrieve(q["question"]))
        chatml = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in msgs)
        tokens = llm.tokenize((chatml + "<|im_start|>assistant\n").encode(), special=True)
        llm.reset()
        t = time.perf_counter()
        llm.eval(tokens)
        secs.append(time.perf_counter() - t)
        sizes.append(len(tokens))
    bare = statistics.median(secs)
    print(f"  bare limit, llama.cpp ({'bf16' if gen.reader else 'q4_k_m'} weights) reading the "
          f"same prompts ({statistics.median(sizes):.0f} tokens p50): p50 {bare:.2f} s = "
          f"{sum(sizes) / sum(secs):.0f} tokens/s; first token p50 / this: {first_p50 / bare:.2f}")


def bench_memory() -> None:
    from rag.config import Config
    from rag.sync import sync_index
    from ui.child import start

    with tempfile.TemporaryDirectory() as tmp:
        cfg = Config()
        sync_index([ROOT / "seeds"], cfg, index=Path(tmp) / "ix")
        srv = start(Path(tmp) / "ix", Path(tmp) / "serve.log", timeout=300,
                    env={"RAG_GENERATOR": cfg.generator})
        try:
            import httpx
            for q in ["Who is the CEO of Dell?", "What did Dell and Nvidia build?",
                      "What is the capital of Australia?"]:
                httpx.post(srv.url + "/api/ask", json={"question": q}, timeout=600)
            status = open(f"/proc/{srv.proc.pid}/status").read()
            peak = next(ln.split()[1] for ln in status.splitlines() if ln.startswith("VmHWM"))
        finally:
            srv.stop()
    print(f"\n## memory: `rag serve` (generator {cfg.generator}, runtime {cfg.runtime}) after three "
          f"answers: peak RSS {int(peak) / 1024 ** 2:.2f} GiB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, help="SciFact abstracts to ingest (default: all 5,183)")
    ap.add_argument("--index", help="a SciFact index already built (for retrieval and scale "
                                    "without the ingest section)")
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--runtimes", default="transformers,llama.cpp")
    ap.add_argument("--skip", default="", help="comma-separated sections to leave out")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    print(f"machine: {machine()}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(args.index) if args.index else None
        if "ingest" not in skip or (index is None and not {"retrieval", "scale"} <= skip):
            index = bench_ingest(Path(tmp), args.docs)
        if "retrieval" not in skip:
            bench_retrieval(index, Path(tmp))
        if "scale" not in skip:
            bench_scale(index, [int(s) for s in args.sizes.split(",") if s])
    if "answers" not in skip:
        bench_answers([r for r in args.runtimes.split(",") if r])
    if "memory" not in skip:
        bench_memory()


if __name__ == "__main__":
    main()
