"""What several users at once see: N concurrent clients asking a running `rag serve` over HTTP.

    python bench/concurrency.py http://127.0.0.1:7860 [--clients 8] [--rounds 1]

Each client sends `rounds` questions from seeds/questions.jsonl to POST /api/ask, one after the
other; all clients start together. Prints per-request latency p50/p95/max, errors, throughput,
and the machine (CPU model, cores, load), since the figures mean nothing without it. Bounded:
clients x rounds requests, each with a timeout. Left out: starting the server (run `rag serve`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

QUESTIONS = Path(__file__).resolve().parent.parent / "seeds" / "questions.jsonl"


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{cpu}; {os.cpu_count()} cores; load average {load}; {platform.platform()}"


def percentile(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(p / 100 * len(xs) + 0.5) - 1))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=600)
    args = ap.parse_args()
    if not 1 <= args.clients <= 32 or not 1 <= args.rounds <= 10:
        ap.error("keep it bounded: 1-32 clients, 1-10 rounds")
    questions = [json.loads(x)["question"] for x in QUESTIONS.read_text().splitlines() if x.strip()]
    health = httpx.get(args.url + "/api/health", timeout=10).json()

    def client(i: int) -> list[tuple[float, str | None]]:
        out = []
        with httpx.Client(base_url=args.url, timeout=args.timeout) as c:
            for r in range(args.rounds):
                q = questions[(i * args.rounds + r) % len(questions)]
                t = time.perf_counter()
                try:
                    resp = c.post("/api/ask", json={"question": q})
                    err = None if resp.status_code == 200 else f"HTTP {resp.status_code}"
                except httpx.HTTPError as e:
                    err = type(e).__name__
                out.append((time.perf_counter() - t, err))
        return out

    t0 = time.perf_counter()
    with ThreadPoolExecutor(args.clients) as pool:
        results = [x for r in pool.map(client, range(args.clients)) for x in r]
    wall = time.perf_counter() - t0
    lat = [s for s, e in results if e is None]
    errors = [e for _, e in results if e is not None]
    print(f"machine: {machine()}")
    print(f"server: {health['articles']} articles, {health['chunks']} chunks, "
          f"embedder {health['embedder']}, generator {health['generator']}")
    print(f"{args.clients} clients x {args.rounds} rounds = {len(results)} requests in {wall:.1f} s "
          f"({len(results) / wall:.2f} req/s)")
    if lat:
        print(f"latency: p50 {statistics.median(lat):.1f} s, p95 {percentile(lat, 95):.1f} s, "
              f"min {min(lat):.1f} s, max {max(lat):.1f} s")
    print(f"errors: {len(errors)}" + (f" ({', '.join(sorted(set(errors)))})" if errors else ""))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
