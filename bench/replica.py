"""One stateless `rag serve` replica whose generator is remote: how many questions a second it
serves when Milvus holds the index and an OpenAI-compatible server does the generating.

    .venv/bin/python bench/replica.py [--articles seeds] [--target api|chat|both] [--clients 16]
                                      [--seconds 120] [--first-token-ms 0] [--token-ms 0]

What runs, all real and on this machine: a Milvus Lite server (`python -m milvus_lite server`),
`rag index ARTICLES` into it with the default embedder, and one `rag serve` with an empty folder
of its own, `vectors` set to the Milvus URI and `runtime = "openai"`. The generator is a stand-in
OpenAI-compatible server in this process: it streams the first sentence of passage [1] back,
cited, and answers the judge "yes" through `top_logprobs`, after `--first-token-ms` and then
`--token-ms` per word. With both at 0 (the default) it costs nothing, so the figure is the
replica's own ceiling: the queue, embedding each question, Milvus's searches, the prompt, the
checks, two generator round trips over HTTP and the JSON. With delays it is what the replica
keeps up with behind a slower server. The load is `bench/load.py` against the replica.

Prints the machine, the settings, load.py's report (answered, p50/p95, memory) and the
generator's request count. Nothing is asserted: figures to read (docs/scale.md). Left out: a
real GPU server's batching (the stand-in answers every request at once) and a Milvus server's
own search speed (Milvus Lite searches by brute force; keep the collection small).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rag.models.cpu import model_name  # noqa: E402
from ui.child import start, start_milvus_lite  # noqa: E402


def first_sentence_of_passage_one(prompt: str) -> str | None:
    """The first sentence of the passage marked [1] in a user turn, or None without one."""
    m = re.search(r"^\[1\][^\n]*\n(.+?)(?:\n\s*\n|\n\[2\]|\Z)", prompt, re.M | re.S)
    if not m:
        return None
    body = " ".join(m.group(1).split())
    return re.split(r"(?<=[.!?])\s", body, maxsplit=1)[0]


class StandIn(BaseHTTPRequestHandler):
    """POST /v1/chat/completions as an OpenAI-compatible server answers it, streamed or not."""

    first_token_s = 0.0
    token_s = 0.0
    requests = 0
    _count = threading.Lock()

    def log_message(self, *args):  # quiet
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        with StandIn._count:
            StandIn.requests += 1
        user = body["messages"][-1]["content"]
        sentence = first_sentence_of_passage_one(user)
        # with no passages (a follow-up being rewritten) the question itself comes back
        reply = f"{sentence} [1]" if sentence else user.strip().splitlines()[-1]
        time.sleep(self.first_token_s)
        if body.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for i, word in enumerate(reply.split(" ")):
                if i:
                    time.sleep(self.token_s)
                piece = {"choices": [{"delta": {"content": (" " if i else "") + word}}]}
                self.wfile.write(f"data: {json.dumps(piece)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            return
        top = [{"token": "yes", "logprob": -0.05}, {"token": "no", "logprob": -3.0}]
        out = json.dumps({"choices": [{"message": {"content": "yes"}, "logprobs": {
            "content": [{"token": "yes", "logprob": -0.05, "top_logprobs": top}]}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", default=str(ROOT / "seeds"), help="files or a folder to index")
    ap.add_argument("--target", choices=("chat", "api", "both"), default="api")
    ap.add_argument("--clients", type=int, default=16, help="per target")
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--first-token-ms", type=float, default=0.0)
    ap.add_argument("--token-ms", type=float, default=0.0)
    a = ap.parse_args()

    StandIn.first_token_s, StandIn.token_s = a.first_token_ms / 1000, a.token_ms / 1000
    gen = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=gen.serve_forever, daemon=True).start()
    gen_url = f"http://127.0.0.1:{gen.server_address[1]}/v1"

    with tempfile.TemporaryDirectory(prefix="rag-replica-") as tmp:
        tmp = Path(tmp)
        (tmp / "milvus").mkdir()
        uri, milvus = start_milvus_lite(tmp / "milvus" / "data")
        env = dict(os.environ, PYTHONPATH=str(ROOT), RAG_VECTORS=uri)
        server = None
        try:
            t = time.monotonic()
            subprocess.run([sys.executable, "-m", "rag", "index", a.articles, "--index",
                            str(tmp / "writer")], env=env, cwd=ROOT, check=True)
            print(f"indexed {a.articles} into Milvus Lite in {time.monotonic() - t:.1f} s")
            server = start(tmp / "replica", tmp / "replica.log", env={
                "RAG_VECTORS": uri, "RAG_RUNTIME": "openai", "RAG_GENERATOR": "stand-in",
                "RAG_GENERATOR_URL": gen_url, "RAG_MAX_QUEUE": str(max(8, a.clients))},
                timeout=180)
            import httpx

            one = httpx.post(server.url + "/api/ask", json={"question": _first_question()},
                             timeout=60).json()
            print(f"one answer, to show what is served: refused={one['refused']}, "
                  f"answer={one['answer'][:120]!r}")
            print(f"machine: {platform.machine()}, {model_name()}, {os.cpu_count()} cores; "
                  f"replica {server.url}, Milvus {uri}, generator stand-in {gen_url} "
                  f"(first token {a.first_token_ms:g} ms, {a.token_ms:g} ms a word); "
                  f"{a.clients} clients per target for {a.seconds:g} s", flush=True)
            load = subprocess.run([sys.executable, str(ROOT / "bench" / "load.py"), server.url,
                                   "--target", a.target, "--clients", str(a.clients),
                                   "--seconds", str(a.seconds), "--max-requests", "1000000",
                                   "--pid", str(server.proc.pid)], cwd=ROOT)
            print(f"generator requests: {StandIn.requests} "
                  f"({StandIn.requests / a.seconds:.1f} a second over the run)")
            if load.returncode:
                print("load.py reported errors; the replica's log ends:\n" + server.log_tail())
                sys.exit(load.returncode)
        finally:
            if server is not None:
                server.stop()
            milvus.terminate()
            milvus.wait(10)
            gen.shutdown()


def _first_question() -> str:
    line = (ROOT / "seeds" / "questions.jsonl").read_text().splitlines()[0]
    return json.loads(line)["question"]


if __name__ == "__main__":
    main()
