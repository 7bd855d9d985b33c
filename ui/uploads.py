"""Articles added from the browser: checked, stored under safe names, indexed incrementally.

Files are accepted by type (.txt, .md, .html, .jsonl, .pdf, .docx) and size, copied to
`<index>/uploads/` under a name made only of letters, digits, dots, dashes and underscores
(prefixed `upload-`), and synced into the index with `rag.sync.sync_index(prune=False)` in the
`upload-` namespace: every uploaded article's id starts with `upload-` (a .jsonl line's own id
too), and one whose id another file already holds is refused with a message, so an upload never
replaces or shadows an article it did not add. Only the new or changed files are embedded, and
nothing else is removed. Re-uploading a file of the same name replaces its earlier version. PDF and Word files have their own, larger size limit.
Left out: deleting uploads from the browser (`rag remove ID` does it).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rag.index.indexing import Report
from rag.sync import sync_index

ALLOWED = (".txt", ".md", ".html", ".jsonl", ".pdf", ".docx")
MAX_BYTES = 2 * 1024 * 1024  # per text file: far above any news article, far below a memory problem
# PDF and Word files carry fonts and images: a long report is tens of megabytes of mostly those.
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
MAX_FILES = 20
NAMESPACE = "upload-"  # every uploaded article's id starts with it


@dataclass
class UploadResult:
    saved: list[str] = field(default_factory=list)  # stored names
    errors: list[str] = field(default_factory=list)  # one line per rejected or skipped file
    report: Report | None = None


def safe_name(original: str) -> str:
    """A name that cannot leave the uploads folder or surprise a shell: 'upload-<clean>.<ext>'."""
    base = Path(original.replace("\\", "/")).name
    stem, dot, ext = base.rpartition(".")
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem if dot else base).strip("_.-")[:80] or "article"
    return f"upload-{stem}.{ext.lower()}" if dot else f"upload-{stem}"


def store(files: list[tuple[str, str]], uploads_dir: Path) -> tuple[list[Path], list[str]]:
    """Copy (temporary path, original name) pairs that pass the checks; return them and errors."""
    uploads_dir.mkdir(parents=True, exist_ok=True)
    kept, errors = [], []
    if len(files) > MAX_FILES:
        errors.append(f"{len(files)} files at once; the limit is {MAX_FILES}: the first "
                      f"{MAX_FILES} were taken")
        files = files[:MAX_FILES]
    for tmp, original in files:
        name = Path(original).name
        ext = Path(name).suffix.lower()
        if ext not in ALLOWED:
            errors.append(f"{name}: type {ext or '(none)'} is not accepted; use "
                          f"{', '.join(ALLOWED)}")
            continue
        size = Path(tmp).stat().st_size
        limit = MAX_DOCUMENT_BYTES if ext in (".pdf", ".docx") else MAX_BYTES
        if size > limit:
            errors.append(f"{name}: {size:,} bytes is over the {limit:,}-byte limit")
            continue
        dest = uploads_dir / safe_name(name)
        shutil.copyfile(tmp, dest)
        kept.append(dest)
    return kept, errors


def add_uploads(files: list[tuple[str, str]], index_dir: str | Path, embedder,
                progress: Callable[[int, int], None] | None = None,
                reading: Callable[[str, int, int], None] | None = None) -> UploadResult:
    """Store the files and sync them into the index; the caller reloads its pipeline.
    `progress` follows the embedding, `reading(file, pages done, pages)` long PDFs' reading."""
    root = Path(index_dir)
    kept, errors = store(files, root / "uploads")
    result = UploadResult([p.name for p in kept], errors)
    if not kept:
        return result
    # As built (its own chunking and store), so that adding files never triggers a rebuild.
    result.report = sync_index(kept, index=root, embedder=embedder, as_built=True, prune=False,
                               progress=progress, reading=reading, namespace=NAMESPACE)
    for s in result.report.skipped:
        where, _, line = s.source.rpartition(":")
        name = Path(where if line.isdigit() else s.source).name
        result.errors.append(f"{name}{':' + line if line.isdigit() else ''}: {s.reason}")
        if not line.isdigit() and name in result.saved:
            # A file that could not be read at all is not kept: it would fail again next time.
            result.saved.remove(name)
            (root / "uploads" / name).unlink(missing_ok=True)
    return result
