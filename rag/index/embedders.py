"""Embedders: the `Embedder` protocol and its sentence-transformers adapter.

An embedder turns texts into unit-length float32 vectors (so inner product = cosine) and counts
tokens the way it will read them (chunking uses that). `info()` is what the index manifest records,
so the index, not the caller, decides which model embeds queries.

Remote embedding APIs are rag.index.remote_embedder. torch is imported inside the adapter only.
"""

from __future__ import annotations

import os
from typing import Protocol

import numpy as np

from rag.errors import ModelMissing
from rag.models.weights import (DEFAULT_EMBEDDER, EMBEDDER_PACKAGE, EMBEDDER_SHA256, embedder_path,
                        weights_hash)


class Embedder(Protocol):
    name: str
    dim: int
    max_tokens: int

    def embed(self, texts: list[str], batch_size: int = 32, progress: bool = False
              ) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...

    def info(self) -> dict: ...


class SentenceTransformerEmbedder:
    """Any sentence-transformers model; the packaged all-MiniLM-L6-v2 by default."""

    def __init__(self, name: str, dtype: str = "float32", threads: int | None = None):
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        self.name = name
        self.path = embedder_path(name)
        try:
            self.model = SentenceTransformer(self.path, device="cpu", local_files_only=True)
        except Exception as e:  # noqa: BLE001 - any load failure means the same to the user
            raise ModelMissing(
                f"cannot load the embedder {name!r} from {self.path}: {e}. Install its package "
                "(./scripts/setup) or configure a local sentence-transformers folder") from e
        self.dtype = dtype
        if dtype == "bfloat16":
            self.model = self.model.to(torch.bfloat16)
        get_dim = getattr(self.model, "get_embedding_dimension", None) or \
            self.model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.max_tokens = int(self.model.max_seq_length)
        self.tokenizer = self.model.tokenizer
        self._hash = weights_hash(self.path) if os.path.isdir(self.path) else None
        if name == DEFAULT_EMBEDDER and self._hash != EMBEDDER_SHA256:
            raise ModelMissing(f"the packaged embedder at {self.path} does not match its sha256 "
                               f"(got {self._hash}): reinstall it with "
                               f"`pip install --force-reinstall {EMBEDDER_PACKAGE}`")

    def embed(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=progress)
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=True, truncation=False,
                                  verbose=False)["input_ids"])

    def info(self) -> dict:
        return {"name": self.name, "dim": self.dim, "max_tokens": self.max_tokens,
                "weights_sha256": self._hash, "dtype": self.dtype}
