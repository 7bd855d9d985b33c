"""Embedding through an OpenAI-compatible endpoint: a real `rag serve` (fake models) answers
`POST /v1/embeddings`, `rag index` embeds through it, and an endpoint whose vectors changed is
refused. Everything goes over real HTTP; the flaky server is a real one too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import numpy as np
import pytest

from rag import registry
from rag.config import Config
from rag.errors import EmbedderChanged, EmbedderUnavailable
from rag.index.chunking import ChunkParams
from rag.index.indexing import sync
from rag.index.remote_embedder import RemoteEmbedder
from rag.index.store import Index
from tests.conftest import ROOT, SEEDS
from tests.fakes import FakeEmbedder
from tests.live_server import seeded_server

TEXTS = ["Dell builds AI factories with Nvidia.", "A second, unrelated sentence about rivers."]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from seeded_server(tmp_path_factory, "embed", "fake-extractive")


@pytest.fixture(scope="module")
def drifted(tmp_path_factory):
    """A server whose "fake-hash" returns other vectors (tests/fake_drift.py)."""
    yield from seeded_server(tmp_path_factory, "drift", "fake-extractive",
                             env={"RAG_PLUGINS": "tests.fakes,tests.fake_drift"})


@pytest.fixture(autouse=True)
def no_cached_remote_embedders():
    yield
    for key in [k for k in registry._LOADED if "remote" in k]:
        del registry._LOADED[key]


def test_the_endpoint_answers_like_openai(server):
    from openai import OpenAI

    client = OpenAI(base_url=server.url + "/v1", api_key="unused")
    got = client.embeddings.create(model="fake-hash", input=TEXTS)  # the client asks base64
    want = FakeEmbedder().embed(TEXTS)
    assert [d.index for d in got.data] == [0, 1] and got.model == "fake-hash"
    assert np.allclose([d.embedding for d in got.data], want, atol=1e-6)
    plain = httpx.post(server.url + "/v1/embeddings", json={"input": TEXTS[0]}).json()
    assert np.allclose(plain["data"][0]["embedding"], want[0], atol=1e-6)
    assert plain["usage"]["prompt_tokens"] > 0


@pytest.mark.parametrize("body, status, says", [
    ({"input": [1, 2, 3]}, 400, "list of strings"),
    ({"input": []}, 400, "non-empty"),
    ({"input": "x", "model": "text-embedding-3-large"}, 404, "fake-hash"),
    ({"input": "x", "encoding_format": "int8"}, 400, "encoding_format"),
    ({"input": ["x"] * 600}, 400, "limit"),
])
def test_bad_embedding_requests_say_what_to_fix(server, body, status, says):
    r = httpx.post(server.url + "/v1/embeddings", json=body)
    assert r.status_code == status and says in r.json()["error"]["message"]


def test_rag_index_embeds_through_a_rag_serve(server, tmp_path, monkeypatch):
    env = dict(os.environ, PYTHONPATH=str(ROOT), RAG_PLUGINS="tests.fakes",
               RAG_EMBEDDER="fake-hash", RAG_CHUNK_TOKENS="60", RAG_EMBED_URL=server.url + "/v1")
    run = subprocess.run([sys.executable, "-m", "rag", "index", str(SEEDS), "--index",
                          str(tmp_path / "remote"), "--json"], capture_output=True, text=True,
                         env=env, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["embedded"] > 1
    remote = Index.open(tmp_path / "remote")
    info = remote.embedder_info
    assert (info["name"], info["dim"], info["dtype"]) == ("fake-hash", 256, "remote")
    assert info["url"] == server.url + "/v1" and len(info["fingerprint"]) == 3
    # The vectors are the ones embedding here gives (the chunks differ: without the model's
    # tokenizer on this machine, tokens are counted by an estimate that errs long).
    fids = sorted(remote.chunks)
    texts = [remote.chunks[f].text for f in fids]
    assert np.allclose(remote.vectors.vectors(fids), FakeEmbedder().embed(texts), atol=1e-5)
    # A server over it embeds its questions through the endpoint as well, and answers.
    from rag.pipeline import Pipeline

    monkeypatch.setenv("RAG_EMBED_URL", server.url + "/v1")
    pipe = Pipeline.open(Config(index=str(tmp_path / "remote"), generator="fake-extractive"))
    assert isinstance(pipe.embedder, RemoteEmbedder)
    answer = pipe.ask("Who confirmed the collaboration on Twitter?")
    assert not answer.refused and answer.citations


def test_an_endpoint_with_other_vectors_is_refused(server, drifted, tmp_path, monkeypatch):
    sync([SEEDS], tmp_path / "ix", RemoteEmbedder("fake-hash", server.url + "/v1"),
         ChunkParams(60, 1))
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "new.txt").write_text("A new article about glaciers and ice sheets.")
    swapped = RemoteEmbedder("fake-hash", drifted.url + "/v1")
    with pytest.raises(EmbedderChanged, match="other vectors"):
        sync([tmp_path / "more"], tmp_path / "ix", swapped, ChunkParams(60, 1))
    assert "new.txt" not in Index.open(tmp_path / "ix").articles  # nothing was added
    from rag.pipeline import Pipeline

    monkeypatch.setenv("RAG_EMBED_URL", drifted.url + "/v1")
    with pytest.raises(EmbedderChanged, match="rebuild"):
        Pipeline.open(Config(index=str(tmp_path / "ix"), generator="fake-extractive"))


class Flaky(BaseHTTPRequestHandler):
    """Fails the first `failures` requests with 503 (Retry-After: 0), then embeds like the fake;
    a request whose input is "bad" gets a 400."""

    failures = 0
    seen = 0

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen += 1
        if body["input"] == ["bad"]:
            return self._send(400, {"error": {"message": "no such input"}})
        if type(self).seen <= type(self).failures:
            return self._send(503, {"error": {"message": "warming up"}}, {"Retry-After": "0"})
        vecs = FakeEmbedder().embed(body["input"]) * 3.0  # not unit length: the client fixes it
        self._send(200, {"data": [{"index": i, "embedding": v.tolist()}
                                  for i, v in reversed(list(enumerate(vecs)))]})

    def _send(self, status, obj, headers=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        for k, v in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def flaky():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


def test_failures_are_retried_with_backoff_and_refusals_are_not(flaky):
    Flaky.failures, Flaky.seen = 2, 0
    emb = RemoteEmbedder("fake-hash", flaky, backoff=0.01, batch=3)
    assert Flaky.seen == 3  # two 503s, then the fingerprint texts
    texts = [f"text number {i} about {w}" for i, w in enumerate(["ice", "fire", "rain"] * 3)]
    vecs = emb.embed(texts)
    assert np.allclose(vecs, FakeEmbedder().embed(texts), atol=1e-6)  # in order, unit length
    assert Flaky.seen == 3 + 3  # nine texts in batches of three
    with pytest.raises(EmbedderUnavailable, match="refused.*no such input"):
        emb.embed(["bad"])
    assert Flaky.seen == 7  # a 400 is not retried
    Flaky.failures, Flaky.seen = 99, 0
    with pytest.raises(EmbedderUnavailable, match="failed 3 times.*503"):
        RemoteEmbedder("fake-hash", flaky, backoff=0.01, retries=2)
