"""Where an answer's time goes on a question set: prompt size, reading it, writing, the judge.

    .venv/bin/python bench/answer_time.py QUESTIONS --index DIR [--skip N] [--limit N] [--seed 0]

For each question (drawn as `rag eval` draws them): the prompt's tokens (the system turn, the
passages, the question), the pipeline's own timings (retrieval, first token, judge, total), and
the bare limit in the same process: llama.cpp reading the same prompt tokens from an empty cache
(`Llama.eval`), which is what the first token cannot beat. Prints p50s, the prompt-reading rate
and the ratio of first token to the bare read, with the machine; then what the bare read itself
runs at (FLOP/s) against the CPU's float32 matrix-multiply rate, and how long a prompt a 3.5 s
first token allows. Every prompt is about passages not read before (the prompt cache is emptied
before each question), as for a user's first question about them. Nothing is asserted: figures
to read (docs/eval.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("questions")
    ap.add_argument("--index", required=True)
    ap.add_argument("--skip", type=int, default=0)
    ap.add_argument("--limit", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    from rag.config import load_config
    from rag.models.cpu import model_name
    from rag.evaluate.questions import load_questions
    from rag.evaluate.sample import draw
    from rag.pipeline import Pipeline

    cfg = replace(load_config(), index=args.index)
    pipe = Pipeline.open(cfg, load_generator=True)
    gen = pipe.generator
    if not hasattr(gen, "tokens"):
        sys.exit("this benchmark reads prompts with llama.cpp: set runtime = \"llama.cpp\"")
    print(f"machine: {platform.processor() or platform.machine()}, {model_name()}, "
          f"{os.cpu_count()} cores; generator {gen.info()}")
    rows = []
    for q in draw(load_questions(args.questions).questions, args.limit, args.seed, False,
                  args.skip):
        gen.prompt_cache.forget()
        hits = pipe.fit(pipe.retrieve(q.question))
        messages = pipe.messages(q.question, hits)
        tokens = gen.tokens(messages)
        system = len(gen.tokens(messages[:1]))
        question = len(gen.llm.tokenize(q.question.encode("utf-8"), add_bos=False))
        gen.prompt_cache.forget()
        a = pipe.ask(q.question)
        gen.prompt_cache.forget()
        gen.llm.reset()
        t = time.perf_counter()
        gen.llm.eval(tokens[:-1])  # what the first token waits for, read as bare as it can be
        bare = (time.perf_counter() - t) * 1000
        t_ = a.timings_ms
        rows.append({"tokens": len(tokens), "system": system, "question": question,
                     "passages": len(tokens) - system - question, "bare": bare,
                     "first": t_.get("first_token"), "judge": t_.get("judge", 0.0),
                     "total": t_.get("total"), "retrieve": t_.get("retrieve")})
        print(f"{q.id}: {len(tokens)} tokens, bare read {bare:.0f} ms, first token "
              f"{t_.get('first_token'):.0f} ms, judge {t_.get('judge', 0):.0f} ms, total "
              f"{t_.get('total'):.0f} ms", flush=True)
    p50 = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    print(f"p50 over {len(rows)} questions: prompt {p50['tokens']:.0f} tokens (system "
          f"{p50['system']:.0f}, passages {p50['passages']:.0f}, question {p50['question']:.0f}); "
          f"retrieve {p50['retrieve']:.0f} ms; first token {p50['first']:.0f} ms; judge "
          f"{p50['judge']:.0f} ms; total {p50['total']:.0f} ms")
    print(f"bare limit: reading the prompt p50 {p50['bare']:.0f} ms "
          f"({p50['tokens'] / p50['bare'] * 1000:.0f} tokens/s); first token / bare read "
          f"{p50['first'] / p50['bare']:.2f}")
    # The machine's own limit under the bare read: reading a prompt is matrix multiplication,
    # about 2 FLOPs per weight per token (the embedding table is looked up, not multiplied).
    weights = gen.llm._model.n_params() - gen.llm.n_vocab() * gen.llm.n_embd()
    reading = 2 * weights * p50["tokens"] / (p50["bare"] / 1000) / 1e9
    peak = gemm_gflops(os.cpu_count() or 1)
    print(f"reading the prompt does {reading:.0f} GFLOP/s; this CPU multiplies float32 matrices "
          f"at {peak:.0f} GFLOP/s (torch, {os.cpu_count()} threads): {reading / peak:.2f} of it. "
          f"At the reading rate a first token in 3.5 s allows about "
          f"{3.5 * p50['tokens'] / (p50['bare'] / 1000):.0f} prompt tokens")


def gemm_gflops(threads: int, n: int = 2048, runs: int = 5) -> float:
    """float32 matrix multiplication, the best of `runs` (torch's BLAS on `threads` threads)."""
    import torch

    torch.set_num_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b  # warm up
    best = min(_timed(lambda: a @ b) for _ in range(runs))
    return 2 * n ** 3 / best / 1e9


def _timed(f) -> float:
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
