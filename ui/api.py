"""The HTTP API over one shared `Pipeline`: health, ask, and OpenAI-compatible chat completions.

    GET  /api/health            {"status": "ok", "articles", "chunks", "embedder", "generator"}
    POST /api/ask               {"question", "k"?, "history"?} -> the JSON of `rag ask --json`
    POST /v1/chat/completions   OpenAI's request and response shapes, `stream: true` as SSE;
                                the citations travel in an extra `citations` field
    POST /v1/embeddings         OpenAI's embeddings API with the index's own document embedder,
                                so that another machine's `rag index` can embed through this one
                                (rag.index.remote_embedder); "float" or "base64" encoding

The API keeps no conversations: each request carries its own history, so users never share one.
Requests run in worker threads; the generator's FIFO lock serves them one at a time in arrival
order; each is told its place in the line (`X-Queue-Position`), and past `max_queue` questions
a 503 with Retry-After (ui.queue). Bad input is a 4xx with a message that says what to fix; typed
library errors become messages here. Left out: authentication (ui.access), and the OpenAI
parameters that do not apply to a greedy extractive answerer (temperature, n, tools...): they
are accepted and ignored.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from rag.errors import QuestionError, RagError
from rag.types import Answer
from ui.queue import Full, Gate

MAX_BODY_BYTES = 256 * 1024
MAX_HISTORY = 50  # messages
MAX_MESSAGE_CHARS = 8000
MAX_DEPTH = 16  # nesting of the body's JSON: the real requests need 4
MAX_EMBED_INPUTS = 512  # texts in one embeddings request (the clients here send 64)


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def error(message: str, status: int = 400, kind: str = "invalid_request_error") -> JSONResponse:
    # OpenAI clients read error.message; plain clients can read detail.
    return JSONResponse({"detail": message, "error": {"message": message, "type": kind}},
                        status_code=status)


async def read_json(request: Request) -> dict:
    size = request.headers.get("content-length")
    if size and size.isdigit() and int(size) > MAX_BODY_BYTES:
        raise BadRequest(f"request body of {int(size):,} bytes is over the {MAX_BODY_BYTES:,}-byte "
                         "limit", 413)
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(f"request body is over the {MAX_BODY_BYTES:,}-byte limit", 413)
    if not body.strip():
        raise BadRequest("the body is empty: send a JSON object like {\"question\": \"...\"}")
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BadRequest(f"the body is not valid JSON ({e})") from None
    except RecursionError:
        raise BadRequest(f"the body's JSON is nested too deeply; the limit is {MAX_DEPTH} "
                         "levels") from None
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object, like {\"question\": \"...\"}")
    check_values(data)
    return data


def check_values(data) -> None:
    """Bounded nesting, and text that is Unicode: a lone surrogate ("\\ud800", which JSON allows)
    cannot be encoded for the model or the answer. Walked without recursion."""
    todo = [(data, "body", 1)]
    while todo:
        value, where, depth = todo.pop()
        if depth > MAX_DEPTH:
            raise BadRequest(f"the body's JSON is nested more than {MAX_DEPTH} levels deep "
                             f"(at {where})")
        if isinstance(value, str):
            bad = _SURROGATE.search(value)
            if bad:
                raise BadRequest(f"{where} is not valid Unicode: a lone surrogate "
                                 f"(U+{ord(bad.group()):04X}) at character {bad.start()}")
        elif isinstance(value, dict):
            for key, v in value.items():
                if _SURROGATE.search(key):
                    raise BadRequest(f"a key in {where} is not valid Unicode (a lone surrogate)")
                todo.append((v, f"{where}.{key}"[:200], depth + 1))
        elif isinstance(value, list):
            todo += [(v, f"{where}[{i}]"[:200], depth + 1) for i, v in enumerate(value)]


_SURROGATE = re.compile("[\ud800-\udfff]")


def brief(value) -> str:
    """A value as it may appear in a message: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_k(k) -> int | None:
    if k is None:
        return None
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 50:
        raise BadRequest(f"k must be a whole number from 1 to 50, not {brief(k)}")
    return k


def check_history(history) -> list[dict]:
    if history is None:
        return []
    if not isinstance(history, list):
        raise BadRequest("history must be a list of {\"role\", \"content\"} messages")
    if len(history) > MAX_HISTORY:
        raise BadRequest(f"history has {len(history)} messages; the limit is {MAX_HISTORY}")
    out = []
    for i, m in enumerate(history):
        if not isinstance(m, dict) or m.get("role") not in ("user", "assistant", "system"):
            raise BadRequest(f"history[{i}] must be an object with role user, assistant or system")
        out.append({"role": m["role"], "content": message_text(m.get("content"), f"history[{i}]")})
    return out


def message_text(content, where: str) -> str:
    """An OpenAI message content: a string, or a list of {"type": "text", "text"} parts."""
    if isinstance(content, list):
        texts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        if len(texts) != len(content) or not all(isinstance(t, str) for t in texts):
            raise BadRequest(f"{where}: only text content parts are supported")
        content = "\n".join(texts)
    if not isinstance(content, str):
        raise BadRequest(f"{where}.content must be text")
    if len(content) > MAX_MESSAGE_CHARS:
        raise BadRequest(f"{where}.content is {len(content)} characters; the limit is "
                         f"{MAX_MESSAGE_CHARS}")
    return content


def build_router(pipeline, gate: Gate | None = None) -> APIRouter:
    """`gate`: the waiting line for questions (ui.queue); by default `config.max_queue` long."""
    routes = _Routes(pipeline, gate or Gate(getattr(pipeline.config, "max_queue", 8)))
    router = APIRouter()
    router.add_api_route("/api/health", routes.health, methods=["GET"])
    router.add_api_route("/api/ask", _guarded(routes.ask), methods=["POST"])
    router.add_api_route("/v1/embeddings", _guarded(routes.embeddings), methods=["POST"])
    router.add_api_route("/v1/chat/completions", _guarded(routes.chat_completions),
                         methods=["POST"])
    return router


def _guarded(handler):
    """Typed errors and bad input become 4xx messages at this edge, never a 500."""
    async def wrapped(request: Request):
        try:
            return await handler(request)
        except BadRequest as e:
            return error(str(e), e.status)
        except Full as e:
            r = error(str(e), 503, "server_busy")
            r.headers["Retry-After"] = str(e.retry_after)
            return r
        except QuestionError as e:
            return error(str(e), 400)
        except RagError as e:
            return error(str(e), 503, "server_error")
    wrapped.__name__ = handler.__name__
    return wrapped


class _Routes:
    """The routes over one shared pipeline and one waiting line."""

    def __init__(self, pipeline, gate: Gate):
        self.pipeline, self.gate = pipeline, gate
        self.embedding = threading.Lock()  # one batch at a time: each already uses every core

    async def health(self):
        f = self.pipeline.facts()
        return {"status": "ok", "articles": f["articles"], "chunks": f["chunks"],
                "embedder": f["embedder"], "generator": f["generator"],
                "queue": {"inside": self.gate.inside, "limit": self.gate.limit}}

    async def ask(self, request: Request):
        data = await read_json(request)
        if "question" not in data:
            raise BadRequest("missing \"question\": send {\"question\": \"...\"}")
        k, history = check_k(data.get("k")), check_history(data.get("history"))
        answer, place = await self.queued(self.pipeline.ask, data["question"], k, history)
        return JSONResponse(answer.to_dict(), headers={"X-Queue-Position": str(place)})

    async def queued(self, fn, *args):
        """Run a question in its place in the line; (its result, the place it was given)."""
        place, t0 = self.gate.enter(), time.monotonic()
        done = False
        try:
            result = await run_in_threadpool(fn, *args)
            done = True
            return result, place
        finally:
            self.gate.leave(time.monotonic() - t0 if done else None, place)

    async def chat_completions(self, request: Request):
        data = await read_json(request)
        messages = data.get("messages")
        if not isinstance(messages, list) or not messages:
            raise BadRequest("messages must be a non-empty list of {\"role\", \"content\"}")
        msgs = check_history(messages[:-1])
        last = messages[-1]
        if not isinstance(last, dict) or last.get("role") != "user":
            raise BadRequest("the last message must be the user's question (role \"user\")")
        question = message_text(last.get("content"), f"messages[{len(messages) - 1}]")
        history = [m for m in msgs if m["role"] != "system"]
        k = check_k(data.get("k"))
        model = data.get("model") if isinstance(data.get("model"), str) else None
        model = model or self.pipeline.facts()["generator"]
        if data.get("stream") is True:
            return await _stream(self.pipeline, question, k, history, model, self.gate)
        answer, place = await self.queued(self.pipeline.ask, question, k, history)
        return JSONResponse(_completion(answer, model), headers={"X-Queue-Position": str(place)})

    async def embeddings(self, request: Request):
        data = await read_json(request)
        texts = data.get("input")
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            raise BadRequest("input must be a string or a non-empty list of strings (token-id "
                             "inputs are not supported)")
        if len(texts) > MAX_EMBED_INPUTS:
            raise BadRequest(f"input has {len(texts)} texts; the limit is {MAX_EMBED_INPUTS} "
                             "a request")
        emb = self.pipeline.embedder
        model = data.get("model")
        if model not in (None, "", emb.name):
            raise BadRequest(f"model {brief(model)} is not served here; this server embeds "
                             f"with {emb.name!r}", 404)
        fmt = data.get("encoding_format") or "float"
        if fmt not in ("float", "base64"):
            raise BadRequest(f"encoding_format must be \"float\" or \"base64\", not {brief(fmt)}")

        def run():
            with self.embedding:
                return emb.embed(texts), sum(emb.count_tokens(t) for t in texts)

        vecs, tokens = await run_in_threadpool(run)
        return JSONResponse({
            "object": "list", "model": emb.name,
            "data": [{"object": "embedding", "index": i, "embedding": _encoded(v, fmt)}
                     for i, v in enumerate(vecs)],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})


def _encoded(vector, fmt: str):
    """One vector as OpenAI sends it: a list of floats, or base64 of little-endian float32."""
    if fmt == "float":
        return [float(x) for x in vector]
    import base64

    import numpy as np
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")


def _extra(answer: Answer) -> dict:
    d = answer.to_dict()
    return {"citations": d["citations"], "refused": d["refused"],
            "search_query": d["search_query"], "timings_ms": d["timings_ms"]}


def _completion(answer: Answer, model: str) -> dict:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion",
        "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        **_extra(answer),
    }


async def _stream(pipeline, question: str, k, history: list[dict], model: str, gate: Gate):
    stop = threading.Event()
    events = pipeline.stream(question, k, history, stop)
    place, t0 = gate.enter(), time.monotonic()  # left when the stream ends, however it ends
    # The first event (after validation, rewriting and retrieval) is taken before the response
    # starts, so that a bad question is still a plain 400 rather than an error inside a stream.
    try:
        first = await run_in_threadpool(next, events)
    except BaseException:
        gate.leave(None, place)
        raise
    cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

    def chunk(delta: dict, finish: str | None = None, **extra) -> str:
        obj = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"

    async def sse():
        try:
            # An SSE comment, which clients ignore: where this question stands in the line.
            yield f": queue position {place}\n\n"
            yield chunk({"role": "assistant", "content": ""})
            event = first
            while event is not None:
                if event["type"] == "token":
                    yield chunk({"content": event["text"]})
                elif event["type"] == "answer":
                    # The checked answer may differ from the streamed text (a refusal, a marker
                    # dropped or added): it travels whole in `answer`, with the citations.
                    a = event["answer"]
                    yield chunk({}, "stop", answer=a.text, **_extra(a))
                event = await run_in_threadpool(next, events, None)
            yield "data: [DONE]\n\n"
        finally:
            stop.set()  # a client that goes away stops its generation
            gate.leave(time.monotonic() - t0, place)

    return StreamingResponse(sse(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no",
                                      "X-Queue-Position": str(place)})
