"""PDF and Word files: clean text in reading order, pages and headings kept, title and date from
the metadata or the first heading, and every kind of bad file named with its reason and skipped."""

from pathlib import Path

import pytest

from corpora.documents import (docx_bytes, encrypted, grid_pdf_bytes, pdf_bytes,
                               scanned_pdf_bytes, with_metadata, write_pdf, zip_bytes)
from corpora.html_pages import PAGES
from rag.read.ingest import read_sources
from rag.read.pdf import read_pdf
from rag.read.word import read_docx
from rag.types import mark_at
from tests.live_server import browser_pdf_bytes

RUN_ON = "A paragraph that runs on over the page break because the page ends in the middle of it, so"
PAGE1 = [
    "The harbour authority published its annual survey of shipping traffic in the northern bay.",
    ["Vessel counts rose sharply in the summer months, when the infor-",
     "mation desk recorded a well-known surge of ferries and small Anglo-",
     "Irish yachts from the islands."],
    [RUN_ON],
]
PAGE2 = [
    ["the sentence goes on here on the second page. The well-known harbour master retired."],
    "The second survey counted 4,210 vessels in total.",
]
HEADER = "Northern Bay Authority — Annual Report 2024"


def report_pdf(**kw) -> bytes:
    return pdf_bytes([PAGE1, PAGE2, ["Closing remarks of the report are on the last page."]],
                     heading="Harbour Traffic Survey", header=HEADER, **kw)


def test_pdf_text_is_clean_and_in_order():
    d = read_pdf(report_pdf(), "r.pdf")
    # Headers and "Page N of M" footers, repeated on every page, are gone.
    assert "Northern Bay Authority" not in d.text and "Page" not in d.text
    # Hyphenated line break joined; a real compound keeps its hyphen (written so elsewhere).
    assert "information desk" in d.text and "infor-" not in d.text
    assert d.text.count("well-known") == 2
    # Lines of a paragraph are one line; paragraphs are kept apart; a paragraph cut by a page
    # break is whole again.
    assert "small Anglo-Irish yachts from the islands." in d.text
    assert "northern bay.\n\nVessel counts" in d.text
    assert RUN_ON + " the sentence goes on" in d.text
    order = [d.text.index(s) for s in ("Harbour Traffic Survey", "annual survey", "Vessel",
                                       "second page", "4,210", "Closing remarks")]
    assert order == sorted(order)


@pytest.mark.browser
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium is not "
                    "installed (scripts/setup --test installs it)")
def test_a_news_page_printed_to_pdf_by_a_browser():
    pytest.importorskip("playwright")
    story = PAGES[0].story
    paras = [f"{p} {p}" for p in story.paragraphs * 2]  # long enough for two pages
    html = (f"<html><head><title>{story.headline}</title></head><body style='font: 12pt serif'>"
            f"<h1>{story.headline}</h1><p>By {story.author}</p>"
            + "".join(f"<p>{p}</p>" for p in paras) + "</body></html>")
    d = read_pdf(browser_pdf_bytes(html), "printed.pdf")
    assert d.title == story.headline
    # The heading once (the running header that repeats it on every page is gone), no footers,
    # and every paragraph whole, even the one the page break cuts.
    assert d.text.startswith(f"{story.headline}\n\nBy {story.author}\n\n")
    assert d.text.count(story.headline) == 1 and "Page 1 of" not in d.text
    assert d.text.split("\n\n")[2:] == paras
    pages = [p for _, p in d.pages]  # two with this machine's fonts; more elsewhere
    assert len(pages) >= 2 and pages == list(range(1, len(pages) + 1))
    assert mark_at(d.pages, len(d.text) - 1) == pages[-1]
    assert mark_at(d.pages, d.text.index(paras[0])) == 1


@pytest.mark.browser
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium is not "
                    "installed (scripts/setup --test installs it)")
def test_a_two_column_page_printed_by_a_browser():
    pytest.importorskip("playwright")
    story = PAGES[3].story
    html = (f"<html><head><title>{story.headline}</title></head><body style='font: 11pt serif'>"
            f"<h1>{story.headline}</h1><div style='column-count: 2; text-align: justify'>"
            + "".join(f"<p>{p}</p>" for p in story.paragraphs) + "</div></body></html>")
    d = read_pdf(browser_pdf_bytes(html), "columns.pdf")
    # Column by column, each paragraph whole; the headline (over two lines) one heading.
    assert d.text.split("\n\n") == [story.headline, *story.paragraphs]
    assert d.headings == ((0, story.headline),)


def test_pdf_pages_are_marked_where_they_start():
    d = read_pdf(report_pdf(), "r.pdf")
    assert [p for _, p in d.pages] == [1, 2, 3]
    assert mark_at(d.pages, d.text.index("annual survey")) == 1
    assert mark_at(d.pages, d.text.index("second page")) == 2  # mid-paragraph, still page 2
    assert mark_at(d.pages, d.text.index("runs on over")) == 1
    assert mark_at(d.pages, d.text.index("4,210")) == 2
    assert mark_at(d.pages, d.text.index("Closing")) == 3


def test_pdf_title_from_metadata_else_first_heading_and_date_from_metadata():
    d = read_pdf(report_pdf(title="Annual Survey of the Northern Bay", date="2024-03-15"), "r.pdf")
    assert (d.title, d.date) == ("Annual Survey of the Northern Bay", "2024-03-15")
    # A placeholder in the metadata is no title: the large heading on page 1 is.
    d = read_pdf(report_pdf(title="Microsoft Word - draft3.docx"), "r.pdf")
    assert d.title == "Harbour Traffic Survey"
    d = read_pdf(with_metadata(report_pdf(), title="untitled"), "r.pdf")
    assert d.title == "Harbour Traffic Survey"


def test_pdf_headings_are_told_by_their_size_and_marked():
    d = read_pdf(pdf_bytes([["An opening paragraph of body text, set in the body size.",
                             ("heading", "Traffic in the summer")],
                            ["Ferries carried more people than ever before in July.",
                             ("heading", "Winter outlook"), "Fewer crossings are planned."]],
                           heading="Harbour Survey"), "h.pdf")
    assert [h for _, h in d.headings] == ["Harbour Survey", "Traffic in the summer",
                                          "Winter outlook"]
    assert mark_at(d.headings, d.text.index("Ferries")) == "Traffic in the summer"
    assert mark_at(d.pages, d.text.index("Ferries")) == 2
    assert mark_at(d.headings, d.text.index("Fewer")) == "Winter outlook"
    assert "Traffic in the summer\n\nFerries carried" in d.text


def test_a_browsers_margins_go_from_a_single_page():
    from reportlab.pdfgen import canvas
    import io

    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    c.setFont("Helvetica", 8)
    c.drawString(30, 820, "12/4/26, 5:44 PM")
    c.drawString(250, 820, "Harbour news: ferries return | The Courier")
    c.drawString(30, 20, "https://courier.example.com/news/ferries-return")
    c.drawString(540, 20, "1/1")
    c.setFont("Times-Roman", 12)
    for i, line in enumerate(["The ferries returned to the harbour on Monday after the storm.",
                              "Crews said the crossing was calm and every sailing left on time."]):
        c.drawString(60, 760 - 14 * i, line)
    c.showPage()
    c.save()
    d = read_pdf(with_metadata(buf.getvalue(), title="Harbour news: ferries return"), "p.pdf")
    assert d.text == ("The ferries returned to the harbour on Monday after the storm. "
                      "Crews said the crossing was calm and every sailing left on time.")


def test_a_drop_capital_joins_its_word():
    from reportlab.pdfgen import canvas
    import io

    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    c.setFont("Times-Roman", 40)
    c.drawString(60, 730, "T")
    c.setFont("Times-Roman", 11)
    lines = ["he council met on Monday to discuss the ferry timetable for the winter,",
             "and agreed to keep the early crossing to the mainland for another year."]
    for i, line in enumerate(lines):
        c.drawString(90, 756 - 13 * i, line)
    c.showPage()
    c.save()
    d = read_pdf(buf.getvalue(), "dropcap.pdf")
    assert d.text.startswith("The council met on Monday") and d.headings == ()
    assert d.title is None  # not "T": the caller falls back to the first sentence


def test_lone_page_numbers_go_even_without_repetition():
    d = read_pdf(pdf_bytes([["Only one page of text, with its number under it."]]), "one.pdf")
    assert d.text == "Only one page of text, with its number under it."


def test_columns_drawn_row_by_row_are_read_column_by_column():
    import textwrap

    left = textwrap.wrap("The harbour story begins in the left column and tells of the boats that "
                         "sail from the quay to the islands each morning before the tide turns.", 42)
    right = textwrap.wrap("The weather report fills the right column and promises rain and strong "
                          "westerly winds over the hills for most of the coming week.", 42)
    d = read_pdf(grid_pdf_bytes([left, right], [60, 320], heading="Island News"), "cols.pdf")
    assert d.text == ("Island News\n\n" + " ".join(left) + "\n\n" + " ".join(right))


def test_a_table_drawn_row_by_row_stays_row_by_row():
    names = ["Route", "Oban", "Mull", "Iona", "Coll", "Tiree", "Barra"]
    fares = ["Fare", "12 euros", "9 euros", "4 euros", "15 euros", "18 euros", "22 euros"]
    d = read_pdf(grid_pdf_bytes([names, fares], [60, 320]), "table.pdf")
    assert d.text == "\n".join(f"{n} | {f}" for n, f in zip(names, fares))


def test_a_line_drawn_in_pieces_stays_one_line():
    # A bold word drawn on its own, right after the words before it: not a table, not columns.
    from reportlab.pdfgen import canvas
    import io

    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    for i in range(8):
        y = 700 - 14 * i
        c.setFont("Times-Roman", 11)
        c.drawString(60, y, "The ferry to the island leaves at")
        c.setFont("Times-Bold", 11)
        c.drawString(60 + c.stringWidth("The ferry to the island leaves at ", "Times-Roman", 11),
                     y, f"{i + 6} o'clock")
    c.showPage()
    c.save()
    d = read_pdf(buf.getvalue(), "pieces.pdf")
    assert "|" not in d.text and "leaves at 6 o'clock The ferry" in d.text


def test_docx_text_headings_title_and_date():
    data = docx_bytes([("title", "Ferry Timetable Review"), ("p", "An introduction."),
                       ("h1", "Winter schedule"), ("p", "Boats leave at nine."),
                       ("bullet", "Monday to Friday"), ("bullet", "Saturday mornings"),
                       ("h2", "Fares"), ("table", "Route|Fare\nIsland|12 euros")],
                      created="2023-11-02", header="Confidential draft")
    d = read_docx(data, "t.docx")
    assert d.title == "Ferry Timetable Review" and d.date == "2023-11-02"
    assert "Confidential" not in d.text  # the page header is not body text
    assert "Boats leave at nine.\n\n- Monday to Friday\n- Saturday mornings" in d.text
    assert "Island | 12 euros" in d.text
    assert mark_at(d.headings, d.text.index("Boats")) == "Winter schedule"
    assert mark_at(d.headings, d.text.index("Island")) == "Fares"
    meta = read_docx(docx_bytes([("p", "Body only.")], title="From metadata"), "m.docx")
    assert meta.title == "From metadata" and meta.date is None


def test_read_sources_reads_pdf_and_docx_beside_text(tmp_path):
    write_pdf(tmp_path / "report.pdf", [PAGE1, PAGE2], heading="Harbour Traffic Survey",
              date="2024-03-15")
    (tmp_path / "notes.docx").write_bytes(docx_bytes([("h1", "Notes"), ("p", "Some notes.")]))
    (tmp_path / "plain.txt").write_text("A plain article. With text.")
    arts = {a.id: a for a in read_sources([tmp_path])[0]}
    assert sorted(arts) == ["notes.docx", "plain.txt", "report.pdf"]
    pdf = arts["report.pdf"]
    assert pdf.title == "Harbour Traffic Survey" and pdf.date == "2024-03-15"
    assert pdf.pages[0] == (0, 1) and pdf.digest
    assert arts["notes.docx"].headings == ((0, "Notes"),)


@pytest.mark.parametrize("name, data, reason", [
    ("locked.pdf", lambda: encrypted(report_pdf()), "encrypted PDF: it needs a password"),
    ("scan.pdf", lambda: scanned_pdf_bytes(3), "no text layer: run OCR first"),
    ("cut.pdf", lambda: report_pdf()[:1500], "damaged or incomplete PDF"),
    ("garbage.pdf", lambda: b"%PDF-1.7\n" + bytes(range(256)) * 8, "damaged or incomplete PDF"),
    ("notpdf.pdf", lambda: b"<html>an HTML page saved as .pdf</html>", "not a PDF"),
    ("sheet.docx", lambda: zip_bytes({"xl/workbook.xml": "<workbook/>"}),
     "not a Word document: a zip of something else (an Excel workbook)"),
    ("other.docx", lambda: zip_bytes({"readme.txt": "hello"}), "not a Word document"),
    ("old.docx", lambda: b"\xd0\xcf\x11\xe0 an old binary Word file", "not a Word document"),
    ("cut.docx", lambda: docx_bytes([("p", "text")])[:3000], "not a Word document"),
    ("old.doc", lambda: b"\xd0\xcf\x11\xe0", "unsupported type .doc: the old Word format"),
    ("locked.docx", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500)
     + "EncryptedPackage".encode("utf-16-le") + bytes(500), "encrypted Word document"),
])
def test_bad_documents_are_named_with_their_reason(tmp_path, name, data, reason):
    (tmp_path / name).write_bytes(data())
    (tmp_path / "good.txt").write_text("A good article. It has text.")
    arts, skipped = read_sources([tmp_path])
    assert [a.id for a in arts] == ["good.txt"]
    assert [(Path(s.source).name, reason in s.reason) for s in skipped] == [(name, True)], skipped


def test_text_of_unmapped_glyphs_is_no_text(monkeypatch):
    # What pypdf gives for fonts without a Unicode map: private-use characters, not letters.
    import rag.read.pdf

    monkeypatch.setattr(rag.read.pdf, "assemble", lambda pages, title=None: (
        "\ue011\ue012\ue013 \ue014\ue015. " * 40 + "Page", ((0, 1),), ()))
    with pytest.raises(Exception, match="no readable text layer: .* run OCR first"):
        read_pdf(report_pdf(), "symbols.pdf")


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-128", "AES-256"])
def test_owner_password_only_pdf_is_read(algorithm):
    # Restrictions on printing or copying, no password to open: readers open it, so do we.
    d = read_pdf(encrypted(report_pdf(), user_password="", algorithm=algorithm), "r.pdf")
    assert "4,210 vessels" in d.text
    with pytest.raises(Exception, match="encrypted PDF: it needs a password"):
        read_pdf(encrypted(report_pdf(), algorithm=algorithm), "r.pdf")


def test_long_pdf_reports_progress_page_by_page(tmp_path):
    pages = [[f"This page tells of ship {3 * i} arriving at the quay with {i * i} tons of grain."]
             for i in range(500)]
    path = write_pdf(tmp_path / "long.pdf", pages)
    seen = []
    arts, skipped = read_sources([path], progress=lambda f, done, total: seen.append((done, total)))
    assert not skipped and seen[-1] == (500, 500) and len(seen) >= 50
    (a,) = arts
    assert len(a.pages) == 500
    assert mark_at(a.pages, a.text.index("ship 963 arriving")) == 322


def test_unchanged_document_is_not_read_again(tmp_path, monkeypatch):
    path = write_pdf(tmp_path / "r.pdf", [PAGE1])
    (first,), _ = read_sources([tmp_path])
    import rag.read.pdf

    def fail(*a, **k):
        raise AssertionError("read again")

    monkeypatch.setattr(rag.read.pdf, "read_pdf", fail)
    (again,), _ = read_sources([path], known={first.digest: first})
    assert again.text == first.text and again.id == "r.pdf"
    path.write_bytes(pdf_bytes([PAGE2]))  # changed bytes: read again
    with pytest.raises(AssertionError, match="read again"):
        read_sources([path], known={first.digest: first})
