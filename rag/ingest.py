"""Reading articles from files and folders: .txt, .md, .html/.htm, and .jsonl (one article a line).

What it does: decodes text strictly as UTF-8, reads metadata (front-matter `title:`/`date:`/`url:`
lines, a leading `date YYYY-MM-DD` marker, HTML `<title>`/meta tags) without indexing it as text,
keeps only the main text of HTML, and gives every article a stable id (the given id, else the path
relative to the source that was named). Bad input never stops a run: each problem becomes a
`Skipped(source, reason)` and the rest goes on.

Left out: PDFs and office formats (convert them to text first), and fetching URLs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from rag.errors import ArticleError
from rag.types import Article

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".jsonl"}
MAX_FILE_BYTES = 20 * 1024 * 1024  # an article past this is almost surely not an article
MAX_ARTICLE_CHARS = 2_000_000


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str


_DATE_MARKER = re.compile(r"^\s*date[:\s]\s*(\d{4}-\d{2}-\d{2})\b[ \t]*\n?", re.IGNORECASE)
_FRONT_LINE = re.compile(r"^(title|date|url)\s*:\s*(.*)$", re.IGNORECASE)
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def read_sources(paths: list[str | Path], max_bytes: int = MAX_FILE_BYTES
                 ) -> tuple[list[Article], list[Skipped]]:
    """Read every article under the given files and folders; bad ones are reported, not raised."""
    articles: list[Article] = []
    skipped: list[Skipped] = []
    seen: dict[str, str] = {}
    for raw in paths:
        root = Path(raw)
        if not root.exists():
            skipped.append(Skipped(str(raw), "no such file or folder"))
            continue
        for path, rel in _walk(root):
            try:
                found, problems = read_file(path, rel, root=str(root.resolve()), max_bytes=max_bytes)
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
    return articles, skipped


def _walk(root: Path) -> Iterator[tuple[Path, str]]:
    if root.is_file():
        yield root, root.name
        return
    for p in sorted(root.rglob("*")):
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts):
            yield p, p.relative_to(root).as_posix()


def read_file(path: Path, rel: str, root: str | None = None, max_bytes: int = MAX_FILE_BYTES
              ) -> tuple[list[Article], list[Skipped]]:
    """Articles in one file, and the bad lines of a .jsonl file (each skipped alone).

    Raises ArticleError (file and reason) for a file that can't be used at all.
    """
    suffix = path.suffix.lower()
    if suffix not in TEXT_SUFFIXES:
        raise ArticleError(str(path), f"unsupported type {suffix or '(none)'}: use "
                           ".txt, .md, .html or .jsonl")
    size = path.stat().st_size
    if size == 0:
        raise ArticleError(str(path), "empty file")
    if size > max_bytes:
        raise ArticleError(str(path), f"too large ({size:,} bytes, limit {max_bytes:,}): "
                           "split it into smaller articles")
    text = decode(path.read_bytes(), str(path))
    src = str(path)
    if suffix == ".jsonl":
        return _read_jsonl(text, src, root)
    if suffix in (".html", ".htm"):
        art = parse_html(text, rel, src)
    else:
        art = parse_text(text, rel, src, markdown=suffix in (".md", ".markdown"))
    return [_checked(Article(art.id, art.title, art.text, art.date, art.url, src, root), src)], []


def decode(data: bytes, source: str) -> str:
    if b"\x00" in data[:8192]:
        raise ArticleError(source, "binary file (contains NUL bytes): not an article")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
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


def first_sentence(body: str, limit: int = 100) -> str:
    line = next((ln.strip() for ln in body.splitlines() if ln.strip()), "")
    m = re.search(r"(?<=[.!?])[\"'”’)]*\s", line)
    sent = line[: m.start()].strip() if m else line
    if len(sent) > limit:
        sent = sent[:limit].rsplit(" ", 1)[0] + "…"
    return sent


def parse_html(html: str, article_id: str, source: str = "") -> Article:
    """Main text of an HTML page: no scripts, styles, navigation, headers, footers or forms."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    title = (soup.title.get_text(" ", strip=True) if soup.title else "") or None
    date = _meta(soup, "date", "article:published_time", "dc.date", "pubdate")
    url = _meta(soup, "og:url")
    canon = soup.find("link", rel="canonical")
    if canon and canon.get("href"):
        url = canon["href"]
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "aside", "form",
                     "iframe", "svg", "template", "button"]):
        tag.decompose()
    main = soup.find("article") or soup.find("main") or soup.body or soup
    h1 = main.find("h1")
    if not title and h1:
        title = h1.get_text(" ", strip=True)
    blocks = []
    for el in main.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "blockquote",
                             "td", "th", "dt", "dd"]):
        if el.find(["p", "li", "blockquote"]):  # a container: its children are taken instead
            continue
        t = re.sub(r"\s+", " ", el.get_text(" ", strip=True)).strip()
        if t:
            blocks.append(t)
    body = "\n\n".join(blocks) if blocks else re.sub(r"[ \t]+", " ", main.get_text("\n", strip=True))
    if date:
        date = date[:10]
    return Article(article_id, title or first_sentence(body), body, date, url, source)


def _meta(soup, *names: str) -> str | None:
    for n in names:
        tag = soup.find("meta", attrs={"name": n}) or soup.find("meta", attrs={"property": n})
        if tag and tag.get("content"):
            return tag["content"].strip()
    return None


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
