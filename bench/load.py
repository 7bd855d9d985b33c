"""Load on a running `rag serve`: N clients asking through the chat (Gradio's own queue protocol),
the API (POST /api/ask), or both at once, for a bounded time; each one turned away is told to
retry and does.

    .venv/bin/python bench/load.py http://127.0.0.1:7860 [--target chat|api|both] [--clients 16]
                                   [--seconds 300] [--max-requests 2000] [--timeout 600]
                                   [--turns 3] [--chat-retry 5] [--pid PID] [--token TOKEN]

A chat client does what the page does: it joins the queue (POST /gradio_api/queue/join, the
`respond` event, with a session of its own) and reads the session's server-sent events
(GET /gradio_api/queue/data) until its answer is complete; a 503 at the join is the chat's "too
busy, try again", after which it waits `--chat-retry` seconds. It asks `--turns` questions in one
conversation (later ones are follow-ups), then starts a new one. An API client posts to
/api/ask and, on a 503, waits the Retry-After it was given. With `both`, `--clients` of each run
at the same time, sharing the one generator.

Only loopback addresses are accepted: this is a test of one's own server, not a tool against
others'. Every `--every` seconds it prints the time, and per target the answers, turn-aways and
errors, with the server's resident memory (the process listening on the port, or `--pid`); at
the end, per target, the latency of the answered requests (p50, p95, max), the places the line
gave, the requests told neither a place nor to retry, the errors by kind, and hung connections
(requests that hit `--timeout`). Exit 1 on any error, hang, or request told nothing. Questions
come from seeds/questions.jsonl in turn. Left out: starting or stopping the server, and the
page's own work (rendering, its first unqueued step that shows the question).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ("chat", "api")


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


@dataclass
class Outcome:
    """One request: "answered", "retry" (told the line is full), "hung", or "error"."""
    kind: str
    seconds: float = 0.0
    # The first place the line gave it: the API's X-Queue-Position (1: answered now), or the
    # chat's Gradio rank + 1 among those waiting (what the page shows as "queue: N/size").
    place: int | None = None
    wait: float = 0.0  # seconds to sleep before the next request (a retry's)
    error: str = ""


@dataclass
class Tally:
    counts: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    places: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    untold: int = 0  # answered or failed without being told a place first

    def add(self, o: Outcome) -> None:
        self.counts[o.kind] += 1
        if o.kind == "answered":
            self.latencies.append(o.seconds)
            self.places[o.place if o.place is not None else "?"] += 1
            self.untold += o.place is None
        elif o.kind in ("error", "hung"):
            self.errors[o.error or o.kind] += 1

    def line(self) -> str:
        return (f"answered {self.counts['answered']:4d}  told to retry {self.counts['retry']:4d}  "
                f"errors {self.counts['error']:3d}  hung {self.counts['hung']:2d}")


def ask_api(http: httpx.Client, question: str, timeout: float) -> Outcome:
    t = time.monotonic()
    try:
        r = http.post("/api/ask", json={"question": question}, timeout=timeout)
    except httpx.TimeoutException:
        return Outcome("hung", time.monotonic() - t, error="hung (timeout)")
    except httpx.HTTPError as e:
        return Outcome("error", error=type(e).__name__)
    dt = time.monotonic() - t
    if r.status_code == 200:
        place = r.headers.get("x-queue-position")
        return Outcome("answered", dt, int(place) if place and place.isdigit() else None)
    if r.status_code == 503 and r.headers.get("retry-after"):
        return Outcome("retry", dt, wait=min(float(r.headers["retry-after"]), 30))
    return Outcome("error", dt, error=f"HTTP {r.status_code}")


def respond_index(http: httpx.Client) -> int:
    """The chat's `respond` event, by its place in the page's config."""
    config = http.get("/config").json()
    for dep in config.get("dependencies", []):
        if dep.get("api_name") == "respond":
            return dep["id"]
    raise SystemExit("bench/load.py: the server's chat has no `respond` event")


def ask_chat(http: httpx.Client, question: str, fn_index: int, session: str, timeout: float,
             retry: float) -> Outcome:
    """One question through Gradio's queue, as the page asks it."""
    t = time.monotonic()
    try:
        r = http.post("/gradio_api/queue/join", json={
            "data": [question, None], "fn_index": fn_index, "session_hash": session,
            "event_data": None, "trigger_id": None}, timeout=timeout)
    except httpx.TimeoutException:
        return Outcome("hung", time.monotonic() - t, error="hung at the join (timeout)")
    except httpx.HTTPError as e:
        return Outcome("error", error=f"join: {type(e).__name__}")
    if r.status_code == 503:  # Gradio's queue is full: the page says "busy, try again"
        return Outcome("retry", time.monotonic() - t, wait=retry)
    if r.status_code != 200:
        return Outcome("error", error=f"join: HTTP {r.status_code}")
    event_id = r.json().get("event_id")
    place = None
    try:
        # Heartbeats come every 15 s, so a read that waits much longer means a dead connection;
        # the whole request is bounded by `timeout` below.
        with http.stream("GET", "/gradio_api/queue/data", params={"session_hash": session},
                         timeout=httpx.Timeout(60.0, connect=10.0)) as stream:
            for line in stream.iter_lines():
                if time.monotonic() - t > timeout:
                    return Outcome("hung", time.monotonic() - t, place, error="hung (timeout)")
                if not line.startswith("data:"):
                    continue
                msg = json.loads(line[5:])
                if msg.get("event_id") not in (None, event_id):
                    continue
                kind = msg.get("msg")
                if kind == "estimation" and place is None and msg.get("rank") is not None:
                    place = msg["rank"] + 1  # what the page shows: "queue: N/size"
                elif kind == "process_starts" and place is None:
                    place = 1
                elif kind == "unexpected_error":
                    return Outcome("error", error=f"unexpected_error: {msg.get('message')}")
                elif kind == "process_completed":
                    dt = time.monotonic() - t
                    out = msg.get("output") or {}
                    if not msg.get("success") or "error" in out and out["error"]:
                        return Outcome("error", dt, place, error=f"failed: {out.get('error')}")
                    if not _answer_text(out):
                        return Outcome("error", dt, place, error="completed without an answer")
                    return Outcome("answered", dt, place)
                elif kind == "close_stream":
                    break
    except httpx.TimeoutException:
        return Outcome("hung", time.monotonic() - t, place, error="hung (no event for 60 s)")
    except httpx.HTTPError as e:
        return Outcome("error", error=f"events: {type(e).__name__}")
    return Outcome("error", time.monotonic() - t, place, error="stream closed before the answer")


def _answer_text(output: dict) -> str:
    """The last chat message's text in a completed `respond` output."""
    data = output.get("data") or []
    chat = data[0] if data and isinstance(data[0], list) else []
    content = chat[-1].get("content") if chat and isinstance(chat[-1], dict) else ""
    if isinstance(content, list):
        content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content if isinstance(content, str) and content.strip() not in ("", "…") else ""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url")
    ap.add_argument("--target", choices=("chat", "api", "both"), default="api")
    ap.add_argument("--clients", type=int, default=16, help="per target")
    ap.add_argument("--seconds", type=float, default=300, help="stop starting requests after this")
    ap.add_argument("--max-requests", type=int, default=2000, help="stop after this many in all")
    ap.add_argument("--timeout", type=float, default=600, help="a request past this is 'hung'")
    ap.add_argument("--turns", type=int, default=3, help="chat questions per conversation")
    ap.add_argument("--chat-retry", type=float, default=5,
                    help="seconds a chat client waits after 'busy, try again'")
    ap.add_argument("--every", type=float, default=15, help="seconds between progress lines")
    ap.add_argument("--pid", type=int, help="the server's process (default: the port's listener)")
    ap.add_argument("--token", help="a reader token, if the server asks for one")
    args = ap.parse_args(argv)
    if not loopback(args.url):
        print("bench/load.py: only loopback servers (127.0.0.1, ::1, localhost)", file=sys.stderr)
        return 2
    url = args.url.rstrip("/")
    targets = TARGETS if args.target == "both" else (args.target,)
    pid = args.pid or server_pid(urlparse(url).port or 80)
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    fn_index = None
    if "chat" in targets:
        try:
            with httpx.Client(base_url=url, timeout=30, headers=headers) as http:
                fn_index = respond_index(http)
        except httpx.HTTPError as e:
            print(f"bench/load.py: cannot read the chat's config at {url}/config: {e}",
                  file=sys.stderr)
            return 2
    qs = questions()
    lock = threading.Lock()
    tallies = {t: Tally() for t in targets}
    started = [0]
    t0 = time.monotonic()

    def next_request() -> int | None:
        with lock:
            if time.monotonic() - t0 >= args.seconds or started[0] >= args.max_requests:
                return None
            started[0] += 1
            return started[0]

    def client(target: str, i: int) -> None:
        run = uuid.uuid4().hex[:8]
        asked = 0
        with httpx.Client(base_url=url, timeout=args.timeout, headers=headers) as http:
            while (n := next_request()) is not None:
                q = qs[(n + i) % len(qs)]
                if target == "api":
                    o = ask_api(http, q, args.timeout)
                else:
                    session = f"load-{run}-{i}-{asked // max(1, args.turns)}"
                    o = ask_chat(http, q, fn_index, session, args.timeout, args.chat_retry)
                    asked += o.kind == "answered"
                with lock:
                    tallies[target].add(o)
                if o.wait:
                    time.sleep(o.wait)

    threads = [threading.Thread(target=client, args=(t, i), daemon=True)
               for t in targets for i in range(args.clients)]
    for t in threads:
        t.start()
    print(f"{args.clients} clients on {' and '.join(targets)} against {url} for "
          f"{args.seconds:.0f} s (at most {args.max_requests} requests); server pid {pid}, RSS "
          f"{rss_mib(pid) or 0:.0f} MiB", flush=True)
    memory = []
    while any(t.is_alive() for t in threads):
        time.sleep(min(args.every, 1.0))
        now = time.monotonic() - t0
        if not memory or now - memory[-1][0] >= args.every:
            m = rss_mib(pid)
            memory.append((now, m))
            with lock:
                parts = "  |  ".join(f"{t}: {tallies[t].line()}" for t in targets)
            print(f"{now:6.0f} s  {parts}  RSS {m or 0:.0f} MiB", flush=True)
    total = time.monotonic() - t0
    bad = 0
    print(f"done in {total:.0f} s")
    for t in targets:
        y = tallies[t]
        failures = y.counts["error"] + y.counts["hung"]
        bad += failures + y.untold
        print(f"{t}: {y.counts['answered']} answered, {y.counts['retry']} told to retry, "
              f"{y.counts['error']} errors, {y.counts['hung']} hung {dict(y.errors) or ''}")
        print(f"{t}: latency of answers: p50 {percentile(y.latencies, 50):.1f} s, p95 "
              f"{percentile(y.latencies, 95):.1f} s, max "
              f"{max(y.latencies, default=float('nan')):.1f} s")
        places = dict(sorted(y.places.items(), key=lambda kv: (isinstance(kv[0], str), kv[0])))
        print(f"{t}: places given on arrival: {places}; answered without a place: {y.untold}")
    mem = [m for _, m in memory if m]
    if mem:
        print(f"server RSS: start {mem[0]:.0f} MiB, peak {max(mem):.0f} MiB, end {mem[-1]:.0f} MiB")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
