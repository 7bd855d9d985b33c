"""The OpenAI runtime (rag.answer.runtimes.openai_api) against real local servers.

Fast tests talk to a real `rag serve` (fake models), which speaks the same chat-completions API;
the slow test starts llama-cpp-python's own server on the packaged GGUF and answers the seed
question set's questions through it, end to end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import httpx
import pytest

from rag.answer.runtimes.openai_api import OpenAIGenerator
from rag.config import load_config
from rag.errors import ConfigError, ModelMissing
from tests.live_server import seeded_server
from ui.child import free_port

QUESTION = "Who confirmed the collaboration on Twitter?"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from seeded_server(tmp_path_factory, "openai-gen", "fake-slow")


def test_streams_what_the_server_sends(server):
    gen = OpenAIGenerator("fake-slow", server.url + "/v1")
    msgs = [{"role": "user", "content": QUESTION}]
    pieces = list(gen.stream(msgs, max_new_tokens=100))
    # The same request read independently: the deltas the server streamed, in order.
    sent = []
    with httpx.stream("POST", server.url + "/v1/chat/completions", timeout=60,
                      json={"model": "x", "messages": msgs, "stream": True}) as r:
        for line in r.iter_lines():
            if line.startswith("data: {"):
                delta = json.loads(line[6:])["choices"][0]["delta"]
                sent.append(delta.get("content") or "")
    assert len(pieces) > 3  # it really streamed, piece by piece
    assert "".join(pieces) == "".join(sent)
    assert "Michael Dell" in "".join(pieces)


def test_stop_ends_the_stream_early(server):
    gen = OpenAIGenerator("fake-slow", server.url + "/v1")
    full = list(gen.stream([{"role": "user", "content": QUESTION}]))
    stop = threading.Event()
    got = []
    for piece in gen.stream([{"role": "user", "content": QUESTION}], stop=stop):
        got.append(piece)
        if len(got) == 2:
            stop.set()
    assert len(got) == 2 < len(full)


def test_a_server_error_names_the_server_and_status(server):
    gen = OpenAIGenerator("fake-slow", server.url + "/v1")
    with pytest.raises(ModelMissing, match=r"answered 400") as e:
        list(gen.stream([{"role": "user", "content": "   "}]))
    assert server.url in str(e.value)


def test_an_unreachable_server_fails_fast_with_the_url():
    url = f"http://127.0.0.1:{free_port()}/v1"
    t0 = time.monotonic()
    with pytest.raises(ModelMissing, match="cannot reach the generator server") as e:
        list(OpenAIGenerator("m", url).stream([{"role": "user", "content": "hi"}]))
    assert url in str(e.value) and time.monotonic() - t0 < 10


def test_a_bad_url_and_a_missing_url_are_refused(monkeypatch):
    with pytest.raises(ModelMissing, match="not an http"):
        OpenAIGenerator("m", "127.0.0.1:8000")
    monkeypatch.delenv("RAG_GENERATOR_URL", raising=False)
    with pytest.raises(ConfigError, match="needs generator_url"):
        load_config(runtime="openai")
    cfg = load_config(runtime="openai", generator_url="http://h:1/v1")
    assert (cfg.runtime, cfg.generator_url) == ("openai", "http://h:1/v1")


def test_the_key_is_sent_as_a_bearer_token(monkeypatch):
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["auth"] = request.headers.get("authorization")
        body = ('data: {"choices":[{"delta":{"content":"Hello"}}]}\n\n'
                'data: {"choices":[{"delta":{"content":" there"}}]}\n\ndata: [DONE]\n\n')
        return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})

    monkeypatch.setenv("RAG_API_KEY", "sekrit")
    gen = OpenAIGenerator("m", "http://server.invalid/v1")
    gen._client = httpx.Client(base_url=gen.url, headers=gen._client.headers,
                               transport=httpx.MockTransport(handler))
    assert "".join(gen.stream([{"role": "user", "content": "hi"}])) == "Hello there"
    assert seen["auth"] == "Bearer sekrit"


@pytest.mark.slow
def test_the_pipeline_answers_through_llama_cpp_server(real_config, real_pipeline, tmp_path):
    pytest.importorskip("llama_cpp.server.app", reason="llama-cpp-python[server] not installed")
    from rag.models.weights import GENERATORS, gguf_path
    from rag.pipeline import Pipeline

    model = str(gguf_path(GENERATORS[real_config.generator]))
    port = free_port()
    log = open(tmp_path / "llama-server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", model, "--model_alias", "qwen",
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads",
         str(os.cpu_count() or 2)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (tmp_path / "llama-server.log").read_text()[-2000:]
            try:
                if httpx.get(url + "/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "llama.cpp server did not start"
            time.sleep(0.5)
        cfg = load_config(index=real_config.index, runtime="openai", generator="qwen",
                          generator_url=url)
        pipe = Pipeline.open(cfg)
        assert pipe.generator.info()["runtime"] == "openai"
        ans = pipe.ask("Which company did Dell Technologies collaborate with?")
        assert not ans.refused and "nvidia" in ans.text.lower() and ans.citations
        off = pipe.ask("What is the capital of Australia?")
        assert off.refused
        # a multiple-choice question by its options' letters, read from the server's replies
        quiz = pipe.ask("Who confirmed the collaboration on Twitter? "
                        "(Options: Elon Musk; Jensen Huang; Michael Dell; Sam Altman)")
        assert quiz.text.startswith("Michael Dell [") and "option_p" in quiz.checks
    finally:
        proc.terminate()
        proc.wait(20)


def test_word_probabilities_fall_back_to_the_reply(server):
    """`rag serve` sends no logprobs: the judge's probabilities come from the written reply."""
    gen = OpenAIGenerator("fake-slow", server.url + "/v1")
    p = gen.word_probabilities([{"role": "user", "content": QUESTION}], ["michael", "no"])
    assert p == {"michael": 1.0, "no": 0.0}


def test_word_probabilities_read_the_first_token_s_logprobs():
    import math

    sent = {}

    def handler(request: httpx.Request) -> httpx.Response:
        sent.update(json.loads(request.content))
        top = [{"token": "Yes", "logprob": math.log(0.6)}, {"token": " yes", "logprob": math.log(0.1)},
               {"token": "No", "logprob": math.log(0.2)}, {"token": "Maybe", "logprob": math.log(0.1)}]
        return httpx.Response(200, json={"choices": [{"message": {"content": "Yes"},
                                                      "logprobs": {"content": [{"token": "Yes",
                                                                                "top_logprobs": top}]}}]})

    gen = OpenAIGenerator("m", "http://server.invalid/v1")
    gen._client = httpx.Client(base_url=gen.url, transport=httpx.MockTransport(handler))
    p = gen.word_probabilities([{"role": "user", "content": "ok?"}], ["yes", "no"])
    assert p["yes"] == pytest.approx(0.7) and p["no"] == pytest.approx(0.2)
    assert sent["logprobs"] is True and sent["max_tokens"] == 1
