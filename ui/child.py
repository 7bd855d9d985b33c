"""A `rag serve` in a child process on a free loopback port, returned once it answers, and a
Milvus Lite server the same way (`start_milvus_lite`): what the tests and the benchmarks serve
from.

`start` runs `python -m ui serve` (or the module under another `launcher`, such as an audit
wrapper) with this checkout first on the child's import path, so the child serves this very code,
and waits until `/api/health` answers; a child that exits or stays silent fails with its log.
Left out: choosing the models (the caller's environment, `env`, does that).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent  # where this `ui` and its `rag` are


@dataclass
class LiveServer:
    url: str
    index: str
    proc: subprocess.Popen
    log: Path

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def log_tail(self, n: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(index: str | Path, log: Path, sources: list[str] | None = None, timeout: float = 90,
          env: dict | None = None, args: list[str] = (), headers: dict | None = None,
          launcher: list[str] | None = None) -> LiveServer:
    """Serve `index` (syncing `sources` first) and wait until it answers. `env` and `args` are
    added to the child's; `headers` go with the health check (a token); `launcher` runs the
    module instead of `python -m`."""
    port = free_port()
    child_env = dict(os.environ, PYTHONPATH=str(ROOT), GRADIO_ANALYTICS_ENABLED="False",
                     HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
    child_env.update(env or {})
    cmd = [*(launcher or [sys.executable, "-m"]), "ui", "serve", "--index", str(index),
           "--port", str(port)]
    if sources:
        cmd += ["--sources", *sources]
    cmd += list(args)
    out = open(log, "w")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=child_env, stdout=out, stderr=subprocess.STDOUT)
    server = LiveServer(f"http://127.0.0.1:{port}", str(index), proc, Path(log))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"rag serve exited with {proc.returncode}:\n{server.log_tail()}")
        try:
            if httpx.get(server.url + "/api/health", timeout=2,
                         headers=headers).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"rag serve did not answer within {timeout}s:\n{server.log_tail()}")


def start_milvus_lite(data: Path, timeout: float = 60) -> tuple[str, subprocess.Popen]:
    """`python -m milvus_lite server` over `data` on a free loopback port, logging beside it
    (`milvus.log`); its URI and process once it lists collections. Fails with the log's tail."""
    from pymilvus import MilvusClient

    port = free_port()
    log = Path(data).parent / "milvus.log"
    proc = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir",
                             str(data), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=open(log, "w"), stderr=subprocess.STDOUT)
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            MilvusClient(uri, timeout=2).list_collections()
            return uri, proc
        except Exception:  # noqa: BLE001 - not listening yet
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("Milvus Lite did not start:\n" + log.read_text()[-2000:])
            time.sleep(0.3)
