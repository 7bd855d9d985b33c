"""Syncing an index as configured: the one way every front end brings an index in line with its
sources (`rag index`, `rag serve --sources`, `rag eval --articles`, the chat's uploads, the
benchmarks).

`sync_index` fills in what the configuration says (the index folder, the embedder and how it runs,
the chunking, where vectors live) and hands the rest to `rag.index.indexing.sync`, which reads,
chunks, embeds and writes only what changed. Left out: the mechanics of a sync (rag.index.indexing).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from rag import registry
from rag.config import Config
from rag.index.chunking import ChunkParams
from rag.index.indexing import Report, sync
from rag.read.ingest import Progress


def sync_index(sources: list[str | Path], config: Config | None = None, *,
               index: str | Path | None = None, embedder=None, as_built: bool = False,
               rebuild: bool = False, prune: bool = True,
               progress: Callable[[int, int], None] | None = None,
               reading: Progress | None = None, namespace: str | None = None) -> Report:
    """Bring `index` (default: the configured one) in line with `sources`: embedded by `embedder`
    (default: the configured one), cut by the configured chunking into the configured vector
    store. `as_built` keeps the index's own chunking and store whatever the configuration says,
    so that adding articles never rebuilds it (the chat's uploads). The other arguments are
    `rag.index.indexing.sync`'s."""
    config = config or Config()
    root = index or config.index
    if as_built:
        from rag.index.store import Index

        params, vectors = Index.open(root).chunking, None
    else:
        params, vectors = ChunkParams(config.chunk_tokens, config.chunk_overlap), config.vectors
    if embedder is None:
        embedder = registry.embedder(config.embedder, config.embedder_dtype, config.threads,
                                     config.embed_url)
    return sync(sources, root, embedder, params, rebuild=rebuild, prune=prune, progress=progress,
                vectors=vectors, reading=reading, namespace=namespace)
