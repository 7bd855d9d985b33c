"""llama.cpp's prompt cache: the states after prompt heads (a system turn, then each passage),
kept by their tokens, and the ctypes calls that save, restore and hand over a context's state.

A chat about the same articles reads a passage once: the next question that puts the same
passages first starts after them (rag.answer.runtimes.llamacpp). A state holds activations, not
weights, so one read with bf16 weights serves a context that decodes with Q4_K_M weights. Left
out: sharing memory between heads (each head is stored whole).
"""

from __future__ import annotations


class PromptCache:
    """llama.cpp caches of prompt heads (a system turn, then each passage after it), by their
    tokens, the least recently used dropped past `max_bytes`. A chat about the same articles
    reads a passage once: the next question that puts the same passages first starts after them.
    A head of n tokens holds n tokens' keys and values, so each is stored whole; what one shares
    with a longer one is not shared in memory."""

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
        put_state(llm, self._states[key][1], key)
        return True

    def keep(self, tokens: list[int], llm, piece: int) -> None:
        """Save `llm`'s cache, which holds `tokens`, the prompt's head up to the end of its
        `piece`-th piece (0: the system turn)."""
        key = tuple(tokens)
        if key in self._states or self.max_bytes <= 0:
            return
        data = state(llm)
        self._states[key] = (piece, data)
        self.bytes += len(data)
        while self.bytes > self.max_bytes and len(self._states) > 1:
            self.bytes -= len(self._states.popitem(last=False)[1][1])

    def forget(self, from_piece: int = 0) -> None:
        """Drop the heads of `from_piece` pieces or more (1: keep only the system turns, as a
        question about passages not read before finds them)."""
        for key in [k for k, (piece, _) in self._states.items() if piece >= from_piece]:
            self.bytes -= len(self._states.pop(key)[1])


def cached(llm, tokens: list[int]) -> int:
    """How many of the prompt's tokens, its last aside, llama.cpp's cache already holds: the
    last is always read again, for the logits of the next token."""
    same = 0
    for a, b in zip(llm.input_ids[:llm.n_tokens], tokens[:-1]):
        if a != b:
            break
        same += 1
    return same


def hand_over(src, dst) -> None:
    """Copy llama.cpp context `src`'s cache (its tokens and their keys and values) to `dst`, a
    context of the same model architecture: a cache holds activations, not weights, so one
    read with bf16 weights serves one that decodes with Q4_K_M weights."""
    put_state(dst, state(src), src.input_ids[:src.n_tokens])


def state(llm):
    """The keys and values llama.cpp context `llm` holds for its one sequence, as bytes."""
    import ctypes

    import llama_cpp

    size = llama_cpp.llama_state_seq_get_size(llm._ctx.ctx, 0)
    buf = (ctypes.c_uint8 * int(size))()
    n = int(llama_cpp.llama_state_seq_get_data(llm._ctx.ctx, buf, size, 0))
    return buf if n == size else (ctypes.c_uint8 * n).from_buffer_copy(buf)


def put_state(llm, data, tokens) -> None:
    """Make `data` (from `state`, holding `tokens`) context `llm`'s cache, replacing what it
    held."""
    import llama_cpp

    if int(llama_cpp.llama_state_seq_set_data(llm._ctx.ctx, data, len(data), 0)) != len(data):
        raise RuntimeError("llama.cpp did not take the saved prompt state")
    llm.input_ids[:len(tokens)] = tokens
    llm.n_tokens = len(tokens)
