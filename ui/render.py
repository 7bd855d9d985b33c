"""Rendering, as pure functions of the library's values: answers, sources, timings, index facts.

Every piece of article or model text goes through `esc`, which HTML-escapes it and also turns the
characters that Markdown, Gradio's HTML templates (`${...}`, `{{...}}`) or a link syntax could act
on into inert entities, so nothing inside an article can run, load or reformat anything in the
browser. Links are only made from http(s) URLs, and to the PDFs this server serves (ui.files),
opened at the page of the passage's supporting sentence ("p. 3" links to `...#page=3`); the
heading that sentence falls under is named too ("§ Results"). Left out: choosing what to cite or
which sentence supports a citation; those come ready-made in the `Answer`.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import quote

from rag.answer import small_talk
from rag.answer.reasons import why_refused
from rag.text import MARKER, marker_numbers
from rag.types import Answer, Citation, Hit

FILES_ROUTE = "api/files/"  # relative, so the links work under a proxy's path prefix too
# Characters that Markdown, Handlebars or JS template strings give meaning to, as entities.
_INERT = {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-!|~$:'\""}


def esc(text: str | None) -> str:
    """Text shown as text: HTML-escaped, and inert for Markdown and Gradio's templates."""
    # Quotes become decimal entities below: the chat's Markdown shows hex ones (&#x27;) verbatim.
    out = html.escape(text or "", quote=False)
    return "".join(_INERT.get(c, c) for c in out)


def answer_html(text: str, refused: bool = False, stopped: bool = False) -> str:
    """An answer for the chat: escaped text whose [n] markers point at the sources panel."""
    parts, pos = [], 0
    for m in MARKER.finditer(text):
        parts.append(esc(text[pos:m.start()]))
        nums = marker_numbers(m)
        parts.append("".join(f'<a class="cite" href="#source-{n}">&#91;{n}&#93;</a>' for n in nums))
        pos = m.end()
    parts.append(esc(text[pos:]))
    body = "".join(parts)
    if refused:
        body = f'<span class="refusal">{body}</span>'
    if stopped:
        body += ' <em class="stopped">(stopped)</em>'
    return body


def highlight(passage: str, sentence: str | None) -> str:
    """The passage, escaped, with the supporting sentence marked (if it is found in it)."""
    if sentence:
        i = passage.find(sentence)
        if i >= 0:
            j = i + len(sentence)
            return f"{esc(passage[:i])}<mark>{esc(passage[i:j])}</mark>{esc(passage[j:])}"
    return esc(passage)


def file_link(article_id: str, page: int | None = None) -> str:
    """Where this server serves an indexed PDF, opened at a page (browsers' viewers read #page)."""
    return FILES_ROUTE + quote(article_id, safe="/") + (f"#page={page}" if page else "")


def _served(hit: Hit) -> bool:
    return (hit.source or "").lower().endswith(".pdf")


def _origin(hit: Hit, support: str | None = None) -> str:
    bits = []
    page, heading = hit.chunk.where(support)
    if hit.date:
        bits.append(esc(hit.date))
    if hit.url and re.match(r"https?://", hit.url, re.I):
        url = html.escape(hit.url, quote=True)
        bits.append(f'<a href="{url}" target="_blank" rel="noopener noreferrer nofollow">'
                    f'{esc(hit.url)}</a>')
    elif hit.source and _served(hit):
        href = html.escape(file_link(hit.chunk.article_id, page), quote=True)
        bits.append(f'<a class="file" href="{href}" target="_blank" rel="noopener">'
                    f'{esc(Path(hit.source).name)}</a>')
    elif hit.source:
        bits.append(f'<span class="file">{esc(Path(hit.source).name)}</span>')
    if page is not None:
        label = f"p. {page}"
        if _served(hit):
            href = html.escape(file_link(hit.chunk.article_id, page), quote=True)
            bits.append(f'<a class="page" href="{href}" target="_blank" rel="noopener">{label}</a>')
        else:
            bits.append(f'<span class="page">{label}</span>')
    if heading and heading != hit.title:  # a document's first heading is often its title
        bits.append(f'<span class="heading">§ {esc(heading)}</span>')
    return " · ".join(bits)


def _passage(n: int, hit: Hit, support: str | None, cited: bool) -> str:
    title = esc(hit.title or hit.chunk.article_id)
    anchor = f' id="source-{n}"' if cited else ""
    return (f'<div class="source"{anchor}><div class="head"><b>&#91;{n}&#93;</b> {title}</div>'
            f'<div class="origin">{_origin(hit, support)}</div>'
            f'<div class="passage">{highlight(hit.chunk.text, support)}</div></div>')


def searched_html(question: str, search_query: str | None) -> str:
    if search_query and search_query.strip() != question.strip():
        return f'<div class="searched">Searched for: <q>{esc(search_query)}</q></div>'
    return ""


def sources_html(question: str, hits: list[Hit] | tuple[Hit, ...],
                 citations: tuple[Citation, ...] = (), search_query: str | None = None,
                 refused: bool = False, checks: dict | None = None) -> str:
    """The sources panel: cited passages with their supporting sentence marked, then the rest;
    for a refusal, which check refused first."""
    cited = {c.n: c for c in citations}
    out = [searched_html(question, search_query)]
    for c in citations:
        out.append(_passage(c.n, c.hit, c.support, True))
    rest = [(i, h) for i, h in enumerate(hits, 1) if i not in cited]
    if refused and hits:
        out.append(f'<div class="note refused-why">{esc(why_refused(checks))} '
                   'These were searched:</div>')
    elif not hits and (checks or {}).get("kind") == small_talk.KIND:
        out.append('<div class="note">Nothing was searched: a greeting or thanks asks nothing '
                   'of the articles.</div>')
    elif not hits:
        out.append('<div class="note">No passages were retrieved.</div>')
    if rest:
        label = f"{len(rest)} passage{'s' if len(rest) != 1 else ''} retrieved but not cited"
        inner = "".join(_passage(i, h, None, False) for i, h in rest)
        out.append(f'<details class="uncited"><summary>{label}</summary>{inner}</details>')
    return f'<div class="sources">{"".join(out)}</div>'


def shown_as_refusal(answer: Answer) -> bool:
    """Whether the chat styles the answer as a refusal: a reply to small talk ("hi") counts as
    no answer, but it refuses nothing."""
    return answer.refused and answer.checks.get("kind") != small_talk.KIND


def answer_sources_html(answer: Answer) -> str:
    return sources_html(answer.question, answer.passages, answer.citations,
                        answer.search_query, answer.refused, answer.checks)


def timings_text(t: dict) -> str:
    """Per-stage timings, short: 'retrieve 12 ms · first token 0.8 s · total 2.3 s'."""
    def fmt(ms: float) -> str:
        return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"

    names = [("rewrite", "rewrite"), ("retrieve", "retrieve"), ("first_token", "first token"),
             ("total", "total")]
    return " · ".join(f"{label} {fmt(t[key])}" for key, label in names if key in t)


def facts_markdown(facts: dict) -> str:
    updated = (facts.get("updated") or "")[:19].replace("T", " ")
    return (f"**{facts['articles']}** articles · **{facts['chunks']}** chunks · "
            f"embedder `{facts['embedder']}` · generator `{facts['generator']}`"
            + (f" · updated {updated}" if updated else ""))


def report_markdown(saved: list[str], errors: list[str], summary: str | None) -> str:
    """What an upload did: the files added, the per-file problems, the index's summary."""
    lines = []
    if saved:
        lines.append("Added: " + ", ".join(f"`{s}`" for s in saved))
    if summary:
        lines.append(f"Index: {summary}")
    lines += [f"- ⚠ {esc(e)}" for e in errors]
    return "\n\n".join(lines) if lines else "Nothing to add."
