"""Property-based fuzzing of a real `rag serve` (fake models) with hypothesis: whatever a client
sends to /api/ask or /v1/chat/completions, the answer is a 200 or a 4xx whose body says what was
wrong, never a 500 or a dropped connection. The budget is fixed (a set number of examples, drawn
the same way on every run), so the suite's time does not grow with luck."""

from __future__ import annotations

import dataclasses
import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.live_server import seeded_server

BUDGET = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))

# Any text, lone surrogates included (JSON can carry them as \ud800 escapes).
TEXT = st.text(st.characters(codec=None), max_size=60) | st.sampled_from(
    ["Who confirmed the collaboration on Twitter?", "\ud800", "a\udfffb", "", " ", "\x00"])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12)
K = st.integers(-5, 80) | JSON
MESSAGE = st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "system", "x"]),
                                 "content": TEXT | JSON})
ASK = st.fixed_dictionaries({"question": TEXT | JSON}, optional={
    "k": K, "history": st.lists(MESSAGE, max_size=3) | JSON})
CHAT = st.fixed_dictionaries({"messages": st.lists(MESSAGE, max_size=3) | JSON}, optional={
    "k": K, "stream": st.booleans() | JSON, "model": TEXT | JSON})


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    gen = seeded_server(tmp_path_factory, "fuzz", "fake-extractive")
    server = next(gen)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        client.server = server
        yield client
    gen.close()


def body(obj) -> bytes:
    # ensure_ascii keeps lone surrogates as \ud800 escapes, as a client in another language sends
    return json.dumps(obj, ensure_ascii=True).encode()


def check(r: httpx.Response) -> None:
    assert r.status_code < 500, r.text[:500]
    if r.status_code >= 400:
        assert r.json()["detail"], r.text  # a message, not an empty error


@BUDGET
@given(ASK)
def test_ask_never_fails_on_anything_sent(http, data):
    check(http.post("/api/ask", content=body(data), headers={"content-type": "application/json"}))


@BUDGET
@given(CHAT)
def test_chat_completions_never_fail_on_anything_sent(http, data):
    r = http.post("/v1/chat/completions", content=body(data),
                  headers={"content-type": "application/json"})
    check(r)


@settings(BUDGET, max_examples=60)
@given(st.binary(max_size=200) | JSON.map(body))
def test_any_bytes_at_all(http, raw):
    check(http.post("/api/ask", content=raw, headers={"content-type": "application/json"}))


def test_the_server_lived_through_it(http):
    assert http.get("/api/health").status_code == 200
    assert "Traceback" not in http.server.log_tail(100_000)


def test_passages_past_the_prompt_budget_are_left_out(fake_pipeline):
    question = "Who confirmed the collaboration on Twitter?"
    wide = fake_pipeline.ask(question, k=12)
    fake_pipeline.config = dataclasses.replace(fake_pipeline.config, prompt_tokens=100)
    narrow = fake_pipeline.ask(question, k=12)
    assert len(wide.passages) == 12 and 1 <= len(narrow.passages) < 12
    assert [h.chunk.id for h in narrow.passages] == [h.chunk.id for h in wide.passages][
        :len(narrow.passages)]
