"""Load on a running `rag serve`: N clients asking through POST /api/ask for a bounded time, each
retrying after the server's Retry-After when it says the line is full.

    .venv/bin/python bench/load.py http://127.0.0.1:7860 [--clients 16] [--seconds 300]
                                   [--max-requests 2000] [--timeout 600] [--pid PID]

Only loopback addresses are accepted: this is a test of one's own server, not a tool against
others'. Every `--every` seconds it prints the time, answers, 503s, errors and the server's
resident memory (the process listening on the port, or `--pid`); at the end the latency of the
answered requests (p50, p95, max), the errors by kind, and hung connections (requests that hit
`--timeout`). Questions come from seeds/questions.jsonl in turn. Left out: the chat (Gradio's
websocket-free queue has its own progress), and starting or stopping the server.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

import httpx

ROOT = Path(__file__).resolve().parent.parent


def questions() -> list[str]:
    out = []
    for line in (ROOT / "seeds" / "questions.jsonl").read_text().splitlines():
        if line.strip():
            out.append(json.loads(line)["question"])
    return out


def loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def server_pid(port: int) -> int | None:
    import psutil

    for c in psutil.net_connections("tcp"):
        if c.status == psutil.CONN_LISTEN and c.laddr.port == port and c.pid:
            return c.pid
    return None


def rss_mib(pid: int | None) -> float | None:
    import psutil

    try:
        return psutil.Process(pid).memory_info().rss / 2**20 if pid else None
    except psutil.Error:
        return None


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=300, help="stop starting requests after this")
    ap.add_argument("--max-requests", type=int, default=2000, help="stop after this many in all")
    ap.add_argument("--timeout", type=float, default=600, help="a request past this is 'hung'")
    ap.add_argument("--every", type=float, default=15, help="seconds between progress lines")
    ap.add_argument("--pid", type=int, help="the server's process (default: the port's listener)")
    ap.add_argument("--token", help="a reader token, if the server asks for one")
    args = ap.parse_args(argv)
    if not loopback(args.url):
        print("bench/load.py: only loopback servers (127.0.0.1, ::1, localhost)", file=sys.stderr)
        return 2
    url = args.url.rstrip("/")
    pid = args.pid or server_pid(urlparse(url).port or 80)
    qs = questions()
    lock = threading.Lock()
    latencies: list[float] = []
    errors: Counter = Counter()
    counts = Counter()
    places: Counter = Counter()
    started = [0]
    t0 = time.monotonic()
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}

    def next_request() -> int | None:
        with lock:
            if time.monotonic() - t0 >= args.seconds or started[0] >= args.max_requests:
                return None
            started[0] += 1
            return started[0]

    def client(i: int) -> None:
        with httpx.Client(base_url=url, timeout=args.timeout, headers=headers) as http:
            while (n := next_request()) is not None:
                q = qs[(n + i) % len(qs)]
                t = time.monotonic()
                try:
                    r = http.post("/api/ask", json={"question": q})
                except httpx.TimeoutException:
                    with lock:
                        errors["hung (timeout)"] += 1
                    continue
                except httpx.HTTPError as e:
                    with lock:
                        errors[type(e).__name__] += 1
                    continue
                dt = time.monotonic() - t
                with lock:
                    if r.status_code == 200:
                        latencies.append(dt)
                        counts["answered"] += 1
                        places[r.headers.get("x-queue-position", "?")] += 1
                    elif r.status_code == 503 and r.headers.get("retry-after"):
                        counts["told to retry"] += 1
                    else:
                        errors[f"HTTP {r.status_code}"] += 1
                if r.status_code == 503:
                    time.sleep(min(float(r.headers.get("retry-after", 1)), 30))

    threads = [threading.Thread(target=client, args=(i,), daemon=True)
               for i in range(args.clients)]
    for t in threads:
        t.start()
    print(f"{args.clients} clients against {url} for {args.seconds:.0f} s (at most "
          f"{args.max_requests} requests); server pid {pid}, RSS {rss_mib(pid) or 0:.0f} MiB",
          flush=True)
    memory = []
    while any(t.is_alive() for t in threads):
        time.sleep(min(args.every, 1.0))
        now = time.monotonic() - t0
        if not memory or now - memory[-1][0] >= args.every:
            m = rss_mib(pid)
            memory.append((now, m))
            with lock:
                print(f"{now:6.0f} s  answered {counts['answered']:4d}  told to retry "
                      f"{counts['told to retry']:4d}  errors {sum(errors.values()):3d}  RSS "
                      f"{m or 0:.0f} MiB", flush=True)
    total = time.monotonic() - t0
    print(f"done in {total:.0f} s: {counts['answered']} answered, {counts['told to retry']} told "
          f"to retry, {sum(errors.values())} errors {dict(errors) or ''}")
    print(f"latency of answers: p50 {percentile(latencies, 50):.1f} s, p95 "
          f"{percentile(latencies, 95):.1f} s, max {max(latencies, default=float('nan')):.1f} s")
    print(f"places given on arrival: {dict(sorted(places.items()))}")
    mem = [m for _, m in memory if m]
    if mem:
        print(f"server RSS: start {mem[0]:.0f} MiB, peak {max(mem):.0f} MiB, end {mem[-1]:.0f} MiB")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
