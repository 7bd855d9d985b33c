"""Shared fixtures. Fast tests use the fakes in tests/fakes.py; tests marked `slow` use the real
packaged models, each loaded once per test session (the registry keeps one instance per process)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("RAG_PLUGINS", "tests.fakes")

from rag import registry  # noqa: E402
from rag.config import Config  # noqa: E402
from rag.index.chunking import ChunkParams  # noqa: E402
from rag.index.indexing import sync  # noqa: E402
from rag.pipeline import Pipeline  # noqa: E402
from rag.types import Chunk, Hit  # noqa: E402
from tests import fakes  # noqa: E402,F401 - registers the fake models

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


def hit(n: int, text: str, title: str = "T", date: str | None = None) -> Hit:
    """A retrieved passage of article "a", made up for a test."""
    return Hit(Chunk(f"a#{n}", "a", text, 0, len(text)), 0.9, title, date)


@pytest.fixture
def fake_config(tmp_path) -> Config:
    return Config(index=str(tmp_path / "index"), embedder="fake-hash", generator="fake-extractive",
                  k=3, chunk_tokens=60)


@pytest.fixture
def fake_index(fake_config) -> str:
    sync([SEEDS], fake_config.index, registry.embedder("fake-hash"),
         ChunkParams(fake_config.chunk_tokens, fake_config.chunk_overlap))
    return fake_config.index


@pytest.fixture
def fake_pipeline(fake_config, fake_index) -> Pipeline:
    return Pipeline.open(fake_config)


@pytest.fixture(scope="session")
def real_config(tmp_path_factory) -> Config:
    return Config(index=str(tmp_path_factory.mktemp("real") / "index"))


@pytest.fixture(scope="session")
def real_pipeline(real_config) -> Pipeline:
    """The seed articles indexed with the real embedder, answered by the real generator."""
    emb = registry.embedder(real_config.embedder)
    sync([SEEDS], real_config.index, emb,
         ChunkParams(real_config.chunk_tokens, real_config.chunk_overlap))
    return Pipeline.open(real_config, load_generator=True)
