"""The OpenAI runtime: any server that speaks the OpenAI chat-completions API (vLLM, llama.cpp's
server, Ollama, another `rag serve`), streamed over HTTP, so generation can run on other machines.

Registered as "openai" (rag.registry); `generator_url` is the API base. Left out: what servers
differ in (the answer's token probabilities, `confidence`, are not asked for).
"""

from __future__ import annotations

import threading
from typing import Iterator

from rag import registry
from rag.answer.runtimes.generator import variants
from rag.errors import ModelMissing


class OpenAIGenerator:
    """Any server that speaks the OpenAI chat-completions API (vLLM, llama.cpp's server, Ollama,
    another `rag serve`), streamed over HTTP, so generation can run on other machines.

    `url` is the API base (`http://gpu-box:8000/v1`); `model` is the name the server knows the
    model by. The key, if the server wants one, comes from RAG_API_KEY or OPENAI_API_KEY (never
    from a file that could be committed). Answers are greedy (temperature 0), like the local ones.
    """

    def __init__(self, model: str, url: str, api_key: str | None = None, timeout: float = 120.0):
        import os

        import httpx

        if not url.startswith(("http://", "https://")):
            raise ModelMissing(f"generator_url={url!r} is not an http(s) URL of an OpenAI-"
                               "compatible API, e.g. http://127.0.0.1:8000/v1")
        self.name = model
        self.url = url.rstrip("/")
        key = api_key or os.environ.get("RAG_API_KEY") or os.environ.get("OPENAI_API_KEY")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._client = httpx.Client(base_url=self.url, headers=headers,
                                    timeout=httpx.Timeout(timeout, connect=10.0))

    def stream(self, messages: list[dict], max_new_tokens: int = 200,
               stop: threading.Event | None = None,
               confidence: list | None = None) -> Iterator[str]:
        """`confidence` is left empty: servers differ in what they return of it."""
        import json

        import httpx

        body = {"model": self.name, "messages": messages, "max_tokens": max_new_tokens,
                "temperature": 0.0, "stream": True}
        try:
            with self._client.stream("POST", "/chat/completions", json=body) as r:
                if r.status_code != 200:
                    r.read()
                    raise ModelMissing(f"the generator server {self.url} answered "
                                       f"{r.status_code}: {r.text[:300]}")
                for line in r.iter_lines():
                    if stop is not None and stop.is_set():
                        break  # leaving the block closes the connection: the server stops
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    try:
                        choice = json.loads(data)["choices"][0]
                    except (ValueError, KeyError, IndexError) as e:
                        raise ModelMissing(f"the generator server {self.url} sent an event "
                                           f"that is not a chat-completion chunk: {data[:200]}"
                                           ) from e
                    piece = (choice.get("delta") or {}).get("content")
                    if piece:
                        yield piece
        except httpx.TransportError as e:
            raise ModelMissing(f"cannot reach the generator server {self.url} ({e}); start it, "
                               "or set generator_url / runtime in rag.toml") from e

    def word_probabilities(self, messages: list[dict], words: list[str]) -> dict[str, float]:
        """From the first token's `top_logprobs`; a server that sends none, or refuses to (as
        llama-cpp-python's does unless started with all logits), is read by its reply:
        probability 1 for the word the reply starts with."""
        import math

        import httpx

        body = {"model": self.name, "messages": messages, "max_tokens": 1, "temperature": 0.0,
                "logprobs": True, "top_logprobs": 20}
        try:
            r = self._client.post("/chat/completions", json=body)
        except httpx.TransportError as e:
            raise ModelMissing(f"cannot reach the generator server {self.url} ({e})") from e
        reply = None
        if r.status_code == 200:
            choice = r.json()["choices"][0]
            top = ((choice.get("logprobs") or {}).get("content") or [{}])[0].get("top_logprobs")
            if top:
                pairs = [(t["token"].strip(), math.exp(t["logprob"])) for t in top]
                return {w: sum(p for tok, p in pairs if tok in variants(w)) for w in words}
            reply = (choice.get("message") or {}).get("content")
        if reply is None:
            reply = "".join(self.stream(messages, 3))
        first = (reply.strip().split() or [""])[0].strip(".,!:;")
        return {w: float(first in variants(w)) for w in words}

    def info(self) -> dict:
        return {"name": self.name, "runtime": "openai", "url": self.url}


def load(name: str, url: str = "", **_) -> OpenAIGenerator:
    return OpenAIGenerator(name, url)


registry.register_runtime("openai", load)
