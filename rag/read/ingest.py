"""Reading articles from files and folders: .txt, .md, .html/.htm, .jsonl (one article a line),
.pdf and .docx.

What it does: decodes text strictly as UTF-8, reads metadata (front-matter `title:`/`date:`/`url:`
lines, a leading `date YYYY-MM-DD` marker) without indexing it as text, hands HTML to
rag.read.webpage (the story, its headline, author and date) and PDF and Word files to rag.read.pdf
and rag.read.word (which keep their pages and headings), and gives every article a stable id (the
given id, else the path relative to the source that was named). A PDF or Word file whose bytes match
one already read (`known`, by digest) is not read again. Bad input never stops a run: each problem
becomes a `Skipped(source, reason)` and the rest goes on.

Left out: other office formats (.doc, .odt, .pptx: save them as .docx or PDF), and fetching URLs.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator

from rag.errors import ArticleError
from rag.read.walk import walk
from rag.read.webpage import parse_html
from rag.text import first_sentence
from rag.types import Article

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".jsonl"}
DOCUMENT_SUFFIXES = {".pdf", ".docx"}
MAX_FILE_BYTES = 20 * 1024 * 1024  # an article past this is almost surely not an article
MAX_DOCUMENT_BYTES = 200 * 1024 * 1024  # PDFs carry images and fonts: far more bytes than text
MAX_ARTICLE_CHARS = 2_000_000
MAX_DOCUMENT_CHARS = 6_000_000  # a report or book of well over a thousand pages
# Bumped when the PDF or Word reading changes, so that files read the old way are read again.
READER_VERSION = "1"
_ADVICE = {".doc": "the old Word format: save it as .docx", ".odt": "save it as .docx or PDF",
           ".rtf": "save it as .docx or PDF", ".pptx": "save it as PDF",
           ".xlsx": "not an article", ".epub": "convert it to PDF or text"}
# Called as pages are read: (file, pages done, pages in all).
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str


_DATE_MARKER = re.compile(r"^\s*date[:\s]\s*(\d{4}-\d{2}-\d{2})\b[ \t]*\n?", re.IGNORECASE)
_FRONT_LINE = re.compile(r"^(title|date|url)\s*:\s*(.*)$", re.IGNORECASE)
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def read_sources(paths: list[str | Path], max_bytes: int = MAX_FILE_BYTES,
                 known: dict[str, Article] | None = None, progress: Progress | None = None
                 ) -> tuple[list[Article], list[Skipped]]:
    """Read every article under the given files and folders; bad ones are reported, not raised.

    `known`: articles already read from PDF or Word files, by digest; a file with the same bytes
    gives that article again (under its own id and path) without being read.
    """
    articles: list[Article] = []
    skipped: list[Skipped] = []
    seen: dict[str, str] = {}
    for raw in paths:
        root = Path(raw)
        if not root.exists():
            skipped.append(Skipped(str(raw), "no such file or folder"))
            continue
        for path, rel in _walk(root, skipped):
            try:
                found, problems = read_file(path, rel, root=str(root.resolve()),
                                            max_bytes=max_bytes, known=known, progress=progress)
                skipped.extend(problems)
                for art in found:
                    if art.id in seen:
                        skipped.append(Skipped(
                            f"{path}", f"article id {art.id!r} already came from {seen[art.id]}; "
                            "give it another id or remove the duplicate"))
                        continue
                    seen[art.id] = str(path)
                    articles.append(art)
            except ArticleError as e:
                skipped.append(Skipped(e.source, e.reason))
            except OSError as e:  # unreadable (chmod 000), vanished, a path too long...
                skipped.append(Skipped(str(path), f"cannot be read ({e.strerror or e})"))
    return articles, skipped


def _walk(root: Path, skipped: list[Skipped]) -> Iterator[tuple[Path, str]]:
    """The files under a named source (rag.read.walk), the passed-over ones added to `skipped`."""
    if root.is_file():
        yield root, root.name
        return
    yield from walk(root, lambda where, why: skipped.append(Skipped(where, why)))


def read_file(path: Path, rel: str, root: str | None = None, max_bytes: int = MAX_FILE_BYTES,
              known: dict[str, Article] | None = None, progress: Progress | None = None
              ) -> tuple[list[Article], list[Skipped]]:
    """Articles in one file, and the bad lines of a .jsonl file (each skipped alone).

    Raises ArticleError (file and reason) for a file that can't be used at all.
    """
    suffix = path.suffix.lower()
    if suffix not in TEXT_SUFFIXES | DOCUMENT_SUFFIXES:
        advice = _ADVICE.get(suffix, "use .txt, .md, .html, .jsonl, .pdf or .docx")
        raise ArticleError(str(path), f"unsupported type {suffix or '(none)'}: {advice}")
    size = path.stat().st_size
    if size == 0:
        raise ArticleError(str(path), "empty file")
    limit = MAX_DOCUMENT_BYTES if suffix in DOCUMENT_SUFFIXES else max_bytes
    if size > limit:
        raise ArticleError(str(path), f"too large ({size:,} bytes, limit {limit:,}): "
                           "split it into smaller articles")
    src = str(path)
    if suffix in DOCUMENT_SUFFIXES:
        return [_document(path, rel, src, root, known, progress)], []
    text = decode(path.read_bytes(), src, html=suffix in (".html", ".htm"))
    if suffix == ".jsonl":
        return _read_jsonl(text, src, root)
    if suffix in (".html", ".htm"):
        art = parse_html(text, rel, src)
    else:
        art = parse_text(text, rel, src, markdown=suffix in (".md", ".markdown"))
    return [_checked(replace(art, source=src, root=root), src)], []


def _document(path: Path, rel: str, src: str, root: str | None,
              known: dict[str, Article] | None, progress: Progress | None) -> Article:
    """A PDF or Word file as an article; the one already read when its bytes are unchanged."""
    data = path.read_bytes()
    suffix = path.suffix.lower()
    digest = document_digest(data, suffix)
    if known and digest in known:
        return replace(known[digest], id=rel, source=src, root=root)
    if suffix == ".pdf":
        from rag.read.pdf import read_pdf

        doc = read_pdf(data, src, (lambda done, total: progress(src, done, total))
                       if progress else None)
    else:
        from rag.read.word import read_docx

        doc = read_docx(data, src)
    if len(doc.text) > MAX_DOCUMENT_CHARS:
        raise ArticleError(src, f"text too long ({len(doc.text):,} characters, limit "
                           f"{MAX_DOCUMENT_CHARS:,}): split the document")
    title = doc.title or first_sentence(doc.text)
    return Article(rel, title, doc.text, doc.date, None, src, root, doc.pages, doc.headings,
                   digest, doc.author)


def document_digest(data: bytes, suffix: str) -> str:
    """sha256 of the bytes and of how they are read (this reader's and the library's versions)."""
    if suffix == ".pdf":
        from pypdf import __version__ as lib
    else:
        from docx import __version__ as lib
    h = hashlib.sha256(f"{suffix}:{READER_VERSION}:{lib}:".encode())
    h.update(data)
    return h.hexdigest()


_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_-]+)""", re.IGNORECASE)


def decode(data: bytes, source: str, html: bool = False) -> str:
    """UTF-8 text; a web page may also be in the encoding its <meta charset> declares (pages
    saved from older sites are often windows-1252)."""
    if b"\x00" in data:  # anywhere: text after the first block may be a binary tail
        raise ArticleError(source, "binary file (contains NUL bytes): not an article")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        declared = _CHARSET.search(data[:4096]) if html else None
        if declared:
            try:
                return data.decode(declared.group(1).decode("ascii"))
            except (LookupError, UnicodeDecodeError):
                pass
        raise ArticleError(source, f"not UTF-8 text (bad byte at offset {e.start}): "
                           "save it as UTF-8") from None


def _checked(art: Article, source: str) -> Article:
    if not art.text.strip():
        raise ArticleError(source, "no text left after reading its metadata")
    if len(art.text) > MAX_ARTICLE_CHARS:
        raise ArticleError(source, f"article text too long ({len(art.text):,} characters, "
                           f"limit {MAX_ARTICLE_CHARS:,}): split it")
    return art


def parse_text(text: str, article_id: str, source: str = "", markdown: bool = False) -> Article:
    """Split metadata from body: front matter (`---` block or leading key lines), a date marker."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    meta: dict[str, str] = {}
    body = text
    stripped = body.lstrip()
    if stripped.startswith("---\n"):
        end = stripped.find("\n---", 4)
        if end != -1:
            for line in stripped[4:end].splitlines():
                m = _FRONT_LINE.match(line.strip())
                if m:
                    meta[m.group(1).lower()] = m.group(2).strip().strip("\"'")
            body = stripped[end + 4:].lstrip("\n")
    else:
        lines = body.lstrip("\n").split("\n")
        i = 0
        while i < len(lines) and (m := _FRONT_LINE.match(lines[i].strip())) and lines[i].strip():
            meta[m.group(1).lower()] = m.group(2).strip().strip("\"'")
            i += 1
        if i:
            body = "\n".join(lines[i:]).lstrip("\n")
    if "date" not in meta:
        m = _DATE_MARKER.match(body)
        if m:
            meta["date"] = m.group(1)
            body = body[m.end():]
    body = body.strip()
    title = meta.get("title") or (_first_heading(body) if markdown else None) or first_sentence(body)
    return Article(article_id, title, body, meta.get("date") or None, meta.get("url") or None, source)


def _first_heading(body: str) -> str | None:
    m = _MD_HEADING.search(body)
    return m.group(1).strip() if m else None


def _read_jsonl(text: str, source: str, root: str | None) -> tuple[list[Article], list[Skipped]]:
    """One article a line. A bad line is skipped alone, named by its line number."""
    good: list[Article] = []
    bad: list[Skipped] = []
    if _is_question_set(text):
        return [], [Skipped(source, 'a question set (lines have "question", not "text"): '
                            "not indexed; evaluate it with `rag eval`")]
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{source}:{n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            bad.append(Skipped(where, f"not JSON ({e.msg})"))
            continue
        if not isinstance(obj, dict) or not str(obj.get("id") or "").strip() \
                or not isinstance(obj.get("text"), str) or not obj["text"].strip():
            bad.append(Skipped(where, 'needs a non-empty "id" and "text"'))
            continue
        body = obj["text"].replace("\r\n", "\n").strip()
        title = str(obj.get("title") or "").strip() or first_sentence(body)
        date = obj.get("date")
        try:
            good.append(_checked(Article(str(obj["id"]).strip(), title, body,
                                         str(date)[:10] if date else None,
                                         obj.get("url") or None, where, root), where))
        except ArticleError as e:
            bad.append(Skipped(where, e.reason))
    return good, bad


def _is_question_set(text: str) -> bool:
    for line in text.splitlines():
        if line.strip():
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                return False
            return isinstance(obj, dict) and "question" in obj and "text" not in obj
    return False
