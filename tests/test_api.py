"""The HTTP API of a real `rag serve` (fake models), with httpx and the OpenAI client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import ROOT
from tests.live_server import seeded_server

QUESTION = "Who confirmed the collaboration on Twitter?"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from seeded_server(tmp_path_factory, "api", "fake-extractive")


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


def test_health(http):
    h = http.get("/api/health").json()
    assert h == {"status": "ok", "articles": 1, "chunks": h["chunks"], "embedder": "fake-hash",
                 "generator": "fake-extractive", "queue": {"inside": 0, "limit": 8}}
    assert h["chunks"] > 1


def test_ask_is_the_same_json_as_the_cli(http, server):
    got = http.post("/api/ask", json={"question": QUESTION, "k": 3}).json()
    env = dict(os.environ, PYTHONPATH=str(ROOT), RAG_PLUGINS="tests.fakes",
               RAG_GENERATOR="fake-extractive")
    cli = subprocess.run([sys.executable, "-m", "rag", "ask", QUESTION, "--index", server.index,
                          "-k", "3", "--json"], capture_output=True, text=True, env=env, cwd=ROOT,
                         timeout=120)
    want = json.loads(cli.stdout)
    assert set(got) == set(want)
    for d in (got, want):
        d.pop("timings_ms")
    assert got == want and got["citations"] and not got["refused"]


def test_ask_with_history_searches_a_rewritten_question(http):
    history = [{"role": "user", "content": "Who is the CEO of Dell Technologies?"},
               {"role": "assistant", "content": "Michael Dell is the CEO of Dell [1]."}]
    got = http.post("/api/ask", json={"question": "What did it build with Nvidia?",
                                      "history": history}).json()
    assert got["search_query"] != "What did it build with Nvidia?"
    assert "rewrite" in got["timings_ms"]


BAD_ASKS = [
    (b"", 400, "the body is empty"), (b"{nope", 400, "not valid JSON"),
    (b"[1, 2]", 400, "JSON object"), (b"{}", 400, "missing \"question\""),
    (json.dumps({"question": ""}).encode(), 400, "empty"),
    (json.dumps({"question": "   "}).encode(), 400, "empty"),
    (json.dumps({"question": 42}).encode(), 400, "must be text"),
    (json.dumps({"question": ["a"]}).encode(), 400, "must be text"),
    (json.dumps({"question": "x" * 5000}).encode(), 400, "limit is 2000"),
    (json.dumps({"question": "ok?", "k": 0}).encode(), 400, "k must be"),
    (json.dumps({"question": "ok?", "k": "3"}).encode(), 400, "k must be"),
    (json.dumps({"question": "ok?", "k": True}).encode(), 400, "k must be"),
    (json.dumps({"question": "ok?", "k": 10**9}).encode(), 400, "k must be"),
    (json.dumps({"question": "ok?", "history": "hi"}).encode(), 400, "history must be a list"),
    (json.dumps({"question": "ok?", "history": [{"role": "x"}]}).encode(), 400, "history[0]"),
    (json.dumps({"question": "ok?", "history": [{"role": "user", "content": 5}]}).encode(), 400,
     "must be text"),
    (json.dumps({"question": "ok?", "history": [{"role": "user", "content": "hi"}] * 51}).encode(),
     400, "limit is 50"),
    (json.dumps({"question": "x" * 300_000}).encode(), 413, "limit"),
    # Each of these was a 500 once: deep nesting, a nested question, a lone surrogate.
    (b"[" * 100_000 + b"]" * 100_000, 400, "nested"),
    (b'{"question": ' + b"[" * 5000 + b"]" * 5000 + b"}", 400, "nested"),
    (b'{"question": "ok?", "k": ' + b"[" * 30 + b"]" * 30 + b"}", 400, "nested"),
    (json.dumps({"question": {"text": {"deeper": ["Who?"]}}}).encode(), 400, "must be text"),
    (b'{"question": "Who confirmed \\ud800 it?"}', 400, "lone surrogate"),
    (b'{"question": "ok?", "history": [{"role": "user", "content": "\\udfff"}]}', 400,
     "lone surrogate"),
    (json.dumps({"question": "ok?", "k": list(range(9000))}).encode(), 400, "k must be"),
]


@pytest.mark.parametrize("body,status,message", BAD_ASKS)
def test_bad_asks_get_a_clear_4xx(http, body, status, message):
    r = http.post("/api/ask", content=body, headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    assert message in r.json()["detail"] and len(r.json()["detail"]) < 300


def test_k_past_what_fits_the_context_keeps_the_best_passages_that_fit(http):
    got = http.post("/api/ask", json={"question": QUESTION, "k": 50})
    assert got.status_code == 200 and got.json()["citations"]
    assert len(got.json()["passages"]) <= 50


BAD_CHATS = [
    ({}, "messages must be"), ({"messages": []}, "messages must be"),
    ({"messages": "hi"}, "messages must be"),
    ({"messages": [{"role": "assistant", "content": "hi"}]}, "last message"),
    ({"messages": [{"role": "user", "content": 7}]}, "must be text"),
    ({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}, "only text"),
    ({"messages": [{"role": "user", "content": ""}]}, "empty"),
    ({"messages": [{"role": "user", "content": ""}], "stream": True}, "empty"),
    ({"messages": [{"role": "user", "content": "ok?"}], "k": -1}, "k must be"),
]


@pytest.mark.parametrize("body,message", BAD_CHATS)
def test_bad_chat_completions_get_a_clear_400(http, body, message):
    r = http.post("/v1/chat/completions", json=body)
    assert r.status_code == 400, r.text
    assert message in r.json()["error"]["message"]


def test_openai_client_non_streaming(server):
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0)
    r = client.chat.completions.create(model="rag", messages=[
        {"role": "system", "content": "ignored"}, {"role": "user", "content": QUESTION}])
    assert "Dell" in r.choices[0].message.content and r.choices[0].finish_reason == "stop"
    extra = r.model_extra
    assert extra["citations"][0]["support"] and extra["refused"] is False


def test_openai_client_streaming(server):
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0)
    pieces, last = [], None
    for chunk in client.chat.completions.create(
            model="rag", stream=True, messages=[{"role": "user", "content": QUESTION}]):
        pieces.append(chunk.choices[0].delta.content or "")
        last = chunk
    assert len([p for p in pieces if p]) > 3  # it came in pieces
    assert last.choices[0].finish_reason == "stop"
    assert last.model_extra["citations"] and "Dell" in last.model_extra["answer"]
    assert "".join(pieces).strip().startswith(last.model_extra["answer"][:20])


def test_openai_client_gets_bad_requests_as_errors(server):
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0)
    with pytest.raises(openai.BadRequestError, match="empty"):
        client.chat.completions.create(model="rag", messages=[{"role": "user", "content": " "}])


def test_raw_sse_stream_ends_with_done(http):
    with http.stream("POST", "/v1/chat/completions", json={
            "stream": True, "messages": [{"role": "user", "content": QUESTION}]}) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        lines = [ln for ln in r.iter_lines() if ln]
    assert lines[-1] == "data: [DONE]"
    assert lines[0].startswith(": queue position")  # a comment, which SSE clients skip
    assert all(ln.startswith("data: ") for ln in lines[1:])


def test_concurrent_conversations_stay_separate(server):
    """8 clients at once, each with its own follow-up: all answered, none sees another's."""
    topics = ["Dell", "Nvidia", "Grok", "Musk", "Tesla", "SpaceX", "Twitter", "Colossus"]

    def converse(i: int) -> tuple[int, dict]:
        history = [{"role": "user", "content": f"Tell me about {topics[i]}."},
                   {"role": "assistant", "content": f"{topics[i]} is mentioned [1]."}]
        with httpx.Client(base_url=server.url, timeout=60) as c:
            r = c.post("/api/ask", json={"question": "What did it announce?", "history": history})
            return r.status_code, r.json()

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(converse, range(8)))
    assert [s for s, _ in results] == [200] * 8
    for i, (_, body) in enumerate(results):
        assert topics[i] in body["search_query"], (topics[i], body["search_query"])
