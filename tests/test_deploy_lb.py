"""The shipped load balancer (deploy/nginx.conf) in front of two real `rag serve` replicas: a
real nginx, with only the replicas' addresses and its own files changed from the shipped file.

The chat must work through it (Gradio keeps a browser's queue session in the replica that took
its join, so round robin broke every chat answer), and the API must still be spread over both
replicas. Replicas use the fake models over one seeded index; sharing nothing but Milvus is
tests/test_milvus_servers.py's part. Skipped where nginx is not installed (`scripts/setup --test`
installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections import Counter

import httpx
import pytest

from tests.conftest import ROOT
from tests.live_server import start_server
from ui.child import free_port

NGINX = shutil.which("nginx", path=os.environ.get("PATH", "") + ":/usr/sbin")
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed")
gradio_client = pytest.importorskip("gradio_client")

QUESTION = "Who confirmed the collaboration on Twitter?"


def local_conf(shipped: str, replicas: list[str], port: int, root) -> str:
    """The shipped configuration with the compose service names replaced by the replicas'
    addresses, listening on `port`, its files under `root`, and each request's upstream logged."""
    conf = shipped.replace("rag1:7860", replicas[0]).replace("rag2:7860", replicas[1])
    assert conf.count("listen 8080;") == 1 and conf != shipped
    conf = conf.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    files = (f"    log_format upstream '$request_method $uri $upstream_addr';\n"
             f"    access_log {root}/access.log upstream;\n"
             f"    client_body_temp_path {root}/body;\n    proxy_temp_path {root}/proxy;\n")
    conf = conf.replace("http {\n", "http {\n" + files, 1)
    return f"pid {root}/nginx.pid;\nerror_log {root}/error.log;\n" + conf


@pytest.fixture(scope="module")
def balanced(tmp_path_factory):
    """(load balancer URL, replica addresses, access log)."""
    from rag import registry
    from rag.index.chunking import ChunkParams
    from rag.index.indexing import sync
    from tests.conftest import SEEDS

    root = tmp_path_factory.mktemp("lb")
    sync([SEEDS], root / "index", registry.embedder("fake-hash"), ChunkParams(60, 1))
    servers = [start_server(root / "index", root / f"serve{i}.log") for i in (1, 2)]
    port = free_port()
    addrs = [s.url.removeprefix("http://") for s in servers]
    (root / "nginx.conf").write_text(
        local_conf((ROOT / "deploy" / "nginx.conf").read_text(), addrs, port, root))
    nginx = subprocess.Popen([NGINX, "-c", str(root / "nginx.conf"), "-g", "daemon off;"],
                             stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(url + "/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if nginx.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"nginx did not start: {nginx.stderr.read() if nginx.stderr else ''}")
            time.sleep(0.2)
        yield url, addrs, root / "access.log"
    finally:
        nginx.terminate()
        nginx.wait(10)
        for s in servers:
            s.stop()


def upstreams(log, path_pattern: str) -> Counter:
    """How many logged requests whose path matches went to each replica."""
    seen = Counter()
    for line in log.read_text().splitlines():
        method, path, upstream = line.split(" ", 2)
        if re.search(path_pattern, path):
            seen[upstream] += 1
    return seen


def test_the_chat_answers_through_the_load_balancer(balanced):
    url, addrs, log = balanced
    for _ in range(4):  # each a new browser session: a join, then its event stream
        c = gradio_client.Client(url, verbose=False, download_files=False,
                                 analytics_enabled=False)
        out = c.predict(QUESTION, api_name="/respond")
        assert "Michael Dell" in str(out[0][-1]["content"])
    # one client address: its sessions were all kept by one replica
    chat = upstreams(log, r"^/gradio_api/queue/")
    assert sum(chat.values()) >= 8 and len(chat) == 1 and set(chat) <= set(addrs)


def test_the_api_is_spread_over_both_replicas(balanced):
    url, addrs, log = balanced
    for _ in range(6):
        r = httpx.post(url + "/api/ask", json={"question": QUESTION}, timeout=60)
        assert r.status_code == 200 and "Michael Dell" in r.json()["answer"]
    api = upstreams(log, r"^/api/ask$")
    assert set(api) == set(addrs) and min(api.values()) >= 2
