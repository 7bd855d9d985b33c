"""Generators: the `Generator` protocol and its adapters (transformers, llama.cpp, any
OpenAI-compatible server).

A generator streams the answer to a chat (a list of {"role", "content"} messages) piece by piece,
and stops early when the caller's `stop` event is set (the chat's stop button). One model serves a
whole process; a FIFO lock lets one answer be generated at a time, in arrival order, which is what
two CPU cores can do anyway. The local runtimes decode through `_AnswerStart`: no answer opens
with a citation marker, and the probability of each word chosen is reported (`confidence`).

The packaged Qwen2.5-Coder GGUFs are converted once to bf16 safetensors (`rag.models.weights`); bf16 runs
about 2.5x faster than fp32 on CPUs with AVX-512 bf16 or AMX, and fp32 is used elsewhere.
Left out: sampling (answers are greedy, so the same question gets the same answer).
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Iterator, Protocol

import numpy as np

from rag.errors import ModelMissing
from rag.models.weights import bf16_prefill_pays, cpu_has_bf16, prepare_generator


class Generator(Protocol):
    name: str

    # `confidence`, if given, receives the probability of each token the model chose, up to the
    # first citation marker: how sure it was of the answer's words (a local runtime fills it).
    def stream(self, messages: list[dict], max_new_tokens: int = 200,
               stop: threading.Event | None = None,
               confidence: list | None = None) -> Iterator[str]: ...

    # Optional: the probability that the reply starts with each word (any of its capitalisations),
    # read off the model's next-token distribution without generating. The judge uses it for a
    # graded verdict; a generator without it is judged by its written reply (rag.answer.judge).
    def word_probabilities(self, messages: list[dict], words: list[str]) -> dict[str, float]: ...

    def info(self) -> dict: ...


def marker_tokens(decode, n_vocab: int) -> list[int]:
    """The tokens that start a citation marker ("[", " [", "[[", ...). An answer may not start
    with one: given a passage it cannot quote, the 1.5B model sometimes answers with markers
    alone ("[1] [2]"), which says nothing; barred from them it writes the words. Markers after
    the first word are untouched."""
    return [i for i in range(n_vocab) if decode(i).lstrip().startswith("[")]


class _AnswerStart:
    """A logits processor for greedy decoding: bars a citation marker as the first token
    (`marker_tokens`), and appends to `confidence` the chosen token's probability until the
    first marker or the end. Works on one row of logits (numpy or torch), in place."""

    def __init__(self, n_prompt: int, markers: list[int], eos: int | None,
                 confidence: list | None):
        self.n_prompt, self.markers, self.confidence = n_prompt, markers, confidence
        self.ends = set(markers) | ({eos} if eos is not None else set())
        self.done = confidence is None

    def __call__(self, input_ids, scores):
        if len(input_ids) == self.n_prompt:
            scores[self.markers] = -float("inf")
        if not self.done:
            top = int(scores.argmax())
            if top in self.ends:
                self.done = True
            else:
                self.confidence.append(_probability(scores, top))
        return scores


def _probability(logits, i: int) -> float:
    """Softmax of one row of logits at `i` (a torch tensor or a numpy array)."""
    if hasattr(logits, "softmax"):
        return float(logits.float().softmax(-1)[i])
    s = np.asarray(logits, dtype=np.float64)
    return float(1.0 / np.exp(s - s[i]).sum())


def _variants(word: str) -> set[str]:
    return {word.lower(), word.capitalize(), word.upper()}


class FifoLock:
    """A lock granted in arrival order, so concurrent users are served fairly."""

    def __init__(self):
        self._lock = threading.Lock()
        self._waiters: deque[threading.Event] = deque()
        self._held = False

    def __enter__(self):
        with self._lock:
            if not self._held and not self._waiters:
                self._held = True
                return self
            me = threading.Event()
            self._waiters.append(me)
        me.wait()
        return self

    def __exit__(self, *exc):
        with self._lock:
            if self._waiters:
                self._waiters.popleft().set()  # hand over directly: stays held
            else:
                self._held = False




class TransformersGenerator:
    """A causal LM run by transformers on the CPU, greedy, streaming."""

    def __init__(self, name: str, threads: int | None = None, dtype: str | None = None):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as tlog

        tlog.disable_progress_bar()
        if threads:
            torch.set_num_threads(threads)
        self.name = name
        self.path = prepare_generator(name)
        self.dtype = dtype or ("bfloat16" if cpu_has_bf16() else "float32")
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
            self.model = AutoModelForCausalLM.from_pretrained(
                self.path, dtype=getattr(torch, self.dtype), local_files_only=True)
        except OSError as e:
            raise ModelMissing(f"cannot load the generator {name!r} from {self.path}: {e}. "
                               "Run ./scripts/setup, or name a local model folder") from e
        self.model.eval()
        self._lock = FifoLock()
        tok = self.tokenizer  # scanned once at load (about half a second), not in an answer
        self._markers = marker_tokens(lambda i: tok.decode([i]), len(tok))

    def stream(self, messages: list[dict], max_new_tokens: int = 200,
               stop: threading.Event | None = None,
               confidence: list | None = None) -> Iterator[str]:
        import torch
        from transformers import (LogitsProcessor, LogitsProcessorList, StoppingCriteria,
                                  StoppingCriteriaList, TextIteratorStreamer)

        halt = stop or threading.Event()

        class _Stop(StoppingCriteria):
            def __call__(self, input_ids, scores, **kw):
                return halt.is_set()

        with self._lock:
            enc = self.tokenizer.apply_chat_template(
                messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
            start = _AnswerStart(enc["input_ids"].shape[1], self._markers,
                                 self.tokenizer.eos_token_id, confidence)

            class _Start(LogitsProcessor):
                def __call__(self, input_ids, scores):
                    start(input_ids[0], scores[0])  # in place
                    return scores

            streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True,
                                            skip_special_tokens=True)
            errors: list[BaseException] = []

            def run():
                try:
                    with torch.inference_mode():
                        self.model.generate(
                            **enc, max_new_tokens=max_new_tokens, do_sample=False,
                            streamer=streamer, pad_token_id=self.tokenizer.eos_token_id,
                            stopping_criteria=StoppingCriteriaList([_Stop()]),
                            logits_processor=LogitsProcessorList([_Start()]))
                except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread
                    errors.append(e)
                    streamer.end()

            worker = threading.Thread(target=run, daemon=True)
            worker.start()
            try:
                for piece in streamer:
                    if piece:
                        yield piece
            finally:
                halt.set()  # a consumer that stops reading stops the model too
                worker.join()
            if errors:
                raise errors[0]

    def word_probabilities(self, messages: list[dict], words: list[str]) -> dict[str, float]:
        import torch

        with self._lock:
            enc = self.tokenizer.apply_chat_template(
                messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
            with torch.inference_mode():
                logits = self.model(**enc).logits[0, -1].float()
        probs = torch.softmax(logits, dim=-1)
        encode = lambda t: self.tokenizer.encode(t, add_special_tokens=False)  # noqa: E731
        return {w: float(sum(probs[i] for i in _first_tokens(encode, w))) for w in words}

    def info(self) -> dict:
        return {"name": self.name, "runtime": "transformers", "dtype": self.dtype,
                "path": self.path}


class LlamaCppGenerator:
    """A GGUF model run by llama.cpp (llama-cpp-python), greedy, streaming.

    llama.cpp runs the packaged Q4_K_M weights as they are and decodes about 2.5x faster than
    transformers in bf16 here. A prompt that continues the previous one reuses its KV cache
    (what `judge = 2` relies on). Any other is read in pieces, its system turn and each passage,
    starting after the longest head an earlier prompt left in the prompt cache (`PromptCache`):
    in a chat about the same articles a question whose passages were read before costs little
    more than its own words, and the same prompt still always gets the same answer
    (`_pieces`).

    Reading a prompt and writing an answer can want different weights on a CPU: reading is
    compute bound, and on some CPUs llama.cpp's bf16 kernels (AVX-512 bf16) read faster than its
    Q4_K ones; writing is memory bound, and Q4_K_M moves a third of the bytes. With `prefill`
    "bf16" a second context over a bf16 copy of the same weights (`rag.models.weights.bf16_gguf_path`,
    lossless) reads the prompt, all but its last token, and hands its KV cache to the Q4_K_M
    context, which reads the last token and writes the answer (docs/cpu.md has the figures).
    The cost: 3.6 GB more mapped memory, so "auto" uses it only where set-up measured it faster
    here (`rag.models.choices`), or, unmeasured, where `rag.models.weights.bf16_prefill_pays`.
    """

    # A prompt with fewer new tokens than this is read by the Q4_K_M context alone: two cache
    # copies would cost more than the faster reading saves.
    MIN_READ = 32
    # Pieces of a prompt shorter than this are read with the next: each read has a fixed cost.
    MIN_PIECE = 32

    def __init__(self, name: str, threads: int | None = None, n_ctx: int = 4096,
                 prefill: str = "auto", cache_mb: int = 512):
        import atexit
        import os

        from rag.models.cpu import check_llama_build, check_llama_library
        from rag.models.weights import GENERATORS, bf16_gguf_path, gguf_path

        # Before the library is loaded: a build for another CPU can crash on loading.
        if problem := check_llama_build():
            raise ModelMissing(problem)
        try:
            from llama_cpp import Llama, llama_print_system_info
        except ImportError as e:
            raise ModelMissing("the llama.cpp runtime is not installed: run ./scripts/setup "
                               "(it compiles llama.cpp for this CPU, several minutes) or use "
                               "runtime = \"transformers\"") from e
        if problem := check_llama_library(llama_print_system_info().decode("utf-8", "replace")):
            raise ModelMissing(problem)
        spec = GENERATORS.get(name)
        path = str(gguf_path(spec)) if spec else name
        if not path.endswith(".gguf") or not os.path.isfile(path):
            raise ModelMissing(f"llama.cpp needs a .gguf file or a packaged generator name, "
                               f"not {name!r}")
        self.name = name
        self.path = path
        self.llm = Llama(model_path=path, n_ctx=n_ctx, n_threads=threads or os.cpu_count(),
                         n_batch=512, verbose=False)
        # Freed before the interpreter tears down the library's bindings; left to __del__ at
        # exit, llama-cpp-python prints a TypeError traceback.
        atexit.register(self.llm.close)
        self.reader = None
        if prefill == "auto":
            prefill = self.auto_prefill(name)
        if prefill == "bf16":
            if spec is None:
                raise ModelMissing(f"prefill = \"bf16\" needs a packaged generator "
                                   f"({', '.join(GENERATORS)}), not {name!r}; set prefill = "
                                   "\"off\"")
            self.reader = Llama(model_path=str(bf16_gguf_path(spec)), n_ctx=n_ctx,
                                n_threads=threads or os.cpu_count(), n_batch=512, verbose=False)
            atexit.register(self.reader.close)
        self._lock = FifoLock()
        self._last_prompt = ""
        self.prompt_cache = PromptCache(cache_mb << 20)
        self._chat_formatter = None
        # scanned once at load (about half a second), not in an answer
        self._markers = marker_tokens(
            lambda i: self.llm.detokenize([i]).decode("utf-8", "replace"), self.llm.n_vocab())

    @staticmethod
    def auto_prefill(name: str) -> str:
        """What `prefill = "auto"` reads prompts with for `name`: the faster path set-up measured
        here (rag.models.choices), else the rule `bf16_prefill_pays`; "off" for other than packaged."""
        from rag.models import choices
        from rag.models.weights import GENERATORS

        if name not in GENERATORS:
            return "off"
        return choices.prefill(name) or ("bf16" if bf16_prefill_pays() else "off")

    def stream(self, messages: list[dict], max_new_tokens: int = 200,
               stop: threading.Event | None = None,
               confidence: list | None = None) -> Iterator[str]:
        from llama_cpp import LogitsProcessorList

        with self._lock:
            # starts from an empty cache unless it continues the previous prompt
            tokens = self._prompt_tokens(messages)
            self._read(tokens)
            n_prompt = len(tokens)
            process = _AnswerStart(n_prompt, self._markers, self.llm.token_eos(), confidence)
            chunks = self.llm.create_chat_completion(
                messages=messages, max_tokens=max_new_tokens, temperature=0.0, top_k=1,
                stream=True, logits_processor=LogitsProcessorList([process]))
            try:
                for chunk in chunks:
                    if stop is not None and stop.is_set():
                        break
                    piece = chunk["choices"][0]["delta"].get("content")
                    if piece:
                        yield piece
            finally:
                chunks.close()  # stops decoding: no token is computed after this

    def word_probabilities(self, messages: list[dict], words: list[str]) -> dict[str, float]:
        """One forward pass over the chat's prompt (from the cache only where the prompt
        continues the previous one, as in generation), then the next token's distribution."""

        llm = self.llm
        with self._lock:
            tokens = self._prompt_tokens(messages)
            self._read(tokens)
            # Keep the cached tokens this prompt starts with; evaluate at least its last token.
            same = _cached(llm, tokens)
            llm.n_tokens = same
            llm.eval(tokens[same:])
            logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),))
            logits = logits.astype(np.float64)
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        encode = lambda t: llm.tokenize(t.encode("utf-8"), add_bos=False, special=False)  # noqa: E731
        return {w: float(sum(probs[i] for i in _first_tokens(encode, w))) for w in words}

    def _prompt_tokens(self, messages: list[dict]) -> list[int]:
        """The chat's prompt tokens, with the cache made ready for them. A prompt that continues
        the previous one (a follow-up in the same conversation, `judge = 2`) keeps the cache,
        whose prefix llama.cpp reuses, and `_read` reads the rest. Any other is read in pieces
        (`_pieces`) from the longest of its heads the prompt cache holds, leaving all but its last
        token in the main context's cache."""
        llm = self.llm
        prompt = self._formatter()(messages=messages)
        text = prompt.prompt
        tokenize = lambda t: llm.tokenize(t.encode("utf-8"), add_bos=not prompt.added_special,  # noqa: E731
                                          special=True)
        tokens = tokenize(text)
        if (self._last_prompt and len(text) > len(self._last_prompt)
                and text.startswith(self._last_prompt)):
            self._read(tokens)
        else:
            self._read_in_pieces(tokens, self._pieces(text, tokens, messages, tokenize))
        self._last_prompt = text
        return tokens

    def _pieces(self, text: str, tokens: list[int], messages: list[dict], tokenize) -> list[int]:
        """Where a new prompt is read in pieces, as token counts: after its system turn and at
        the end of each passage (`rag.answer.prompt.piece_ends`), at least `MIN_PIECE` tokens apart.
        The split points depend on the prompt alone, so a prompt is always computed in the same
        pieces and a head restored from the cache holds exactly the numbers reading it again
        would give: an answer never depends on what was asked before."""
        from rag.answer.prompt import piece_ends

        end = len(tokens) - 1  # the last token is read by the writing context
        head = _system_turn(text, messages, self._formatter().eos_token)
        start = len(head) if head else 0
        pieces, last = [], 0
        for a in ([start] if head else []) + [start + e for e in piece_ends(text[start:])]:
            n = len(piece := tokenize(text[:a]))
            # a split that tokenizes differently from the whole prompt is not one
            if n - last >= self.MIN_PIECE and n < end and tokens[:n] == piece:
                pieces.append(n)
                last = n
        return pieces

    def _read_in_pieces(self, tokens: list[int], pieces: list[int]) -> None:
        """Read `tokens` but the last with the reader (the bf16 copy, else the GGUF itself), piece
        by piece from the longest head the prompt cache holds, keeping the state after each
        piece; then hand the cache to the writing context."""
        ctx = self.reader or self.llm
        start = self.prompt_cache.last_hit = 0
        for n in reversed(pieces):
            if self.prompt_cache.restore(tokens[:n], ctx):
                start = self.prompt_cache.last_hit = n
                break
        else:
            ctx.reset()
        for n in [p for p in pieces if p > start] + [len(tokens) - 1]:
            ctx.eval(tokens[start:n])
            if n in pieces:
                self.prompt_cache.keep(tokens[:n], ctx, pieces.index(n))
            start = n
        if ctx is not self.llm:
            _hand_over(ctx, self.llm)

    def _read(self, tokens: list[int]) -> None:
        """Read the rest of a prompt that continues the previous one, up to its last token, with
        the bf16 reader if there is one and enough to read, and leave the result in the main
        context's cache (see the class docstring)."""
        llm, reader = self.llm, self.reader
        if reader is None:
            return
        same = _cached(llm, tokens)
        if len(tokens) - 1 - same < self.MIN_READ:
            return
        llm.n_tokens = same
        llm._ctx.kv_cache_seq_rm(-1, same, -1)  # what followed the shared part is not handed on
        _hand_over(llm, reader)
        reader.eval(tokens[same:-1])
        _hand_over(reader, llm)

    def _formatter(self):
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        if self._chat_formatter is None:
            llm = self.llm
            text = lambda t: llm._model.token_get_text(t) if t != -1 else ""  # noqa: E731
            self._chat_formatter = Jinja2ChatFormatter(
                template=llm.metadata["tokenizer.chat_template"], eos_token=text(llm.token_eos()),
                bos_token=text(llm.token_bos()), stop_token_ids=[llm.token_eos()])
        return self._chat_formatter

    def tokens(self, messages: list[dict]) -> list[int]:
        """The chat's prompt as the model reads it, in tokens (nothing is read)."""
        prompt = self._formatter()(messages=messages)
        return self.llm.tokenize(prompt.prompt.encode("utf-8"), add_bos=not prompt.added_special,
                                 special=True)

    def info(self) -> dict:
        return {"name": self.name, "runtime": "llama.cpp", "dtype": "q4_k_m", "path": self.path,
                "prefill": "bf16" if self.reader is not None else "q4_k_m"}


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
                return {w: sum(p for tok, p in pairs if tok in _variants(w)) for w in words}
            reply = (choice.get("message") or {}).get("content")
        if reply is None:
            reply = "".join(self.stream(messages, 3))
        first = (reply.strip().split() or [""])[0].strip(".,!:;")
        return {w: float(first in _variants(w)) for w in words}

    def info(self) -> dict:
        return {"name": self.name, "runtime": "openai", "url": self.url}


class PromptCache:
    """llama.cpp caches of prompt heads (a system turn, then each passage after it), by their
    tokens, the least recently used dropped past `max_bytes`. A chat about the same articles
    reads a passage once: the next question that puts the same passages first starts after them.
    A head of n tokens holds n tokens' keys and values (28 KB a token for the 1.5B model), so
    each is stored whole; what one shares with a longer one is not shared in memory."""

    def __init__(self, max_bytes: int):
        from collections import OrderedDict

        self.max_bytes = max_bytes
        self.bytes = 0
        self.last_hit = 0  # tokens the last new prompt found here
        self._states: OrderedDict = OrderedDict()  # tuple of tokens -> (piece no., state)

    def __len__(self) -> int:
        return len(self._states)

    def restore(self, tokens: list[int], llm) -> bool:
        key = tuple(tokens)
        if key not in self._states:
            return False
        self._states.move_to_end(key)
        _put_state(llm, self._states[key][1], key)
        return True

    def keep(self, tokens: list[int], llm, piece: int) -> None:
        """Save `llm`'s cache, which holds `tokens`, the prompt's head up to the end of its
        `piece`-th piece (0: the system turn)."""
        key = tuple(tokens)
        if key in self._states or self.max_bytes <= 0:
            return
        data = _state(llm)
        self._states[key] = (piece, data)
        self.bytes += len(data)
        while self.bytes > self.max_bytes and len(self._states) > 1:
            self.bytes -= len(self._states.popitem(last=False)[1][1])

    def forget(self, from_piece: int = 0) -> None:
        """Drop the heads of `from_piece` pieces or more (1: keep only the system turns, as a
        question about passages not read before finds them)."""
        for key in [k for k, (piece, _) in self._states.items() if piece >= from_piece]:
            self.bytes -= len(self._states.pop(key)[1])


def _cached(llm, tokens: list[int]) -> int:
    """How many of the prompt's tokens, its last aside, llama.cpp's cache already holds: the
    last is always read again, for the logits of the next token."""
    same = 0
    for a, b in zip(llm.input_ids[:llm.n_tokens], tokens[:-1]):
        if a != b:
            break
        same += 1
    return same


def _hand_over(src, dst) -> None:
    """Copy llama.cpp context `src`'s cache (its tokens and their keys and values) to `dst`, a
    context of the same model architecture: a cache holds activations, not weights, so one
    read with bf16 weights serves one that decodes with Q4_K_M weights."""
    _put_state(dst, _state(src), src.input_ids[:src.n_tokens])


def _state(llm):
    """The keys and values llama.cpp context `llm` holds for its one sequence, as bytes."""
    import ctypes

    import llama_cpp

    size = llama_cpp.llama_state_seq_get_size(llm._ctx.ctx, 0)
    buf = (ctypes.c_uint8 * int(size))()
    n = int(llama_cpp.llama_state_seq_get_data(llm._ctx.ctx, buf, size, 0))
    return buf if n == size else (ctypes.c_uint8 * n).from_buffer_copy(buf)


def _put_state(llm, data, tokens) -> None:
    """Make `data` (from `_state`, holding `tokens`) context `llm`'s cache, replacing what it
    held."""
    import llama_cpp

    if int(llama_cpp.llama_state_seq_set_data(llm._ctx.ctx, data, len(data), 0)) != len(data):
        raise RuntimeError("llama.cpp did not take the saved prompt state")
    llm.input_ids[:len(tokens)] = tokens
    llm.n_tokens = len(tokens)


def _system_turn(prompt: str, messages: list[dict], end: str) -> str | None:
    """The prompt's text up to the end of its system turn (`end`, the template's end-of-turn
    token), or None when it has none."""
    if not messages or messages[0].get("role") != "system" or not end:
        return None
    at = prompt.find(messages[0]["content"])
    stop = prompt.find(end, at + len(messages[0]["content"])) if at >= 0 else -1
    return prompt[:stop + len(end)] if stop >= 0 else None


def _first_tokens(encode, word: str) -> set[int]:
    """The ids a reply starting with `word` can start with: the first token of each of its
    capitalisations (a tokenizer may split "Yes" differently from "yes")."""
    return {ids[0] for v in _variants(word) if (ids := encode(v))}
