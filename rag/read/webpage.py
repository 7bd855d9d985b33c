"""The main text, title, author, date and address of a saved web page.

trafilatura (Apache-2.0), a library made for this, finds the story among a page's navigation,
cookie banners, related-article lists, comments and footers, and reads the metadata where sites
put it (meta tags, JSON-LD, bylines, <time>). It was chosen by measurement against the
hand-written rules it replaced, on the saved pages that corpora/html_pages.py builds: figures and
how they were taken are in docs/ingest.md (bench/html_extraction.py reproduces them). It runs in
its precision mode, without comments, and is told no URL, so nothing is fetched.

The hand-written rules stay as the fallback: for a page trafilatura finds no text in (a bare
fragment, a page of only a table), and for a title when it finds none. Paragraphs come out
separated by blank lines; a list's items, and a table's rows ("| cell | cell |"), a line each.

Left out: fetching pages, and readers' comments (not the article's words).
"""

from __future__ import annotations

import logging
import re

from rag.text import first_sentence
from rag.types import Article

# They log what they discard at WARNING; the result says what was kept.
for _name in ("trafilatura", "htmldate", "courlan"):
    logging.getLogger(_name).setLevel(logging.ERROR)


def parse_html(html: str, article_id: str, source: str = "") -> Article:
    """The article in a saved page: trafilatura's reading, with the rules where it has nothing."""
    found = extract(html)
    if not found or not (found.get("text") or "").strip():
        return parse_html_rules(html, article_id, source)
    text = paragraphs(found["text"])
    title = found.get("title") or parse_html_rules(html, article_id, source).title
    date = (found.get("date") or "")[:10] or None
    return Article(article_id, title, text, date, found.get("url") or None, source,
                   author=found.get("author") or None)


_RULE = re.compile(r"^\|(?:\s*:?-+:?\s*\|)+$")  # a Markdown table's header rule: not text


def paragraphs(text: str) -> str:
    """trafilatura's text (a line a paragraph) with blank lines between paragraphs, but the items
    of one list and the rows of one table kept together, a line each."""
    out: list[str] = []
    kind = None
    for line in text.splitlines():
        line = line.strip()
        if not line or _RULE.match(line):
            continue
        now = "item" if line.startswith("- ") else "row" if line.startswith("|") else None
        if out:
            out.append("\n" if now and now == kind else "\n\n")
        out.append(line)
        kind = now
    return "".join(out)


def extract(html: str) -> dict | None:
    """trafilatura's reading of a page: text, title, author, date, url (None if it found none)."""
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(
            html, with_metadata=True, include_comments=False, include_tables=True,
            favor_precision=True)
    except Exception:  # noqa: BLE001 - a page it chokes on is read by the rules instead
        return None
    if doc is None:
        return None
    return {k: getattr(doc, k, None) for k in ("text", "title", "author", "date", "url")}


def parse_html_rules(html: str, article_id: str, source: str = "") -> Article:
    """The hand-written reading: no scripts, styles, navigation, headers, footers or forms; the
    first <article> or <main>, else the body; <title> and the usual meta tags."""
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
