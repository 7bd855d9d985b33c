"""The chat's pure parts without a browser: rendering, upload checks and names, feedback lines."""

from __future__ import annotations

import json
from pathlib import Path

from rag import registry
from rag.answer.reasons import REASONS, why_refused
from tests.conftest import SEEDS
from ui import feedback, render
from ui.chat import load_examples
from ui.uploads import MAX_BYTES, add_uploads, safe_name, store


def test_esc_leaves_nothing_active():
    out = render.esc("<script>x()</script> <img onerror=y> ${z} {{w}} [a](javascript:v) **b** 'q\"")
    for active in ("<", ">", "${", "{{", "](", "**", "'", '"'):
        assert active not in out


def test_answer_markers_link_to_sources_and_text_is_escaped():
    out = render.answer_html("Dell <b>and</b> Nvidia [2]. Grok [1, 3].")
    assert '<a class="cite" href="#source-2">' in out and 'href="#source-3"' in out
    assert "<b>" not in out and "&lt;b&gt;" in out
    assert 'class="refusal"' in render.answer_html("The articles don't say.", refused=True)
    assert "(stopped)" in render.answer_html("Dell", stopped=True)


def test_highlight_marks_the_supporting_sentence_only():
    out = render.highlight("One <x>. Two is here. Three.", "Two is here.")
    assert out == "One &lt;x&gt;. <mark>Two is here.</mark> Three."
    assert "<mark>" not in render.highlight("One. Two.", "Not in it.")


def test_sources_panel_cited_first_uncited_folded_and_search_shown(fake_pipeline):
    a = fake_pipeline.ask("Which companies are building an AI factory to power Grok?")
    assert a.citations
    out = render.answer_sources_html(a)
    c = a.citations[0]
    assert f'id="source-{c.n}"' in out and "<mark>" in out
    assert "<details" in out and "not cited" in out
    assert "Searched for" not in out
    out = render.sources_html("and its CEO?", a.passages, a.citations, "Dell's CEO?")
    assert "Searched for" in out and "Dell&#39;s CEO?" in out


def test_a_refusal_says_which_check_refused(fake_pipeline):
    from dataclasses import replace

    a = fake_pipeline.ask("What is the recipe for sourdough bread with rye flour?")
    assert a.refused and a.checks["refused_by"] in REASONS
    out = render.answer_sources_html(a)
    assert render.esc(why_refused(a.checks)) in out and "These were searched" in out
    invented = replace(a, checks={"refused_by": "novel", "novel_terms": ["Huang", "2019"]})
    assert render.esc("named things no passage holds (Huang, 2019)") in render.answer_sources_html(
        invented)
    judged = render.answer_sources_html(replace(a, checks={"refused_by": "judge",
                                                           "judge_p_yes": 0.634}))
    assert "not stated there" in judged and render.esc("confidence: 63%") in judged
    assert why_refused({}) == "Nothing retrieved answers this."


def test_a_reply_to_small_talk_is_not_shown_as_a_refusal(fake_pipeline):
    """"hi" counts as no answer, but the chat shows its reply plainly, and says why nothing was
    searched; a question nothing answers is still shown as a refusal."""
    hello = fake_pipeline.ask("hi")
    assert hello.refused and not render.shown_as_refusal(hello)
    out = render.answer_sources_html(hello)
    assert "Nothing was searched" in out and "No passages were retrieved" not in out
    refused = fake_pipeline.ask("What is the recipe for sourdough bread with rye flour?")
    assert refused.refused and render.shown_as_refusal(refused)


def test_links_only_from_web_urls(fake_pipeline):
    from dataclasses import replace

    hit = fake_pipeline.retrieve("Dell Nvidia Grok")[0]
    good = render.sources_html("q", [replace(hit, url="https://example.com/a?b=1&c=2")])
    assert 'href="https://example.com/a?b=1&amp;c=2"' in good and 'rel="noopener' in good
    bad = render.sources_html("q", [replace(hit, url="javascript:alert(1)")])
    assert "href" not in bad


def test_timings_and_facts():
    assert render.timings_text({"retrieve": 12.3, "first_token": 812.0, "total": 2345.0}) == \
        "retrieve 12 ms · first token 812 ms · total 2.3 s"
    md = render.facts_markdown({"articles": 3, "chunks": 40, "embedder": "e", "generator": "g",
                                "updated": "2024-06-20T10:00:00"})
    assert "**3** articles" in md and "2024-06-20 10:00:00" in md


def test_safe_names_stay_in_the_uploads_folder():
    assert safe_name("../../etc/passwd.txt") == "upload-passwd.txt"
    assert safe_name("..\\..\\win.ini.MD") == "upload-win_ini.md"
    assert safe_name("my report (v2).html") == "upload-my_report_v2.html"
    assert safe_name("<script>.jsonl") == "upload-script.jsonl"
    assert safe_name("....txt") == "upload-article.txt"


def test_store_checks_type_and_size(tmp_path):
    ok = tmp_path / "a.txt"
    ok.write_text("Some article text.")
    exe = tmp_path / "b.exe"
    exe.write_bytes(b"MZ")
    big = tmp_path / "c.md"
    big.write_bytes(b"x" * (MAX_BYTES + 1))
    kept, errors = store([(str(ok), "a.txt"), (str(exe), "b.exe"), (str(big), "c.md")],
                         tmp_path / "uploads")
    assert [p.name for p in kept] == ["upload-a.txt"]
    assert any("b.exe: type .exe is not accepted" in e for e in errors)
    assert any("c.md" in e and "limit" in e for e in errors)


def test_uploads_are_indexed_incrementally_without_pruning(fake_index, tmp_path):
    emb = registry.embedder("fake-hash")
    art = tmp_path / "quantum.md"
    art.write_text("# Quantum bakery\n\nThe Zorblatt Institute opened a quantum bakery.\n")
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\xe9".encode("latin-1"))
    res = add_uploads([(str(art), "quantum.md"), (str(bad), "latin1.txt")], fake_index, emb)
    assert res.saved == ["upload-quantum.md"]
    assert res.report.added == 1 and res.report.removed == 0
    assert any("upload-latin1.txt" in e and "UTF-8" in e for e in res.errors)
    assert not (Path(fake_index) / "uploads" / "upload-latin1.txt").exists()
    again = add_uploads([(str(art), "quantum.md")], fake_index, emb)
    assert again.report.unchanged == 1 and again.report.embedded == 0
    from rag.index.store import Index
    assert set(Index.open(fake_index).articles) == {"000_d2bc7125750b2eac.txt", "upload-quantum.md"}


def test_feedback_lines_hold_question_answer_and_citations(fake_pipeline, fake_index):
    a = fake_pipeline.ask("Which companies are building an AI factory to power Grok?")
    path = feedback.record(fake_index, a, liked=False)
    entry = json.loads(path.read_text().splitlines()[-1])
    assert entry["rating"] == "down" and entry["question"] == a.question
    assert entry["answer"] == a.text and entry["citations"][0]["chunk_id"] == a.citations[0].hit.chunk.id


def test_examples_come_from_the_seed_questions():
    ex = load_examples(SEEDS / "questions.jsonl")
    assert ex and ex[0].endswith("?") and len(ex) <= 8
    assert load_examples(SEEDS / "missing.jsonl") == []
