"""The chat with PDF and Word articles, without a browser: "p. N" in the sources panel linking to
the PDF this server serves at that page, the heading of a Word passage, the file route's limits,
and PDF uploads (the browser side is in tests/test_ui_browser.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from corpora.documents import docx_bytes, pdf_bytes, scanned_pdf_bytes
from rag import registry
from rag.config import Config
from rag.index.chunking import ChunkParams
from rag.index.indexing import sync
from rag.pipeline import Pipeline
from ui import render
from ui.server import create_app
from ui.uploads import MAX_DOCUMENT_BYTES, add_uploads, store

KEEPER = "Agnes Moray was the last keeper of the lighthouse on Skerry Point until 1987."


@pytest.fixture
def pipeline(tmp_path) -> Pipeline:
    d = tmp_path / "docs"
    (d / "reports").mkdir(parents=True)
    filler = "The island council met to discuss the ferry timetable and the price of diesel. "
    (d / "reports" / "Skerry chronicle.pdf").write_bytes(pdf_bytes(
        [[filler * 4], [filler, KEEPER]], heading="Skerry Island Chronicle"))
    (d / "guide.docx").write_bytes(docx_bytes(
        [("h1", "Getting there"), ("p", "The ferry to Skerry leaves Oban at nine every morning.")],
        title="Visitor Guide"))
    (d / "page.html").write_text("<html><body><article><h1>Page</h1><p>A web page about "
                                 "Skerry ferries and harbour dues.</p></article></body></html>")
    sync([d], tmp_path / "index", registry.embedder("fake-hash"), ChunkParams(400, 1))
    cfg = Config(index=str(tmp_path / "index"), embedder="fake-hash",
                 generator="fake-extractive", k=3, chunk_tokens=400)
    return Pipeline.open(cfg)


def test_sources_panel_says_the_page_and_links_the_pdf_there(pipeline):
    a = pipeline.ask("Who was the last keeper of the lighthouse on Skerry Point?")
    (c,) = a.citations
    assert c.hit.chunk.article_id == "reports/Skerry chronicle.pdf"
    html = render.answer_sources_html(a)
    assert '<a class="page" href="api/files/reports/Skerry%20chronicle.pdf#page=2"' in html
    assert ">p. 2</a>" in html and ">Skerry chronicle.pdf</a>" in html
    # Its heading is the document's title, shown already: not repeated as a section.
    assert c.to_dict()["heading"] == "Skerry Island Chronicle" and "§ Skerry" not in html


def test_word_passages_name_their_heading(pipeline):
    a = pipeline.ask("When does the ferry to Skerry leave Oban?")
    (c,) = a.citations
    html = render.answer_sources_html(a)
    assert c.to_dict()["heading"] == "Getting there"
    assert "§ Getting there" in html and "api/files/guide.docx" not in html


def test_the_server_serves_indexed_pdfs_and_nothing_else(pipeline, tmp_path):
    client = TestClient(create_app(pipeline.config, pipeline))
    r = client.get("/api/files/reports/Skerry%20chronicle.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-") and "inline" in r.headers["content-disposition"]
    for path in ("/api/files/guide.docx", "/api/files/page.html", "/api/files/nope.pdf",
                 "/api/files/../../etc/passwd", "/api/files/%2Fetc%2Fpasswd"):
        assert client.get(path).status_code == 404, path
    # A PDF that has moved since it was indexed: a 404 that says so.
    moved = tmp_path / "docs" / "reports" / "Skerry chronicle.pdf"
    moved.rename(tmp_path / "elsewhere.pdf")
    r = client.get("/api/files/reports/Skerry%20chronicle.pdf")
    assert r.status_code == 404 and "no longer" in r.json()["detail"]


def test_uploads_take_pdf_and_docx_with_their_own_size_limit(tmp_path):
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(pdf_bytes([[KEEPER]]))
    big = tmp_path / "big.pdf"
    with open(big, "wb") as f:
        f.truncate(MAX_DOCUMENT_BYTES + 1)
    doc = tmp_path / "g.docx"
    doc.write_bytes(docx_bytes([("p", "Some words.")]))
    kept, errors = store([(str(pdf), "r.pdf"), (str(big), "big.pdf"), (str(doc), "g.docx")],
                         tmp_path / "uploads")
    assert [p.name for p in kept] == ["upload-r.pdf", "upload-g.docx"]
    assert len(errors) == 1 and "big.pdf" in errors[0] and "limit" in errors[0]


def test_uploaded_pdf_is_indexed_with_pages_and_bad_ones_are_not_kept(fake_index, tmp_path):
    emb = registry.embedder("fake-hash")
    good = tmp_path / "Keeper report.pdf"
    good.write_bytes(pdf_bytes([["An opening page about the island."], [KEEPER]]))
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(scanned_pdf_bytes())
    seen = []
    res = add_uploads([(str(good), good.name), (str(scan), scan.name)], fake_index, emb,
                      reading=lambda f, done, total: seen.append((Path(f).name, done, total)))
    assert res.saved == ["upload-Keeper_report.pdf"] and res.report.added == 1
    assert any("upload-scan.pdf: no text layer: run OCR first" in e for e in res.errors)
    assert not (Path(fake_index) / "uploads" / "upload-scan.pdf").exists()
    assert ("upload-Keeper_report.pdf", 2, 2) in seen
    from rag.index.store import Index
    art = Index.open(fake_index).articles["upload-Keeper_report.pdf"]
    assert [p for _, p in art.pages] == [1, 2]


def test_serve_sources_reads_pdfs_and_answers_with_their_pages(tmp_path):
    import httpx

    from tests.live_server import start_server

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "chronicle.pdf").write_bytes(pdf_bytes(
        [["The island council met to discuss the ferry timetable."], [KEEPER]]))
    (docs / "scan.pdf").write_bytes(scanned_pdf_bytes())
    srv = start_server(tmp_path / "index", tmp_path / "serve.log", sources=[str(docs)])
    try:
        r = httpx.post(srv.url + "/api/ask", json={
            "question": "Who was the last keeper of the lighthouse on Skerry Point?"}, timeout=60)
        cites = r.json()["citations"]
        assert [(c["article_id"], c["page"]) for c in cites] == [("chronicle.pdf", 2)]
        pdf = httpx.get(srv.url + "/api/files/chronicle.pdf", timeout=30)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
        assert "skipped" in srv.log_tail() and "no text layer: run OCR first" in srv.log_tail()
    finally:
        srv.stop()
