"""The llama.cpp runtime: a GGUF model run by llama.cpp (llama-cpp-python), greedy, streaming.

llama.cpp runs the packaged Q4_K_M weights as they are, and decodes faster than transformers does
in bf16 (docs/cpu.md). A prompt that continues the previous one reuses its KV cache (what
`judge = 2` relies on). Any other is read in pieces, its system turn and each piece its messages
name (`Pieced`: each passage), starting after the longest head an earlier prompt left in the
prompt cache (rag.answer.runtimes.prompt_cache): in a chat about the same articles a question
whose passages were read before costs little more than its own words, and the same prompt still
always gets the same answer (`LlamaCppGenerator._pieces`).

Reading a prompt and writing an answer can want different weights on a CPU: reading is compute
bound, and on some CPUs llama.cpp's bf16 kernels (AVX-512 bf16) read faster than its Q4_K ones;
writing is memory bound, and Q4_K_M moves a third of the bytes. With `prefill` "bf16" a second
context over a bf16 copy of the same weights (`rag.models.weights.bf16_gguf_path`, lossless)
reads the prompt, all but its last token, and hands its KV cache to the Q4_K_M context, which
reads the last token and writes the answer (docs/cpu.md has the figures). The cost is a second,
larger copy of the weights mapped in memory, so "auto" uses it only where set-up measured it
faster here (`rag.models.choices`), or, unmeasured, where `rag.models.weights.bf16_prefill_pays`.

Registered as "llama.cpp" (rag.registry). Left out: sampling, and batching several questions.
"""

from __future__ import annotations

import threading
from typing import Iterator

import numpy as np

from rag import registry
from rag.answer.runtimes.generator import (AnswerStart, FifoLock, first_tokens, marker_tokens,
                                          refusal_tokens)
from rag.answer.runtimes.prompt_cache import PromptCache, cached, hand_over
from rag.errors import ModelMissing
from rag.models.weights import bf16_prefill_pays


class LlamaCppGenerator:
    """A GGUF model run by llama.cpp (llama-cpp-python), greedy, streaming (see the module
    docstring for how prompts are read)."""

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
        # scanned once at load, not in every answer
        self._markers = marker_tokens(
            lambda i: self.llm.detokenize([i]).decode("utf-8", "replace"), self.llm.n_vocab())
        self._refusal = refusal_tokens(
            lambda t: self.llm.tokenize(t.encode("utf-8"), add_bos=False, special=False))

    @staticmethod
    def auto_prefill(name: str) -> str:
        """What `prefill = "auto"` reads prompts with for `name`: the faster path set-up measured
        here (rag.models.choices), else the rule `bf16_prefill_pays`; "off" for other than
        packaged generators."""
        from rag.models import choices
        from rag.models.weights import GENERATORS

        if name not in GENERATORS:
            return "off"
        return choices.prefill(name) or ("bf16" if bf16_prefill_pays() else "off")

    def stream(self, messages: list[dict], max_new_tokens: int = 200,
               stop: threading.Event | None = None,
               confidence: list | None = None, bar_refusal: bool = False) -> Iterator[str]:
        from llama_cpp import LogitsProcessorList

        with self._lock:
            # starts from an empty cache unless it continues the previous prompt
            tokens = self._prompt_tokens(messages)
            self._read(tokens)
            n_prompt = len(tokens)
            process = AnswerStart(n_prompt, self._markers, self.llm.token_eos(), confidence,
                                  self._refusal if bar_refusal else None)
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
            same = cached(llm, tokens)
            llm.n_tokens = same
            llm.eval(tokens[same:])
            logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),))
            logits = logits.astype(np.float64)
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        encode = lambda t: llm.tokenize(t.encode("utf-8"), add_bos=False, special=False)  # noqa: E731
        return {w: float(sum(probs[i] for i in first_tokens(encode, w))) for w in words}

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
        the end of each piece its messages name (`Pieced`: each passage), at least `MIN_PIECE`
        tokens apart. The split points depend on the prompt alone, so a prompt is always
        computed in the same pieces and a head restored from the cache holds exactly the numbers
        reading it again would give: an answer never depends on what was asked before."""
        end = len(tokens) - 1  # the last token is read by the writing context
        head = _system_turn(text, messages, self._formatter().eos_token)
        start = len(head) if head else 0
        pieces, last = [], 0
        for a in ([start] if head else []) + _piece_ends(text, messages, start):
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
            hand_over(ctx, self.llm)

    def _read(self, tokens: list[int]) -> None:
        """Read the rest of a prompt that continues the previous one, up to its last token, with
        the bf16 reader if there is one and enough to read, and leave the result in the main
        context's cache (see the class docstring)."""
        llm, reader = self.llm, self.reader
        if reader is None:
            return
        same = cached(llm, tokens)
        if len(tokens) - 1 - same < self.MIN_READ:
            return
        llm.n_tokens = same
        llm._ctx.kv_cache_seq_rm(-1, same, -1)  # what followed the shared part is not handed on
        hand_over(llm, reader)
        reader.eval(tokens[same:-1])
        hand_over(reader, llm)

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


def _system_turn(prompt: str, messages: list[dict], end: str) -> str | None:
    """The prompt's text up to the end of its system turn (`end`, the template's end-of-turn
    token), or None when it has none."""
    if not messages or messages[0].get("role") != "system" or not end:
        return None
    at = prompt.find(messages[0]["content"])
    stop = prompt.find(end, at + len(messages[0]["content"])) if at >= 0 else -1
    return prompt[:stop + len(end)] if stop >= 0 else None


def _piece_ends(prompt: str, messages: list[dict], start: int) -> list[int]:
    """Offsets in the prompt just after each piece its messages name (`Pieced` content), found
    where each such content stands in the prompt, after `start` (the system turn)."""
    out, at = [], start
    for m in messages:
        content = m.get("content")
        ends = getattr(content, "piece_ends", ())
        if not ends:
            continue
        pos = prompt.find(content, at)
        if pos < 0:
            continue
        out += [pos + e for e in ends]
        at = pos + len(content)
    return out


def load(name: str, threads: int = 0, prefill: str = "auto", cache_mb: int = 512,
         **_) -> LlamaCppGenerator:
    return LlamaCppGenerator(name, threads=threads or None, prefill=prefill, cache_mb=cache_mb)


registry.register_runtime("llama.cpp", load)
