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


@pytest.mark.parametrize("answer, heading", [
    ("The Future of AI [1]", True),
    ("the future of ai.", True),
    ("Nvidia’s Crucial Role", True),
    ("Future", False),  # one word: a name as often as a heading
    ("Taylor Swift", False),  # a line of a list: the next line is short too
    ("Travis Kelce", False),  # the list's last line
    ("This collaboration highlights the growing importance", False),  # part of a paragraph
])
def test_an_answer_that_is_a_section_heading(answer, heading):
    passages = ["The Future of AI\n\nThis collaboration highlights the growing importance of "
                "strategic partnerships in the AI field.\n\nNvidia’s Crucial Role\n\nNvidia, a "
                "leader in graphics processing units (GPUs) and AI chips, has grown.",
                "Future\n\nThe winners, in order of the votes they received:\n\nTaylor Swift\n"
                "Beyonce Knowles\nTravis Kelce"]
    assert fits.is_heading(answer, passages) is heading


class RefusesThenHeads(Scripted):
    """Refuses under the short answer's rules; with the refusal barred (the second look), copies
    a section heading; under the rules for sentences, writes `text`."""

    def __init__(self, text, verdict="yes"):
        super().__init__(text, verdict)
        self.rules = []

    def stream(self, messages, max_new_tokens=200, stop=None, confidence=None,
               bar_refusal=False):
        from rag.answer.prompt import EXPLAIN, REFUSAL, SHORT

        system = messages[0]["content"]
        if system in (SHORT, EXPLAIN):
            self.rules.append((system, bar_refusal))
        if system == SHORT:
            yield "The Future of AI [1]" if bar_refusal else REFUSAL
        else:  # the answer in sentences, or the judge's verdict
            yield from super().stream(messages, max_new_tokens, stop, confidence)


def test_a_section_heading_for_an_answer_is_asked_again_in_sentences(fake_pipeline):
    """"What does this collaboration highlight for the AI field?": the model refuses, then, with
    the refusal barred, copies the section heading "The Future of AI" (as the real model did for
    "What could these developments mean for industries?"). A heading names a topic, not an
    answer: where every other check passes it, its section is asked for in sentences, and that
    draft is checked as any other."""
    from dataclasses import replace

    from rag.answer.prompt import EXPLAIN, SHORT
    from rag.pipeline import Pipeline

    q = "What does this collaboration highlight for the AI field?"
    said = ("It highlights the growing importance of strategic partnerships in the AI field "
            "[1].")

    def pipe(verdict="yes"):
        cfg = replace(fake_pipeline.config, answer_style="short")
        return Pipeline(fake_pipeline.index, fake_pipeline.embedder, cfg,
                        RefusesThenHeads(said, verdict))

    held = pipe()
    hits = held.retrieve(q, 3)
    assert any("The Future of AI\n" in h.chunk.text for h in hits)
    a = held.ask(q)
    assert not a.refused and a.text.startswith("It highlights the growing importance")
    assert a.checks["second_look"] == "answered" and a.checks["first_refused_by"] == "model"
    assert held._generator.rules == [(SHORT, False), (SHORT, True), (EXPLAIN, False)]
    # a heading the judge turns down is refused as it was, not asked again: that only costs time
    turned_down = pipe("No.")
    judged = turned_down.ask(q)
    assert judged.refused and "Future of AI" not in judged.text
    assert judged.checks["refused_by"] == "judge" and judged.checks["second_look"] == "checked"
    assert turned_down._generator.rules == [(SHORT, False), (SHORT, True)]
