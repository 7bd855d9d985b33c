"""Reading a Word (.docx) file into a `Document`: its text with the headings marked, title, date.

python-docx (MIT) reads the body in order: paragraphs and tables. Paragraphs are separated by a
blank line; list items by one line break, each starting "- "; a table row becomes one line of its
cells joined by " | ". A paragraph in a "Title" or "Heading N" style is a heading: the text
records where its section starts, so a chunk knows the heading it falls under. Page headers and
footers (and the page numbers in them) live in other parts of the file and are never read.
The title is the document's metadata title, else its first Title or Heading paragraph; the date
is its metadata creation date, the author its author.

Before python-docx opens it, the zip is checked: one that is not a Word document (a renamed
.zip, .xlsx or .odt), or that would unpack to an unreasonable size, is refused with that reason.

Left out: page numbers (a Word file has no fixed pages: they depend on the fonts and printer of
whoever opens it, so passages are placed by heading), the old binary .doc format, text boxes,
footnotes, comments and tracked changes.
"""

from __future__ import annotations

import io
import re
import zipfile

from rag.errors import ArticleError
from rag.types import Document

MAX_UNPACKED_BYTES = 256 * 1024 * 1024  # a zip that unpacks past this is a zip bomb, not an article
# python-docx's own template carries this creation time (and "python-docx" as its author): a file
# saved by it without setting them would otherwise claim to date from 2013.
_TEMPLATE_CREATED = "2013-12-23"
_HEADING = re.compile(r"^(?:Title|Heading \d)$")


def read_docx(data: bytes, source: str) -> Document:
    _check_zip(data, source)
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        doc = docx.Document(io.BytesIO(data))
        blocks = list(doc.iter_inner_content())
    except PackageNotFoundError:
        raise ArticleError(source, "not a Word document (no Word package inside the zip)") from None
    except Exception as e:  # noqa: BLE001 - python-docx and lxml raise many kinds on bad files
        raise ArticleError(source, f"damaged Word file ({type(e).__name__}: "
                           f"{str(e)[:160]}); if it opens in Word, save it again") from None
    text, headings, first_heading = "", [], None
    prev_list = False
    for block in blocks:
        if hasattr(block, "rows"):  # a table
            part, is_list, heading = _table(block), False, None
        else:
            part = _paragraph_text(block)
            style = _style_name(block)
            heading = part if part and _HEADING.match(style) else None
            is_list = bool(part) and heading is None and _is_list(block, style)
            if is_list:
                part = "- " + part
        if not part:
            continue
        sep = "" if not text else ("\n" if is_list and prev_list else "\n\n")
        if heading:
            headings.append((len(text) + len(sep), heading))
            first_heading = first_heading or heading
        text += sep + part
        prev_list = is_list
    if not re.search(r"\w", text):
        raise ArticleError(source, "no text in this Word document")
    props = _properties(doc)
    title = (props.get("title") or "").strip() or first_heading
    return Document(text, title, props.get("created"), headings=tuple(headings),
                    author=props.get("author"))


_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")


def _check_zip(data: bytes, source: str) -> None:
    if data[:4] == b"\xd0\xcf\x11\xe0" and _ENCRYPTED_PACKAGE in data:
        # Word keeps a password-protected .docx inside an OLE container, not a zip.
        raise ArticleError(source, "encrypted Word document: it needs a password to open; "
                           "save a copy without one")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except zipfile.BadZipFile:
        raise ArticleError(source, "not a Word document: a .docx is a zip file and this is not "
                           "one (damaged, cut short, or an old .doc renamed)") from None
    names = {i.filename for i in infos}
    if "word/document.xml" not in names:
        what = _zip_kind(names)
        raise ArticleError(source, f"not a Word document: a zip of something else{what} "
                           "(no word/document.xml)")
    unpacked = sum(i.file_size for i in infos)
    if unpacked > MAX_UNPACKED_BYTES:
        raise ArticleError(source, f"unpacks to {unpacked:,} bytes (limit "
                           f"{MAX_UNPACKED_BYTES:,}): not read")


def _zip_kind(names: set[str]) -> str:
    if "xl/workbook.xml" in names:
        return " (an Excel workbook)"
    if "ppt/presentation.xml" in names:
        return " (a PowerPoint presentation)"
    if "content.xml" in names:
        return " (an OpenDocument file)"
    return ""


def _paragraph_text(p) -> str:
    return re.sub(r"[ \t\u00a0]+", " ", p.text.replace("\u00ad", "")).strip()


def _style_name(p) -> str:
    try:
        return p.style.name if p.style is not None else ""
    except Exception:  # noqa: BLE001 - a style missing from styles.xml is just no style
        return ""


def _is_list(p, style: str) -> bool:
    if style.startswith("List"):
        return True
    ppr = p._p.pPr  # numbering set on the paragraph itself, not through a list style
    return ppr is not None and ppr.numPr is not None


def _table(table) -> str:
    rows = []
    for row in table.rows:
        cells, last = [], None
        for cell in row.cells:
            if cell._tc is last:  # a merged cell repeats in python-docx's view
                continue
            last = cell._tc
            cells.append(re.sub(r"\s+", " ", cell.text).strip())
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def _properties(doc) -> dict:
    try:
        cp = doc.core_properties
        created = cp.created.date().isoformat() if cp.created else None
        if created == _TEMPLATE_CREATED:
            created = None
        author = (cp.author or "").strip()
        return {"title": cp.title, "created": created,
                "author": author if author and author != "python-docx" else None}
    except Exception:  # noqa: BLE001 - damaged metadata loses the title and date, not the text
        return {}
