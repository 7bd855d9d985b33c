"""The whole index in Milvus, shared by stateless servers: a real Milvus Lite gRPC server
(`python -m milvus_lite server`) started here, `rag index` and `rag remove` from the command
line, and two `rag serve` processes with empty folders of their own. Nothing is mocked."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from tests.conftest import ROOT, SEEDS
from tests.live_server import start_server
from ui.child import start_milvus_lite

QUESTION = "Who confirmed the collaboration on Twitter?"
NEW = ("The Harbour Lighthouse was restored in 2019. The restoration of the Harbour Lighthouse "
       "was led by the engineer Margit Olsen.")
NEW_QUESTION = "Who led the restoration of the Harbour Lighthouse?"


@pytest.fixture(scope="module")
def milvus(tmp_path_factory):
    uri, proc = start_milvus_lite(tmp_path_factory.mktemp("milvus") / "data")
    yield uri
    proc.terminate()
    proc.wait(10)


def rag(*args, uri, index):
    env = dict(os.environ, PYTHONPATH=str(ROOT), RAG_PLUGINS="tests.fakes",
               RAG_EMBEDDER="fake-hash", RAG_CHUNK_TOKENS="60", RAG_VECTORS=uri)
    run = subprocess.run([sys.executable, "-m", "rag", *args, "--index", str(index)],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout


def ask(server, question):
    d = httpx.post(server.url + "/api/ask", json={"question": question}, timeout=60).json()
    d.pop("timings_ms")
    return d


def cited(answer) -> set[str]:
    return {c["article_id"] for c in answer["citations"]}


def test_two_servers_share_one_milvus_index(milvus, tmp_path):
    rag("index", str(SEEDS), uri=milvus, index=tmp_path / "writer")
    assert sorted(p.name for p in (tmp_path / "writer").iterdir()) == [".lock", "MILVUS.json"]
    servers = [start_server(tmp_path / f"serve{i}", tmp_path / f"serve{i}.log",
                            env={"RAG_VECTORS": milvus}) for i in (1, 2)]
    try:
        a, b = (ask(s, QUESTION) for s in servers)
        assert a == b and a["citations"] and not a["refused"]
        # An article added from the command line is found through both, without a restart ...
        (tmp_path / "more").mkdir()
        (tmp_path / "more" / "lighthouse.txt").write_text(NEW)
        rag("index", str(tmp_path / "more"), uri=milvus, index=tmp_path / "writer")
        a, b = (ask(s, NEW_QUESTION) for s in servers)
        assert a == b and cited(a) == {"lighthouse.txt"} and "Olsen" in a["answer"]
        health = [httpx.get(s.url + "/api/health").json() for s in servers]
        assert health[0]["articles"] == health[1]["articles"] == 2
        # ... and once removed, by neither.
        rag("remove", "lighthouse.txt", uri=milvus, index=tmp_path / "writer")
        a, b = (ask(s, NEW_QUESTION) for s in servers)
        assert a == b and "lighthouse.txt" not in cited(a)
    finally:
        for s in servers:
            s.stop()
