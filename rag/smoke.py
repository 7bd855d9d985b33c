"""One real run of one model path, meant for a child process: `python -m rag.smoke ...`.

`generator NAME --runtime llama.cpp --prefill off|bf16` asks a fixed question over three fixed
passages (a prompt of a few hundred tokens, read from an empty cache) and prints, as one JSON
line, the seconds to the first token, the tokens a second after it and the answer.
`embedder NAME --dtype int8|bfloat16|float32` embeds a fixed batch of chunk-sized texts and
prints documents a second.

A child process, because what is tried here may crash the interpreter (a native library built for
another CPU, a kernel with a bug): `rag.models.choices` runs each path this way, so a crash becomes
a message and a fallback instead of a dead chat. Left out: any index or configuration file; the
texts are made up here.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from rag.types import Chunk, Hit

PASSAGES = [
    ("Harbour tunnel", "The harbour tunnel opened in March 2019 after six years of work. It is "
     "2.4 kilometres long and carries four lanes of traffic under the river. The city paid "
     "for most of it with a toll of two euros a car, which is to end in 2031. Engineers chose a "
     "tunnel over a second bridge because ships of up to 60 metres in height still have to "
     "reach the old port, and a bridge that high would have needed ramps through the centre."),
    ("Library reopening", "The central library reopened on Monday after a renovation that "
     "took two years and cost 18 million euros. Its reading room now seats 400 people, twice "
     "as many as before, and a new roof of glass lets daylight reach the lower floors. The "
     "architect, Ines Walder, kept the façade of 1911 and moved the entrance to the square, "
     "where a café opens at seven in the morning. Opening hours are longer too: until ten at "
     "night on weekdays."),
    ("River festival", "About 120,000 people came to the river festival over three days, the "
     "organisers said, fewer than last year because of the rain on Saturday. The rowing race "
     "was won by the team from the university for the fourth year running. Fireworks on Sunday "
     "night closed the festival; the bridges were shut to traffic for two hours while they "
     "lasted, and extra trams ran until two in the morning."),
]
QUESTION = "Why did the engineers choose a tunnel instead of a second bridge?"


def messages() -> list[dict]:
    from rag.answer.prompt import build_messages

    hits = []
    for i, (title, text) in enumerate(PASSAGES):
        chunk = Chunk(f"smoke{i}#0", f"smoke{i}", text, 0, len(text))
        hits.append(Hit(chunk, 1.0 - i / 10, title=title, date="2026-01-0" + str(i + 1)))
    return build_messages(QUESTION, hits, style="short")


def run_generator(name: str, runtime: str, prefill: str, max_new_tokens: int = 16) -> dict:
    from rag import registry

    start = time.perf_counter()
    # Through the runtime's own factory, not the registry's one-per-process cache: one path is
    # tried per process, with no prompt cache (every prompt is read from an empty one).
    gen = registry.runtime_factory(runtime)(name, prefill=prefill, cache_mb=0)
    loaded = time.perf_counter()
    first, pieces = None, []
    for piece in gen.stream(messages(), max_new_tokens=max_new_tokens):
        if first is None:
            first = time.perf_counter()
        pieces.append(piece)
    end = time.perf_counter()
    first = first or end
    n = len(pieces)
    return {"ok": True, "runtime": runtime, "prefill": prefill, "load_s": round(loaded - start, 2),
            "first_token_s": round(first - loaded, 3),
            "tokens_per_s": round((n - 1) / (end - first), 1) if n > 1 and end > first else None,
            "answer": "".join(pieces)}


def run_embedder(name: str, dtype: str, n: int = 64) -> dict:
    from rag import registry

    texts = [f"{i}. {title}: {text}" for i in range(n // len(PASSAGES) + 1)
             for title, text in PASSAGES][:n]
    emb = registry.embedder(name, dtype)
    if dtype == "int8" and emb.info().get("dtype") != "int8":
        raise RuntimeError(f"{name} has no int8 export")
    emb.embed(texts[:8])  # warm-up: first-call allocations are not the steady speed
    start = time.perf_counter()
    emb.embed(texts)
    took = time.perf_counter() - start
    return {"ok": True, "dtype": dtype, "docs_per_s": round(n / took, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m rag.smoke")
    sub = ap.add_subparsers(dest="what", required=True)
    g = sub.add_parser("generator")
    g.add_argument("name")
    g.add_argument("--runtime", default="llama.cpp", choices=("llama.cpp", "transformers"))
    g.add_argument("--prefill", default="off", choices=("off", "bf16"))
    e = sub.add_parser("embedder")
    e.add_argument("name")
    e.add_argument("--dtype", default="float32", choices=("int8", "bfloat16", "float32"))
    args = ap.parse_args(argv)
    if args.what == "generator":
        result = run_generator(args.name, args.runtime, args.prefill)
    else:
        result = run_embedder(args.name, args.dtype)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
