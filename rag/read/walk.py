"""Finding the files under a folder to index, and saying why any were passed over.

`walk(root, skip)` yields `(path, id)` for each regular file under `root`, in sorted order, with
its path relative to `root` as its id; hidden files and folders (a name starting with ".") are
left out silently. Everything else it does not yield it reports, through `skip(path, reason)`,
and goes on:

    a folder it cannot list (no permission)
    a folder nested deeper than MAX_DEPTH below the root
    a link that leads out of the root (`passwd.txt -> /etc/passwd`): never followed
    a link to a folder already read on this walk (a loop, or a second way to the same files)
    a link that leads nowhere, and anything that is not a regular file or folder (a FIFO would
    block the reader)

The walk keeps its own stack, so no depth of folders can exhaust Python's recursion. Left out:
reading the files (rag.read.ingest), and a file that cannot be opened (reported when it is read).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Callable, Iterator

MAX_DEPTH = 64  # folders below the root; news archives go a few levels deep, not dozens

Skip = Callable[[str, str], None]


def walk(root: Path, skip: Skip) -> Iterator[tuple[Path, str]]:
    base = root.resolve()
    seen: dict[tuple[int, int], str] = {}
    listed = _list(root, "", skip, seen)
    # Depth first through sorted names, so the ids come out sorted as a whole (a/x before b).
    stack = [(iter(listed or ()), "", 0)]
    while stack:
        entries, prefix, depth = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        if entry.name.startswith("."):
            continue
        path, rel = Path(entry.path), prefix + entry.name
        kind = _kind(path, base, skip)
        if kind == "file":
            yield path, rel
        elif kind == "dir":
            if depth + 1 > MAX_DEPTH:
                skip(str(path), f"nested more than {MAX_DEPTH} folders deep: not read")
                continue
            inner = _list(path, rel, skip, seen)
            if inner is not None:
                stack.append((iter(inner), rel + "/", depth + 1))


def _list(folder: Path, rel: str, skip: Skip, seen: dict) -> list | None:
    """A folder's entries by name; None (reported) when unlistable or already read."""
    try:
        st = folder.stat()
        key = (st.st_dev, st.st_ino)
        if key in seen:
            where = seen[key] or "the indexed folder"
            skip(str(folder), f"a link to a folder already read ({where}): a loop or a second "
                              "path to the same files, not followed")
            return None
        seen[key] = rel
        with os.scandir(folder) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError as e:
        skip(str(folder), f"cannot list this folder ({e.strerror or e})")
        return None


def _kind(path: Path, base: Path, skip: Skip) -> str | None:
    """"file", "dir", or None (reported through `skip`, or hidden)."""
    try:
        lst = path.lstat()
        if stat.S_ISLNK(lst.st_mode):
            target = path.resolve()
            if not target.is_relative_to(base):
                skip(str(path), f"a link to {target}, outside the indexed folder: not followed")
                return None
            mode = path.stat().st_mode
        else:
            mode = lst.st_mode
    except (OSError, RuntimeError) as e:  # RuntimeError: a link loop, on older Pythons
        skip(str(path), f"a link that leads nowhere ({getattr(e, 'strerror', None) or e})")
        return None
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    skip(str(path), "not a regular file (a pipe, socket or device): not read")
    return None
