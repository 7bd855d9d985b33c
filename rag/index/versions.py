"""An index folder's versions: `CURRENT` names the live version folder (`v-000007/`); a write
builds the next one beside it, then switches `CURRENT` (rag.index.store), and folders no longer
live are removed on the next write. `.lock` keeps two writers on one machine apart. Left out:
what a version holds (rag.index.store), and versions held in Milvus (rag.index.milvus_store).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path


def current(root: Path) -> str | None:
    """The name of the version `CURRENT` points at now (None if there is none)."""
    try:
        return (Path(root) / "CURRENT").read_text().strip() or None
    except OSError:
        return None


@contextmanager
def write_lock(root: Path):
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def next_seq(root: Path) -> int:
    seqs = [int(p.name[2:8]) for p in root.glob("v-*") if p.name[2:8].isdigit()]
    seqs += [int(p.name[3:9]) for p in root.glob(".v-*") if p.name[3:9].isdigit()]
    return max(seqs, default=0) + 1


def remove_stale(root: Path, keep: str) -> None:
    for p in list(root.glob("v-*")) + list(root.glob(".v-*")):
        if p.name != keep and p.is_dir():
            shutil.rmtree(p, ignore_errors=True)


def drop_folder_versions(root: Path) -> None:
    """Remove the folder's own versions (an index that moved into Milvus)."""
    (root / "CURRENT").unlink(missing_ok=True)
    remove_stale(root, keep="")


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
