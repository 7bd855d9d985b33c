"""Whether a short answer is the kind of thing its question asks for (rag.answer.fits), alone and
as the refusal policy's checks."""

import pytest

from rag.answer import fits, refusal
from rag.answer.reasons import why_refused
from tests.fakes import Scripted


@pytest.mark.parametrize("answer, question, itself", [
    ("Dell Technologies", "What is Dell's expertise?", True),
    ("Nvidia Corporation", "Who is the CEO of Nvidia?", True),
    ("the Dell Technologies", "What is Dell's role?", True),
    ("Dell Technologies", "Which company is Michael Dell the CEO of?", False),  # not "Dell" alone
    ("Michael Dell", "Who leads Dell?", False),
    ("Nvidia H100", "What GPU does Nvidia make?", False),  # a model, not a company's ending
    ("Dell", "What is Dell's expertise?", False),  # the question's own words: the echo's own rule
])
def test_an_answer_that_is_the_question_s_name_in_full(answer, question, itself):
    assert fits.names_itself(answer, question) is itself


@pytest.mark.parametrize("answer, question, passages, unplaced", [
    ("Dell Technologies", "Where will the AI factory be built?",
     ["Dell Technologies will build the infrastructure that houses the AI factory."], True),
    ("Dell Technologies", "Where does she work?",
     ["She has worked at Dell Technologies since 2010."], False),  # written as a place
    ("the Acme Corporation", "Where was the meeting held?",
     ["The meeting was held in the Acme Corporation's tower."], False),
    ("Memphis", "Where will the AI factory be built?", ["It will be built in Memphis."], False),
    ("Dell Technologies", "Who will build the AI factory?", ["Dell Technologies will."], False),
])
def test_a_company_is_a_place_only_where_a_passage_says_so(answer, question, passages, unplaced):
    assert fits.no_place(answer, question, passages) is unplaced


def test_a_where_question_answered_with_a_company_is_refused(fake_pipeline):
    """"Where will the AI factory be located?" drafted "Dell Technologies [1]": the article says
    what Dell builds, nowhere where; the refusal says why."""
    q = "Where will the AI factory be located?"
    hits = fake_pipeline.retrieve(q, 3)
    d = refusal.decide(refusal.Draft("Dell Technologies [1]", q, q, hits, [], 0.7,
                                     confidence=0.9), fake_pipeline.config, Scripted("", "yes"))
    assert d.refused and d.checks["refused_by"] == "place" and d.checks["no_place"]
    assert "asks where" in why_refused(d.checks)
    who = "Who will build the infrastructure for the AI factory?"
    kept = refusal.decide(refusal.Draft("Dell Technologies [1]", who, who, hits, [], 0.7,
                                        confidence=0.9), fake_pipeline.config,
                          Scripted("", "yes"))
    assert not kept.refused and "no_place" not in kept.checks


@pytest.mark.parametrize("draft, shown", [
    ("Nvidia's Crucial Role [1] Nvidia, a leader in GPUs, grew [1].",
     "Nvidia, a leader in GPUs, grew [1]."),
    ("Nvidia’s Crucial Role\n\nNvidia, a leader in GPUs, grew [1].",
     "Nvidia, a leader in GPUs, grew [1]."),
    ("The AI Arms Race Intensifies [1]", "The AI Arms Race Intensifies [1]"),  # nothing after it
    ("Nvidia's Crucial Role: Nvidia grew [1].", "Nvidia's Crucial Role: Nvidia grew [1]."),
    ("Nvidia grew [1]. The AI Arms Race Intensifies [2].",
     "Nvidia grew [1]. The AI Arms Race Intensifies [2]."),  # only at the start
])
def test_a_section_heading_the_draft_opens_with_is_left_out(draft, shown):
    passages = ["Nvidia’s Crucial Role\n\nNvidia, a leader in GPUs, grew.",
                "The AI Arms Race Intensifies\n\nThis partnership marks a key moment."]
    assert fits.without_heading(draft, passages) == shown


def test_an_answer_opening_with_a_heading_is_shown_without_it(fake_pipeline):
    q = "What is Nvidia's role?"
    hits = fake_pipeline.retrieve(q, 3)
    assert any("Nvidia’s Crucial Role" in h.chunk.text for h in hits)
    raw = ("Nvidia’s Crucial Role [1] Nvidia, a leader in graphics processing units (GPUs) and "
           "AI chips, has experienced a surge in market value [1].")
    d = refusal.decide(refusal.Draft(raw, q, q, hits, [], 0.7, confidence=0.9),
                       fake_pipeline.config, Scripted("", "yes"))
    assert not d.refused and d.text.startswith("Nvidia, a leader in graphics processing units")
