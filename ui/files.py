"""Serving the PDFs an index was built from, so a citation's "p. 3" opens the file at page 3.

    GET /api/files/{article id}   the article's PDF, inline (the browser's viewer reads #page=N)

Only PDFs of articles in the served index are served, looked up by article id: the path comes from
the index (where the file was found when indexed), never from the request, so nothing else on the
disk can be asked for. A file that has moved or is no longer a PDF is a 404 that says so.
Left out: serving other formats (an HTML article served from here could run its scripts on this
origin; text and Word passages are shown in full in the sources panel instead).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, JSONResponse

from rag.types import Article


def article_file(article: Article) -> Path | None:
    """Where an indexed article's file is now: under the folder it was indexed from (by its id,
    the path relative to that folder), or the file that was named itself, or its recorded path."""
    candidates = []
    if article.root:
        root = Path(article.root)
        candidates += [root] if root.is_file() else [root / article.id]
    if article.source:
        candidates.append(Path(article.source))
    for path in candidates:
        if path.is_file():
            return path
    return None


def build_files_router(pipeline) -> APIRouter:
    router = APIRouter()

    @router.get("/api/files/{article_id:path}")
    def pdf(article_id: str):
        art = pipeline.index.articles.get(article_id)
        if art is None or not (art.source or "").lower().endswith(".pdf"):
            return _missing(f"no PDF article {article_id!r} in this index")
        path = article_file(art)
        if path is None:
            return _missing(f"{article_id}: the file is no longer at {art.source}")
        with open(path, "rb") as f:
            if b"%PDF-" not in f.read(1024):
                return _missing(f"{article_id}: {path.name} is no longer a PDF")
        return FileResponse(path, media_type="application/pdf", headers={
            "Content-Disposition": f'inline; filename="{_ascii(path.name)}"',
            "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"})

    return router


def _missing(message: str) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=404)


def _ascii(name: str) -> str:
    return "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name)
