"""Multiple-choice questions answered by their options' letters (rag.answer.options), through the
pipeline with the fake generator, whose letter probabilities follow the words the passages hold
and favour the first letter, as a small model's do; the choice's own refusal, and the written
draft's veto where it names none of the options."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from rag.answer import options
from rag.answer.prompt import REFUSAL, piece_ends
from rag.answer.reasons import why_refused
from rag.config import load_config
from rag.errors import ConfigError
from rag.pipeline import Pipeline
from tests.fakes import FakeGenerator

QUIZ = ("Which company will provide the server racks for the AI factory? "
        "(Options: Dell Technologies; Intel; AMD; Arm)")
NOWHERE = ("Which company will provide the server racks for the AI factory? "
           "(Options: Intel; AMD; Arm; Qualcomm)")


class Counting(FakeGenerator):
    """The fake generator, recording what it is asked: prompts scored, answers written."""

    def __init__(self):
        super().__init__()
        self.scored: list[list[dict]] = []

    def word_probabilities(self, messages, words):
        self.scored.append(messages)
        return super().word_probabilities(messages, words)


class Picks:
    """A generator sure of one option, whatever the passages say, that writes `writes`."""

    def __init__(self, option: str, p: float = 0.9, writes: str | None = None):
        self.option, self.p, self.writes = option, p, writes or f"{option} [1]"

    def word_probabilities(self, messages, words):
        listed = dict(re.findall(r"^([A-Z])\. (.*)$", str(messages[-1]["content"]), re.M))
        rest = (1.0 - self.p) / (len(listed) - 1)
        return {w: self.p if listed.get(w) == self.option else rest for w in words}

    def stream(self, messages, max_new_tokens=200, stop=None, confidence=None):
        assert "Options:\nA." not in str(messages[-1]["content"])  # the question as asked
        yield self.writes


def _pipe(fake_pipeline, generator, **changes):
    return Pipeline(fake_pipeline.index, fake_pipeline.embedder,
                    replace(fake_pipeline.config, **changes), generator)


def test_a_quiz_question_is_answered_by_its_options_letters(fake_pipeline):
    gen = Counting()
    a = _pipe(fake_pipeline, gen).ask(QUIZ)
    assert not a.refused and a.text.startswith("Dell Technologies [")
    assert gen.calls == 1  # the draft that streams; nothing judged
    assert a.checks["draft_option"] == "Dell Technologies"
    cited = a.citations[0]
    assert "Dell Technologies" in a.passages[cited.n - 1].chunk.text
    # asked twice, the options in both orders, so that the first letter's favour cancels out
    first, second = (re.findall(r"^[A-Z]\. (.*)$", str(m[-1]["content"]), re.M)
                     for m in gen.scored)
    assert first == ["Dell Technologies", "Intel", "AMD", "Arm", options.NONE_OF_THESE]
    assert second == ["Arm", "AMD", "Intel", "Dell Technologies", options.NONE_OF_THESE]
    assert a.checks["option"] == "Dell Technologies" and a.checks["refused_by"] is None
    assert a.checks["option_p"] == pytest.approx(0.8)  # (1.35 + 1.05) / 1.5 / 2
    assert sum(a.checks["options_p"].values()) == pytest.approx(1.0, abs=1e-3)
    assert "judge" not in a.timings_ms


def test_a_draft_naming_another_answer_refuses_the_option_however_likely(fake_pipeline):
    """Asked with the options in view, the model names another answer: none offered is
    right, which the letters cannot say (they share out what they have among the options)."""
    a = _pipe(fake_pipeline, Picks("Dell Technologies", 0.97, "Foxconn [1]")).ask(QUIZ)
    assert a.refused and a.checks["refused_by"] == "option"
    assert a.checks["draft_option"] is None and a.checks["option_p"] > 0.9
    assert "named none of the question's options" in why_refused(a.checks)
    # the model's own refusal is no veto: the letters have their own bar
    b = _pipe(fake_pipeline, Picks("Dell Technologies", 0.97, REFUSAL)).ask(QUIZ)
    assert not b.refused and b.text.startswith("Dell Technologies [")
    # a draft naming another option than the letters' is no veto either
    c = _pipe(fake_pipeline, Picks("Dell Technologies", 0.97, "Intel [1]")).ask(QUIZ)
    assert not c.refused and c.checks["draft_option"] == "Intel"


def test_the_lettered_prompt_keeps_the_answer_s_passages(fake_pipeline):
    pipe = _pipe(fake_pipeline, Counting())
    messages = pipe.messages(QUIZ, pipe.fit(pipe.retrieve(QUIZ)))
    asked = options.lettered(messages, QUIZ, ["Dell Technologies", "Intel"])
    assert asked[0] == messages[0]  # the same rules: the prompt cache holds them
    user, was = str(asked[-1]["content"]), str(messages[-1]["content"])
    head = was.rsplit("\n\nQuestion:", 1)[0]
    assert user == (f"{head}\n\nQuestion: Which company will provide the server racks for the AI "
                    "factory?\nOptions:\nA. Dell Technologies\nB. Intel\n"
                    f"C. {options.NONE_OF_THESE}\n\n{options.ASK}")
    assert asked[-1]["content"].piece_ends == tuple(piece_ends(user))  # passages cached alike
    assert asked[-1]["content"].piece_ends[:-1] == messages[-1]["content"].piece_ends[:-1]


def test_an_option_only_the_first_letter_favours_is_refused(fake_pipeline):
    """No option is in the passages: read in one order the first would have 0.7; both orders
    give the first and the last 0.4 each, under `min_option`."""
    a = _pipe(fake_pipeline, Counting()).ask(NOWHERE, audit=True)
    assert a.refused and a.text == REFUSAL
    assert a.checks["option_p"] == pytest.approx(0.4)
    assert "choice" in a.checks["failed"]
    assert a.checks["draft"] == "Intel"  # for the ablation: what it would have answered
    low = _pipe(fake_pipeline, Counting(), min_option=0.3).ask(NOWHERE)
    # the draft names Dell Technologies, no option; and no passage names Intel
    assert low.refused and low.checks["failed"] == ["option", "support"]


def test_the_refusal_says_which_option_was_likeliest(fake_pipeline):
    # 0.35 of the letters, 0.42 of the offered options' share ("none of these" left out)
    a = _pipe(fake_pipeline, Picks("Dell Technologies", 0.35)).ask(QUIZ)
    assert a.refused and a.checks["refused_by"] == "choice"
    assert why_refused(a.checks) == ("No option was likely enough by the passages (the likeliest, "
                                     "Dell Technologies, had 42%), so none was given.")


def test_an_option_no_passage_names_is_refused_however_likely(fake_pipeline):
    a = _pipe(fake_pipeline, Picks("Qualcomm", 0.97)).ask(NOWHERE)
    assert a.refused and a.checks["refused_by"] == "support" and a.checks["option_p"] > 0.9
    sure = _pipe(fake_pipeline, Picks("Dell Technologies", 0.97)).ask(QUIZ)
    assert not sure.refused and sure.text.startswith("Dell Technologies [")


def test_with_choice_draft_the_written_answer_is_mapped_to_its_option(fake_pipeline):
    gen = Counting()
    a = _pipe(fake_pipeline, gen, choice="draft").ask(QUIZ)
    assert gen.calls >= 1 and "option_p" not in a.checks and a.checks["option"]
    assert not any(str(m[-1]["content"]).endswith(options.ASK) for m in gen.scored)


def test_too_many_or_too_few_options_are_not_scored():
    gen = Picks("b")
    many = [chr(ord("a") + i) for i in range(options.MAX_OPTIONS + 1)]
    chat = [{"role": "system", "content": "rules"}, {"role": "user", "content": "P\n\nQuestion: q"}]
    assert options.score(gen, chat, "q", many) is None
    assert options.score(gen, chat, "q", ["a"]) is None
    assert options.score(object(), chat, "q", ["a", "b"]) is None  # no probabilities to read
    twice = options.score(gen, chat, "q?", ["a", "b", "b"])  # an option listed twice is one
    assert set(twice.probabilities) == {"a", "b"} and twice.option == "b"


@pytest.mark.parametrize("setting", [{"choice": "vote"}, {"min_option": 1.5}])
def test_bad_choice_settings_are_named(setting):
    with pytest.raises(ConfigError, match=next(iter(setting))):
        load_config(**setting)


def test_a_draft_written_without_the_options_in_view_vetoes_nothing(fake_pipeline):
    """A follow-up's standalone rewrite may leave the options out: its draft then answers the
    bare question, which names no option however right it is."""
    from rag.answer import refusal

    pipe = _pipe(fake_pipeline, Picks("Dell Technologies", 0.9))
    bare = "Which company will provide the server racks for the AI factory?"
    hits = pipe.fit(pipe.retrieve(bare))
    scored = options.score(pipe.generator, pipe.messages(bare, hits), bare,
                           ["Dell Technologies", "Intel", "AMD", "Arm"])
    draft = refusal.Draft("Foxconn [1]", QUIZ, bare, hits, [], 0.6)
    assert not refusal.decide_choice(scored, draft, pipe.config).refused
    asked = refusal.Draft("Foxconn [1]", QUIZ, QUIZ, hits, [], 0.6)
    assert refusal.decide_choice(scored, asked, pipe.config).checks["refused_by"] == "option"


def test_options_written_with_or_are_answered_by_their_letters(fake_pipeline):
    gen = Counting()
    listed = ("Which company will provide the server racks for the AI factory: Dell Technologies, "
              "Intel, AMD or Arm?")
    a = _pipe(fake_pipeline, gen).ask(listed)
    assert not a.refused and a.text.startswith("Dell Technologies [")
    user = str(gen.scored[0][-1]["content"])
    assert ("Question: Which company will provide the server racks for the AI factory?\nOptions:\n"
            "A. Dell Technologies\nB. Intel\nC. AMD\nD. Arm\n") in user
    gen = Counting()
    b = _pipe(fake_pipeline, gen).ask(
        "Will Dell Technologies or Qualcomm provide the server racks for the AI factory?")
    assert not b.refused and b.checks["option"] == "Dell Technologies"
    assert re.findall(r"^[A-Z]\. (.*)$", str(gen.scored[0][-1]["content"]), re.M)[:2] == [
        "Dell Technologies", "Qualcomm"]


def test_a_refused_choice_names_a_missing_option_only_where_none_is_held(fake_pipeline):
    """"The articles don't mention Qualcomm." would say why, were Qualcomm the only option; where
    another option is held, the refusal has another reason."""
    held = _pipe(fake_pipeline, Picks("Qualcomm", 0.97)).ask(
        "Will Dell Technologies or Qualcomm provide the server racks for the AI factory?")
    assert held.refused and held.checks["refused_by"] == "support" and held.text == REFUSAL
    neither = _pipe(fake_pipeline, Picks("Qualcomm", 0.97)).ask(
        "Will Qualcomm or Intel provide the server racks for the AI factory?")
    assert neither.refused and neither.text == "The articles don't mention Qualcomm."


def test_the_bar_for_two_or_three_options_is_as_far_from_an_even_share(fake_pipeline):
    """0.5 of four options is a third of the way from an even share (0.25) to certainty; two
    options split what four would, so half of two is no lean: 0.67 is the same distance."""
    from rag.answer.refusal import option_bar

    assert option_bar(0.5, 4) == 0.5
    assert option_bar(0.5, 2) == pytest.approx(2 / 3)
    assert option_bar(0.5, 3) == pytest.approx(5 / 9)
    assert option_bar(0.5, 8) == pytest.approx(0.125 + 0.875 / 3)
    # the same lean of the letters: 0.52 of four options' share, 0.62 of two options'
    four = _pipe(fake_pipeline, Picks("Dell Technologies", 0.45)).ask(QUIZ)
    assert not four.refused and four.checks["option_p"] == pytest.approx(0.5217, abs=1e-3)
    two = _pipe(fake_pipeline, Picks("Dell Technologies", 0.45)).ask(
        "Will Dell Technologies or Intel provide the server racks for the AI factory?")
    assert two.refused and two.checks["refused_by"] == "choice"
    assert two.checks["option_p"] == pytest.approx(0.6207, abs=1e-3)
    assert two.checks["option_bar"] == pytest.approx(0.6667, abs=1e-3)
