"""A real `rag serve` in a subprocess on a free loopback port, and a headless Chromium, for the UI
and API tests. Fast tests serve the fake models (RAG_PLUGINS=tests.fakes); slow ones the real.

Left out: fixtures themselves (each test module scopes its own server, since some tests change
the index they serve).
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

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-default-apps"]


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


def start_server(index: str | Path, log: Path, generator: str = "fake-extractive",
                 sources: list[str] | None = None, fake: bool = True,
                 timeout: float = 90, env: dict | None = None, args: list[str] = (),
                 headers: dict | None = None, launcher: list[str] | None = None) -> LiveServer:
    """Run `rag serve` and wait until /api/health answers; fails with the server's log if not.
    `env` and `args` are added to the server's; `headers` go with the health check (a token);
    `launcher` runs the module instead of `python -m` (tests/net_audit.py, under strace)."""
    port = free_port()
    extra = env or {}
    env = dict(os.environ, PYTHONPATH=str(ROOT), GRADIO_ANALYTICS_ENABLED="False",
               HF_HUB_OFFLINE="1", RAG_GENERATOR=generator, PYTHONUNBUFFERED="1")
    if fake:
        env.update(RAG_PLUGINS="tests.fakes", RAG_EMBEDDER="fake-hash", RAG_CHUNK_TOKENS="60")
    cmd = [*(launcher or [sys.executable, "-m"]), "rag", "serve", "--index", str(index),
           "--port", str(port)]
    if sources:
        cmd += ["--sources", *sources]
    cmd += list(args)
    env.update(extra)
    out = open(log, "w")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
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


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def seeded_server(tmp_path_factory, name: str, generator: str, **kwargs):
    """A server over a fresh fake-model index of seeds/, stopped when the caller's scope ends;
    `kwargs` go to `start_server`."""
    from rag import registry
    from rag.index.chunking import ChunkParams
    from rag.index.indexing import sync
    from tests.conftest import SEEDS

    root = tmp_path_factory.mktemp(name)
    sync([SEEDS], root / "index", registry.embedder("fake-hash"), ChunkParams(60, 1))
    srv = start_server(root / "index", root / "serve.log", generator=generator, **kwargs)
    try:
        yield srv
    finally:
        srv.stop()
