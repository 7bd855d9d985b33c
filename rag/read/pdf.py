"""Reading a PDF file into a `Document`: its text with pages and headings marked, title and date.

pypdf (pure Python, BSD) reads each page's text in the order the page draws it, with each piece's
position and font size, which rag.read.pdf_text turns into clean paragraphs. The title is the
document's metadata title unless that is a placeholder ("untitled", "Microsoft Word - x.docx", a
file name), else the first heading if it is on the first page (rag.read.pdf_text: text set larger
than the body), else none (the caller falls back to the first sentence); the date is the metadata's
creation date, the author its author.

Every way a file can fail becomes an ArticleError with a reason a person can act on: encrypted
with a password, no text layer (a scan: run OCR first) or one of symbols only (fonts that do not
map their glyphs to letters), damaged or cut short, no pages. A PDF that only has an owner
password (printing or copying restricted) opens without one and is read.

Left out: OCR, XMP metadata, outlines (bookmarks) as headings, and annotations or form fields.
"""

from __future__ import annotations

import io
import logging
import math
import re
from typing import Callable

from rag.errors import ArticleError
from rag.read.pdf_text import Line, assemble
from rag.types import Document

# pypdf logs every repair it makes to a sloppy file; a file it cannot read raises instead.
logging.getLogger("pypdf").setLevel(logging.ERROR)

MIN_TEXT_CHARS = 20  # letters and digits in the whole file below which it has no text layer
_PLACEHOLDER = re.compile(r"^(?:untitled(?: document)?|document\d*|slide \d+|title|no title|"
                          r"\(?anonymous\)?|untitled-\d+)$|\.(?:docx?|pdf|indd|tex|dvi|rtf|odt|"
                          r"pages|qxd|ps|txt|html?)$", re.IGNORECASE)
_NO_AUTHOR = re.compile(r"^(?:\(?anonymous\)?|unknown|user|owner|admin(?:istrator)?|author|)$",
                        re.IGNORECASE)
# Glyphs a font maps to no letter come out as private-use characters or U+FFFD.
_UNMAPPED = re.compile("[\ue000-\uf8ff\ufffd]")
_PDF_DATE = re.compile(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?")


def read_pdf(data: bytes, source: str,
             progress: Callable[[int, int], None] | None = None) -> Document:
    """The document in a PDF's bytes; `progress(pages done, pages)` as the pages are read."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    if b"%PDF-" not in data[:1024]:
        raise ArticleError(source, "not a PDF (no %PDF- header): damaged, or another kind of file "
                           "named .pdf")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            _decrypt(reader, source, DependencyError)
        n = len(reader.pages)
    except ArticleError:
        raise
    except FileNotDecryptedError:
        raise ArticleError(source, _ENCRYPTED) from None
    except Exception as e:  # noqa: BLE001 - pypdf raises many kinds on bad files
        raise ArticleError(source, f"damaged or incomplete PDF ({_why(e)}): it cannot be "
                           "read; if it opens elsewhere, print or save it again as PDF") from None
    if n == 0:
        raise ArticleError(source, "PDF with no pages")
    pages: list[list[Line]] = []
    for i in range(n):
        try:
            pages.append(page_lines(reader.pages[i]))
        except Exception as e:  # noqa: BLE001 - as above, per page
            raise ArticleError(source, f"damaged PDF: page {i + 1} of {n} cannot be read "
                               f"({_why(e)}); if it opens elsewhere, save it again as PDF") from None
        if progress and (i % 10 == 9 or i == n - 1):
            progress(i + 1, n)
    meta = _metadata(reader)
    text, marks, headings = assemble(pages, meta.get("/Title"))
    unreadable = len(_UNMAPPED.findall(text))
    if unreadable > 0.3 * max(1, len(text) - text.count(" ")):
        raise ArticleError(source, "no readable text layer: its fonts do not say which letters "
                           "their glyphs are, so the text comes out as symbols; run OCR first "
                           "(for example `ocrmypdf --force-ocr in.pdf out.pdf`)")
    if sum(1 for _ in zip(range(MIN_TEXT_CHARS), re.finditer(r"\w", text))) < MIN_TEXT_CHARS:
        raise ArticleError(source, f"no text layer: run OCR first (for example `ocrmypdf "
                           f"in.pdf out.pdf`); its {n} page{'s' * (n != 1)} hold only images "
                           "or drawings")
    title = _clean_title(meta.get("/Title")) or _first_heading(headings, marks)
    author = re.sub(r"\s+", " ", meta.get("/Author") or "").strip()
    author = None if _NO_AUTHOR.match(author) else author
    return Document(text, title, _date(meta.get("/CreationDate") or meta.get("/ModDate")),
                    pages=marks, headings=headings, author=author)


_ENCRYPTED = "encrypted PDF: it needs a password to open; save a copy without one"


def _decrypt(reader, source: str, dependency_error: type) -> None:
    """Open a PDF whose user password is empty (restrictions only); else say it needs one."""
    try:
        ok = reader.decrypt("")
    except dependency_error:
        raise ArticleError(source, "encrypted PDF (AES) that this installation cannot open: "
                           "save a copy without encryption") from None
    except Exception:  # noqa: BLE001 - a broken encryption dictionary is a password problem too
        ok = 0
    if not ok:
        raise ArticleError(source, _ENCRYPTED)


def page_lines(page) -> list[Line]:
    """The page's lines in drawing order, each with where it starts and its largest font size."""
    lines: list[Line] = []
    cur: list = ["", 0.0, 0.0, 0.0, False]  # text, x, y, size, positioned

    def visit(text, cm, tm, _font, size):
        if not text:
            return
        parts = text.split("\n")
        for j, part in enumerate(parts):
            if part and not cur[4]:
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                cur[1:5] = [x, y, cur[3], True]
            if part:
                cur[0] += part
                scale = math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3]) or 1.0
                cur[3] = max(cur[3], round(abs(size) * scale, 1))
            if j < len(parts) - 1:
                _close(cur, lines)

    page.extract_text(visitor_text=visit)
    _close(cur, lines)
    return lines


def _close(cur: list, lines: list[Line]) -> None:
    if cur[0].strip():
        lines.append(Line(re.sub(r"[ \t]+", " ", cur[0]).strip(), cur[1], cur[2], cur[3]))
    cur[:] = ["", 0.0, 0.0, 0.0, False]


def _metadata(reader) -> dict:
    try:
        meta = reader.metadata or {}
        return {k: str(v) for k, v in meta.items() if v is not None}
    except Exception:  # noqa: BLE001 - damaged metadata loses the title and date, not the text
        return {}


def _clean_title(raw: str | None) -> str | None:
    if not raw:
        return None
    title = re.sub(r"\s+", " ", raw).strip()
    title = re.sub(r"^Microsoft (?:Word|PowerPoint) - ", "", title)
    if len(title) < 3 or _PLACEHOLDER.search(title):
        return None
    return title


def _first_heading(headings, pages) -> str | None:
    """The first heading, when it is on the first page with text (a title set large)."""
    if not headings or (len(pages) > 1 and headings[0][0] >= pages[1][0]):
        return None
    title = headings[0][1][:200]
    return None if _PLACEHOLDER.search(title) else title


def _date(raw: str | None) -> str | None:
    m = _PDF_DATE.match((raw or "").strip())
    if not m:
        return None
    y, mo, d = int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1)
    if not (1900 <= y <= 2200 and 1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def _why(e: Exception) -> str:
    msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {msg[:160]}" if msg else type(e).__name__
