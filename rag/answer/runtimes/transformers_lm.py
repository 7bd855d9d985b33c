"""The transformers runtime: a causal language model run by transformers on the CPU, greedy,
streaming, in bf16 where the CPU computes it natively (rag.models.weights.cpu_has_bf16), else
fp32. The packaged GGUFs are converted once to bf16 safetensors for it (rag.models.weights), so
that loading is a plain read rather than a dequantisation each time.

Registered as "transformers" (rag.registry). Left out: prompt caching across questions (the
llama.cpp runtime has it) and sampling.
"""

from __future__ import annotations

import threading
from typing import Iterator

from rag import registry
from rag.answer.runtimes.generator import (AnswerStart, FifoLock, first_tokens, marker_tokens,
                                          refusal_tokens)
from rag.errors import ModelMissing
from rag.models.weights import cpu_has_bf16, prepare_generator


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
        tok = self.tokenizer  # scanned once at load, not in every answer
        self._markers = marker_tokens(lambda i: tok.decode([i]), len(tok))
        self._refusal = refusal_tokens(lambda t: tok.encode(t, add_special_tokens=False))

    def stream(self, messages: list[dict], max_new_tokens: int = 200,
               stop: threading.Event | None = None,
               confidence: list | None = None, bar_refusal: bool = False) -> Iterator[str]:
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
            start = AnswerStart(enc["input_ids"].shape[1], self._markers,
                                 self.tokenizer.eos_token_id, confidence,
                                 self._refusal if bar_refusal else None)

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
        return {w: float(sum(probs[i] for i in first_tokens(encode, w))) for w in words}

    def info(self) -> dict:
        return {"name": self.name, "runtime": "transformers", "dtype": self.dtype,
                "path": self.path}


def load(name: str, threads: int = 0, **_) -> TransformersGenerator:
    return TransformersGenerator(name, threads=threads or None)


registry.register_runtime("transformers", load)
