"""A PDF with the real models (slow): the answer to a question is on page 2 of a two-page report,
and the answer's citation says page 2, as does the JSON that `rag ask --json` prints."""

from dataclasses import replace

import pytest

from corpora.documents import pdf_bytes
from rag import registry
from rag.index.chunking import ChunkParams
from rag.index.indexing import sync
from rag.pipeline import Pipeline

pytestmark = pytest.mark.slow

PAGE1 = [
    "The Skerry Island Trust was founded in 1962 to look after the island's harbour, its "
    "school and the footpaths along the western cliffs. Its board of seven trustees meets "
    "four times a year in the old schoolhouse.",
    "In its first decades the trust repaired the harbour wall twice, after the storms of 1968 "
    "and 1979, and bought the island's first diesel generator. Ferry crossings to Oban were "
    "cut from daily to three a week in winter to save fuel.",
    "Membership grew from forty households to more than two hundred by the end of the century, "
    "and the trust began to publish a yearly report on its accounts and its work.",
]
PAGE2 = [
    "The lighthouse on Skerry Point was automated in 1987. Its last keeper, Agnes Moray, had "
    "tended the light for twenty-two years before she moved to the mainland that winter.",
    "Since then the keeper's cottage has been let to visiting birdwatchers, who come in spring "
    "to count the puffins nesting on the northern stacks.",
]


def test_answer_on_page_two_is_cited_to_page_two(real_config, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "trust-report.pdf").write_bytes(pdf_bytes(
        [PAGE1, PAGE2], heading="Skerry Island Trust: Sixty Years",
        header="Skerry Island Trust — Annual Report", date="2022-09-30"))
    cfg = replace(real_config, index=str(tmp_path / "index"))
    emb = registry.embedder(cfg.embedder, cfg.embedder_dtype, cfg.threads)
    report = sync([docs], cfg.index, emb, ChunkParams(cfg.chunk_tokens, cfg.chunk_overlap))
    assert report.added == 1 and not report.skipped
    a = Pipeline.open(cfg, load_generator=True).ask(
        "Who was the last keeper of the lighthouse on Skerry Point?")
    assert not a.refused, (a.text, a.checks)
    assert "Agnes Moray" in a.text
    (c,) = a.citations
    assert c.hit.chunk.article_id == "trust-report.pdf"
    assert c.to_dict()["page"] == 2
    assert a.to_dict()["citations"][0]["page"] == 2
