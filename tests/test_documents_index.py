"""PDF and Word files through the index and the answers: pages and headings recorded with every
chunk and carried by citations; unchanged files not read again, changed ones replaced; bad files
skipped with the rest of the run and the existing index untouched."""

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from corpora.documents import docx_bytes, encrypted, pdf_bytes, scanned_pdf_bytes, write_pdf
from rag.config import Config
from rag.index.chunking import ChunkParams
from rag.index.indexing import sync
from rag.index.store import Index, article_hash
from rag.pipeline import Pipeline
import rag.read.pdf
from tests.fakes import FakeEmbedder
from tests.test_indexing import CountingEmbedder

P = ChunkParams(40, 1)
ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = ("The lighthouse on Skerry Point was automated in 1987, and its last keeper, "
              "Agnes Moray, moved to the mainland that winter.")


def two_pages() -> bytes:
    filler = ("The island council met in the old school hall to discuss the ferry timetable and "
              "the price of diesel for the generators. ")
    return pdf_bytes([[filler * 3, filler * 2], [filler * 2, LIGHTHOUSE]],
                     heading="Skerry Island Chronicle", header="Skerry Island Chronicle — 2019",
                     date="2019-06-01")


@pytest.fixture
def docs(tmp_path) -> Path:
    d = tmp_path / "docs"
    d.mkdir()
    (d / "chronicle.pdf").write_bytes(two_pages())
    (d / "guide.docx").write_bytes(docx_bytes(
        [("title", "Visitor Guide"), ("p", "Welcome to the islands."),
         ("h1", "Getting there"), ("p", "The ferry to Skerry leaves Oban at nine every morning.")]))
    (d / "note.txt").write_text("A plain note. About nothing in particular.")
    return d


def test_index_records_pages_and_headings(docs, tmp_path):
    sync([docs], tmp_path / "ix", FakeEmbedder(), P)
    idx = Index.open(tmp_path / "ix")
    by_article = {}
    for c in idx.chunks.values():
        by_article.setdefault(c.article_id, []).append(c)
    pdf = by_article["chronicle.pdf"]
    assert {c.page for c in pdf} == {1, 2}
    assert [c.page for c in pdf if "Agnes Moray" in c.text] == [2]
    guide = by_article["guide.docx"]
    (oban,) = [c for c in guide if "Oban" in c.text]
    assert oban.heading == "Visitor Guide"  # where the chunk starts; its sentence is under:
    assert oban.where("The ferry to Skerry leaves Oban at nine every morning.") == (
        None, "Getting there")
    assert all(c.page is None and c.heading is None for c in by_article["note.txt"])
    art = idx.articles["chronicle.pdf"]
    assert art.date == "2019-06-01" and art.pages[1][1] == 2


def test_citation_carries_the_page_of_its_sentence(docs, tmp_path):
    index = tmp_path / "ix"
    # Chunks big enough that the page-2 sentence sits in a chunk that starts on page 1.
    sync([docs], index, FakeEmbedder(), ChunkParams(400, 1))
    cfg = Config(index=str(index), embedder="fake-hash", generator="fake-extractive", k=3,
                 chunk_tokens=400)
    a = Pipeline.open(cfg).ask("When was the lighthouse on Skerry Point automated?")
    assert not a.refused and "1987" in a.text
    (c,) = [c for c in a.citations if c.hit.chunk.article_id == "chronicle.pdf"]
    assert c.hit.chunk.page == 1  # the passage starts on page 1 ...
    d = c.to_dict()
    assert d["page"] == 2  # ... the cited sentence is on page 2
    assert d["heading"] == "Skerry Island Chronicle"  # under the first page's large heading
    passages = a.to_dict()["passages"]
    assert all("page" in p for p in passages)


def _rag(*args: str) -> subprocess.CompletedProcess:
    env = {"RAG_PLUGINS": "tests.fakes", "RAG_EMBEDDER": "fake-hash", "RAG_CHUNK_TOKENS": "60",
           "RAG_GENERATOR": "fake-extractive", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT),
           "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "rag", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_rag_index_and_ask_json(docs, tmp_path):
    (docs / "scan.pdf").write_bytes(scanned_pdf_bytes())
    index = str(tmp_path / "ix")
    out = _rag("index", str(docs), "--index", index, "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["added"] == 3
    assert [(Path(s["source"]).name, s["reason"].split(":")[0]) for s in report["skipped"]] == \
        [("scan.pdf", "no text layer")]
    out = _rag("ask", "Who was the last keeper of the lighthouse on Skerry Point?", "--index",
               index, "--json")
    assert out.returncode == 0, out.stderr
    cites = json.loads(out.stdout)["citations"]
    assert [(c["article_id"], c["page"]) for c in cites] == [("chronicle.pdf", 2)]
    out = _rag("ask", "Who was the last keeper of the lighthouse on Skerry Point?", "--index",
               index)
    assert out.returncode == 0 and ", p. 2, § Skerry Island Chronicle" in out.stdout, out.stdout


def test_unchanged_pdf_is_not_read_again_and_a_changed_one_replaces_its_chunks(
        docs, tmp_path, monkeypatch):
    calls = []
    real = rag.read.pdf.read_pdf
    monkeypatch.setattr(rag.read.pdf, "read_pdf", lambda *a, **k: calls.append(1) or real(*a, **k))
    emb = CountingEmbedder()
    sync([docs], tmp_path / "ix", emb, P)
    assert calls == [1]
    emb.embedded = 0
    again = sync([docs], tmp_path / "ix", emb, P)
    assert calls == [1] and emb.embedded == 0 and again.unchanged == 3
    (docs / "chronicle.pdf").write_bytes(pdf_bytes([["The harbour wall was rebuilt in 2021."]]))
    changed = sync([docs], tmp_path / "ix", emb, P)
    assert calls == [1, 1] and (changed.changed, changed.unchanged) == (1, 2)
    texts = [c.text for c in Index.open(tmp_path / "ix").chunks.values()
             if c.article_id == "chronicle.pdf"]
    assert texts and all("Agnes" not in t for t in texts) and "rebuilt in 2021" in " ".join(texts)
    # --rebuild reads every file anew.
    sync([docs], tmp_path / "ix", emb, P, rebuild=True)
    assert calls == [1, 1, 1]


def test_a_rebuild_for_new_chunking_keeps_the_pages(docs, tmp_path):
    sync([docs], tmp_path / "ix", FakeEmbedder(), P)
    report = sync([docs], tmp_path / "ix", FakeEmbedder(), ChunkParams(25, 0))
    assert report.rebuilt and "chunking" in report.rebuilt
    pages = [c.page for c in Index.open(tmp_path / "ix").chunks.values()
             if c.article_id == "chronicle.pdf"]
    assert set(pages) == {1, 2}


def test_bad_documents_leave_the_run_and_the_index_alone(docs, tmp_path):
    sync([docs], tmp_path / "ix", FakeEmbedder(), P)
    before = Index.open(tmp_path / "ix")
    # The indexed PDF turns bad (half-copied); new bad files arrive beside a new good one.
    good = (docs / "chronicle.pdf").read_bytes()
    (docs / "chronicle.pdf").write_bytes(good[: len(good) // 3])
    (docs / "locked.pdf").write_bytes(encrypted(two_pages()))
    (docs / "scan.pdf").write_bytes(scanned_pdf_bytes())
    (docs / "fake.docx").write_bytes(b"PK\x03\x04 not really a zip")
    write_pdf(docs / "new.pdf", [["A new report about puffins nesting on the cliffs."]])
    report = sync([docs], tmp_path / "ix", FakeEmbedder(), P)
    reasons = {Path(s.source).name: s.reason for s in report.skipped}
    assert set(reasons) == {"chronicle.pdf", "locked.pdf", "scan.pdf", "fake.docx"}
    assert "no text layer: run OCR first" in reasons["scan.pdf"]
    assert "password" in reasons["locked.pdf"] and "PDF" in reasons["chronicle.pdf"]
    assert (report.added, report.removed) == (1, 0)
    after = Index.open(tmp_path / "ix")
    assert after.articles["chronicle.pdf"] == before.articles["chronicle.pdf"]
    assert sorted(after.articles) == sorted([*before.articles, "new.pdf"])


def test_an_index_written_before_pages_existed_still_loads(docs, tmp_path):
    sync([docs], tmp_path / "ix", FakeEmbedder(), P)
    idx = Index.open(tmp_path / "ix", writable=True)
    # As an older version wrote them: no marks, no digest.
    idx.articles = {k: replace(a, pages=(), headings=(), digest=None) for k, a in idx.articles.items()}
    idx.chunks = {f: replace(c, pages=(), headings=()) for f, c in idx.chunks.items()}
    for k, a in idx.articles.items():
        idx.manifest["articles"][k]["sha256"] = article_hash(a)
    idx.save()
    again = Index.open(tmp_path / "ix")
    assert all(c.page is None for c in again.chunks.values())
    report = sync([docs], tmp_path / "ix", FakeEmbedder(), P)  # read again, pages come back
    assert report.changed == 2
    assert {c.page for c in Index.open(tmp_path / "ix").chunks.values()} >= {1, 2}
