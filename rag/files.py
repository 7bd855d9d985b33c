"""File helpers shared by the index, the model cache and the evaluation.

`atomic_write` replaces a file's text so that a reader (or a machine that loses power) sees the
old text or the new, never a torn one: it writes a temporary file beside it, flushes it to disk,
renames it over the target and flushes the folder. `sha256_file` hashes a file in blocks, so a
large one never sits in memory whole. Left out: locking (rag.index.versions holds the index's).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def sha256_file(path: Path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()
