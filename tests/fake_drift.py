"""A plugin that serves other vectors under the fake embedder's name: what an embedding endpoint
looks like after its model was swapped behind the same name (tests/test_remote_embedder.py)."""

from __future__ import annotations

import numpy as np

from rag import registry
from tests.fakes import FakeEmbedder


class DriftedEmbedder(FakeEmbedder):
    def embed(self, texts, batch_size=32, progress=False):
        return np.roll(super().embed(texts, batch_size, progress), 1, axis=1)


registry.register_embedder("fake-hash", DriftedEmbedder)
