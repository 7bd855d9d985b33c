"""PDF and Word files built by the tests themselves (no binary fixtures): reportlab draws the PDFs
line by line, so a test decides exactly where lines break, what repeats on every page and what the
page numbers look like; pypdf sets their metadata or encrypts them; python-docx writes Word files.
"""

from __future__ import annotations

import io
import textwrap
import zipfile
from pathlib import Path

LINE = 14  # points between lines of a paragraph
PARAGRAPH = 26  # points between paragraphs
WRAP = 88  # characters to a line


def pdf_bytes(pages: list[list[str | list[str] | tuple[str, str]]], heading: str | None = None,
              header: str | None = None, numbers: bool = True, title: str | None = None,
              date: str | None = None, first_page_number: int = 1) -> bytes:
    """Each page is a list of paragraphs: a string (wrapped here), the list of its lines, or
    ("heading", text) for a section heading.

    `heading` is drawn large at the top of page 1; `header` at the top of every page; `numbers`
    puts "Page N of M" at the bottom; `title` and `date` (YYYY-MM-DD) go into the metadata.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    width, height = A4
    for n, paragraphs in enumerate(pages, first_page_number):
        if numbers:  # drawn first, as many generators do: at the bottom, first in the stream
            c.setFont("Helvetica", 9)
            c.drawCentredString(width / 2, 30, f"Page {n} of {len(pages)}")
        if header:
            c.setFont("Helvetica", 9)
            c.drawString(60, height - 40, header)
        y = height - 80
        if heading and n == first_page_number:
            c.setFont("Helvetica-Bold", 20)
            c.drawString(60, y, heading)
            y -= 40
        c.setFont("Times-Roman", 11)
        for para in paragraphs:
            if isinstance(para, tuple):  # ("heading", text): a section heading, set larger
                y -= 6
                c.setFont("Helvetica-Bold", 14)
                c.drawString(60, y, para[1])
                c.setFont("Times-Roman", 11)
                y -= PARAGRAPH
                continue
            lines = para if isinstance(para, list) else textwrap.wrap(para, WRAP)
            for line in lines:
                if y < 60:
                    raise ValueError("page overflow: give it fewer paragraphs")
                c.drawString(60, y, line)
                y -= LINE
            y -= PARAGRAPH - LINE
        c.showPage()
    c.save()
    data = buf.getvalue()
    if title or date:
        data = with_metadata(data, title=title, date=date)
    return data


def with_metadata(data: bytes, title: str | None = None, date: str | None = None) -> bytes:
    from pypdf import PdfReader, PdfWriter

    w = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    meta = {}
    if title:
        meta["/Title"] = title
    if date:
        meta["/CreationDate"] = "D:" + date.replace("-", "") + "093000+00'00'"
    w.add_metadata(meta)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def encrypted(data: bytes, user_password: str = "secret", owner_password: str = "owner",
              algorithm: str = "AES-256") -> bytes:
    from pypdf import PdfReader, PdfWriter

    w = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    w.encrypt(user_password, owner_password, algorithm=algorithm)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def grid_pdf_bytes(columns: list[list[str]], x: list[float], heading: str | None = None) -> bytes:
    """One page whose columns (lists of lines, starting at the given x) are drawn row by row:
    a line of each column in turn, as some generators draw multi-column pages and tables."""
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    y = 780
    if heading:
        c.setFont("Helvetica-Bold", 18)
        c.drawString(x[0], y, heading)
        y -= 40
    c.setFont("Times-Roman", 10)
    for i in range(max(len(col) for col in columns)):
        for col, cx in zip(columns, x):
            if i < len(col):
                c.drawString(cx, y - 12 * i, col[i])
    c.showPage()
    c.save()
    return buf.getvalue()


def scanned_pdf_bytes(pages: int = 2) -> bytes:
    """What a scanner makes: pages of pictures (here, drawn shapes) and no text at all."""
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    for _ in range(pages):
        for i in range(30):
            c.rect(50, 60 + i * 22, 400 - (i * 7) % 90, 8, fill=1)
        c.showPage()
    c.save()
    return buf.getvalue()


def write_pdf(path: Path, pages, **kw) -> Path:
    path.write_bytes(pdf_bytes(pages, **kw))
    return path


def docx_bytes(blocks: list[tuple[str, str]], title: str | None = None,
               created: str | None = None, header: str | None = None) -> bytes:
    """blocks: (kind, text) with kind "title", "h1", "h2", "p", "bullet" or "table" (cells
    separated by "|", rows by "\\n"); `header` goes into every page's header."""
    import datetime as dt

    import docx

    d = docx.Document()
    for kind, text in blocks:
        if kind == "title":
            d.add_heading(text, 0)
        elif kind in ("h1", "h2"):
            d.add_heading(text, int(kind[1]))
        elif kind == "bullet":
            d.add_paragraph(text, style="List Bullet")
        elif kind == "table":
            rows = [r.split("|") for r in text.split("\n")]
            t = d.add_table(rows=len(rows), cols=len(rows[0]))
            for i, row in enumerate(rows):
                for j, cell in enumerate(row):
                    t.cell(i, j).text = cell.strip()
        else:
            d.add_paragraph(text)
    if header:
        d.sections[0].header.paragraphs[0].text = header
    d.core_properties.title = title or ""
    if created:
        d.core_properties.created = dt.datetime.fromisoformat(created + "T10:00:00")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def zip_bytes(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()
