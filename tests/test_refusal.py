"""The refusal policy (rag.answer.refusal), through the pipeline with a scripted generator: each
check in its order, the judge's two questions and its threshold, the model's certainty, the
retrieval strength, an audit that runs every check, and the reason a person reads
(rag.answer.reasons)."""

from dataclasses import replace

from rag.answer.judge import JUDGE_SYSTEM
from rag.answer.prompt import EXPLAIN, REFUSAL, SHORT
from rag.answer.reasons import why_refused
from rag.pipeline import Pipeline
from tests.fakes import Scripted


def _with(fake_pipeline, text, verdict="yes"):
    return Pipeline(fake_pipeline.index, fake_pipeline.embedder, fake_pipeline.config,
                    Scripted(text, verdict))


def test_answer_the_generator_judges_unstated_is_refused(fake_pipeline):
    text = "Michael Dell confirmed the collaboration on Twitter."
    kept = _with(fake_pipeline, text, "Yes.")
    assert not kept.ask("Who confirmed the collaboration?").refused
    judged = kept._generator.judged[0][1]["content"]
    assert "Proposed answer: Michael Dell confirmed the collaboration on Twitter." in judged
    assert "Michael Dell, CEO of Dell Technologies" in judged  # the cited passage is the text
    assert "(Published 2024-06-20.)" in judged  # with its date, which an answer may use
    a = _with(fake_pipeline, text, "No, it does not.").ask("Who confirmed the collaboration?")
    assert a.refused and a.text == REFUSAL and "judge" in a.timings_ms


def test_the_follow_up_judge_asks_in_the_answer_conversation(fake_pipeline):
    from dataclasses import replace

    text = "Michael Dell confirmed the collaboration on Twitter."
    pipe = _with(fake_pipeline, text, "yes")
    pipe.config = replace(pipe.config, judge=2)
    assert not pipe.ask("Who confirmed the collaboration?").refused
    convo = pipe._generator.judged[0]
    # the answer's own prompt first (a prefix the runtime has cached), then its draft, then the ask
    assert convo[0]["content"].startswith("You are a helpful assistant")
    assert "Passages:" in convo[1]["content"] and convo[2] == {"role": "assistant",
                                                               "content": text + " "}
    assert convo[3]["content"].startswith(
        "Proposed answer: Michael Dell confirmed the collaboration on Twitter.")
    pipe._generator.verdict = "No."
    assert pipe.ask("Who confirmed the collaboration?").refused


def test_the_in_prompt_judge_asks_after_the_answer_s_own_prompt(fake_pipeline):
    """`judge = 3`: both questions continue the answer's prompt word for word (the head the
    runtime's prompt cache holds), after its question; no assistant turn, no fresh text."""
    from dataclasses import replace

    text = "Michael Dell confirmed the collaboration on Twitter."
    pipe = _with(fake_pipeline, text, "yes")
    pipe.config = replace(pipe.config, judge=3)
    seen = []
    draft = pipe.messages  # the answer's prompt, as the pipeline builds it

    def messages(query, hits):
        m = draft(query, hits)
        seen.append(m)
        return m

    pipe.messages = messages
    assert not pipe.ask("Who confirmed the collaboration?").refused
    answer_prompt = seen[0]
    first, second = pipe._generator.judged
    for asked in (first, second):
        assert len(asked) == 2 and asked[0] == answer_prompt[0]
        assert asked[1]["content"].startswith(answer_prompt[1]["content"] + "\n\n")
    assert first[1]["content"].endswith(
        "Proposed answer: Michael Dell confirmed the collaboration on Twitter.\n\n"
        "Is the proposed answer correct according to the passages? Reply with one word: yes or no.")
    assert second[1]["content"].endswith("\n\nDo the passages answer this question? Reply with "
                                         "one word: yes or no.")
    pipe._generator.verdict = "No."
    assert pipe.ask("Who confirmed the collaboration?").refused


def test_uncited_but_supported_answer_gets_its_citation(fake_pipeline):
    a = _with(fake_pipeline, "Michael Dell confirmed the collaboration on Twitter.").ask(
        "Who confirmed the collaboration?")
    assert not a.refused and a.citations and a.text.endswith(f"[{a.citations[0].n}].")
    assert "Twitter" in a.citations[0].hit.chunk.text


def test_uncited_unsupported_answer_is_refused(fake_pipeline):
    a = _with(fake_pipeline, "Nvidia earned 26 billion dollars in revenue.").ask(
        "What was Nvidia's revenue?")
    assert a.refused and a.text == REFUSAL and a.citations == ()


def test_checks_say_which_check_refused(fake_pipeline):
    ok = _with(fake_pipeline, "Michael Dell confirmed the collaboration on Twitter.").ask(
        "Who confirmed the collaboration?")
    assert ok.checks["refused_by"] is None and ok.checks["judge"] == "yes"
    assert ok.checks["strength"] >= fake_pipeline.config.min_score and "draft" not in ok.checks
    invented = _with(fake_pipeline, "Jensen Huang confirmed it on Twitter.").ask(
        "Who confirmed the collaboration?")
    assert invented.refused and invented.checks["refused_by"] == "novel"
    assert invented.checks["novel_terms"] == ["Huang"]  # "Jensen" only starts the sentence
    assert "judge" not in invented.checks  # skipped once a check has refused
    judged = _with(fake_pipeline, "Michael Dell confirmed the collaboration on Twitter.",
                   "No.").ask("Who confirmed the collaboration?")
    assert judged.checks["refused_by"] == "judge" and judged.to_dict()["checks"]["judge"] == "no"


def test_a_verdict_before_the_model_s_refusal_is_not_shown(fake_pipeline):
    """"No" above "The articles don't say." reads as an answer; the refusal alone is shown, and
    a refusal that says more than the fixed sentence keeps its words."""
    for said in ("No\nThe articles don't say.", "Yes. The articles don't say."):
        a = _with(fake_pipeline, said).ask("Is Grok being developed by OpenAI?")
        assert a.refused and a.text == REFUSAL and a.checks["refused_by"] == "model"
    own = "The articles don't say when the factory opens."
    assert _with(fake_pipeline, own).ask("When will the factory open?").text == own


class SecondThoughts(Scripted):
    """Refuses, and answers `text` where the refusal is barred (the llama.cpp runtime's
    `bar_refusal`)."""

    def __init__(self, text, verdict="yes"):
        super().__init__(text, verdict)
        self.barred = 0

    def stream(self, messages, max_new_tokens=200, stop=None, confidence=None,
               bar_refusal=False):
        if not bar_refusal and messages[0]["content"] != JUDGE_SYSTEM:
            yield REFUSAL
            return
        self.barred += bar_refusal
        yield from super().stream(messages, max_new_tokens, stop, confidence)


def test_a_refusal_gets_a_second_look_whose_draft_is_checked(fake_pipeline):
    from dataclasses import replace

    def pipe(text, verdict="yes", second_look=1):
        cfg = replace(fake_pipeline.config, second_look=second_look)
        return Pipeline(fake_pipeline.index, fake_pipeline.embedder, cfg,
                        SecondThoughts(text, verdict))

    q = "Who confirmed the collaboration?"
    held = pipe("Michael Dell confirmed the collaboration on Twitter.")
    a = held.ask(q)
    assert not a.refused and "Michael Dell" in a.text and a.checks["second_look"] == "answered"
    assert held._generator.barred == 1 and a.checks["refused_by"] is None
    # the second draft meets every check: an invented name is refused as any draft is
    invented = pipe("Jensen Huang confirmed it on Twitter.").ask(q)
    assert invented.refused and invented.checks["refused_by"] == "novel"
    assert invented.checks["second_look"] == "checked" and invented.text == REFUSAL
    judged = pipe("Michael Dell confirmed the collaboration on Twitter.", "No.").ask(q)
    assert judged.refused and judged.checks["refused_by"] == "judge"
    # refused again, or turned off: the model's own refusal stands
    again = pipe(REFUSAL).ask(q)
    assert again.refused and again.checks["refused_by"] == "model"
    assert again.checks["second_look"] == "refused"
    off = pipe("Michael Dell confirmed the collaboration on Twitter.", second_look=0)
    a = off.ask(q)
    assert a.refused and "second_look" not in a.checks and off._generator.barred == 0


class SureSecondThoughts(SecondThoughts):
    """The same, reporting its certainty and a graded verdict, so the decision is weighed."""

    def __init__(self, text, p_yes):
        super().__init__(text)
        self.p_yes = p_yes

    def stream(self, messages, max_new_tokens=200, stop=None, confidence=None,
               bar_refusal=False):
        for piece in super().stream(messages, max_new_tokens, stop, None, bar_refusal):
            if confidence is not None:
                confidence.append(0.9)
            yield piece

    def word_probabilities(self, messages, words):
        return {w: {"yes": self.p_yes, "no": 1 - self.p_yes}.get(w.lower(), 0.0) for w in words}


def test_the_second_look_s_draft_clears_a_higher_bar(fake_pipeline):
    """Weighed (`decision = "score"`), a second draft is refused under `second_look_min_right`,
    not `min_right`."""
    from dataclasses import replace

    text = "Michael Dell confirmed the collaboration on Twitter."
    q = "Who confirmed the collaboration?"
    cfg = replace(fake_pipeline.config, decision="score", judge=1)
    given = {}
    for bar in (0.0, 0.99):
        pipe = Pipeline(fake_pipeline.index, fake_pipeline.embedder,
                        replace(cfg, second_look_min_right=bar), SureSecondThoughts(text, 0.8))
        given[bar] = pipe.ask(q)
    p = given[0.0].checks["p_right"]
    assert cfg.min_right <= p < 0.99 and not given[0.0].refused
    assert given[0.99].refused and given[0.99].checks["refused_by"] == "judge"
    assert given[0.99].checks["second_look"] == "checked"


class ShortThenWritten(Scripted):
    """Under the short answer's rules, the question's own words; under the rules for an answer
    in sentences (rag.answer.prompt.EXPLAIN), `text`."""

    def __init__(self, echo, text, verdict="yes"):
        super().__init__(text, verdict)
        self.echo, self.rules = echo, []

    def stream(self, messages, max_new_tokens=200, stop=None, confidence=None):
        system = messages[0]["content"]
        if system in (SHORT, EXPLAIN):
            self.rules.append(system)
        if system == SHORT:
            yield self.echo
        else:  # the answer in sentences, or the judge's verdict
            yield from super().stream(messages, max_new_tokens, stop, confidence)


def test_a_short_draft_that_echoes_the_question_is_written_out_again(fake_pipeline):
    """"GPUs [1]" for "What are Nvidia's GPUs well-suited for?" found no span to copy: the same
    passages are asked again under the rules for sentences, and that draft is checked as any
    other; the echo stands where it is refused too, or where the second look is off."""
    q = "What are Nvidia's GPUs well-suited for?"
    said = "Nvidia's GPUs are well-suited for the immense computational power of AI models [1]."

    def pipe(echo, text, verdict="yes", second_look=1):
        cfg = replace(fake_pipeline.config, second_look=second_look)
        return Pipeline(fake_pipeline.index, fake_pipeline.embedder, cfg,
                        ShortThenWritten(echo, text, verdict))

    held = pipe("GPUs [1]", said)
    a = held.ask(q)
    assert not a.refused and "computational power" in a.text
    assert a.checks["second_look"] == "answered" and a.checks["first_refused_by"] == "echo"
    assert held._generator.rules[0] == SHORT and held._generator.rules[-1] == EXPLAIN
    kinds = [e["type"] for e in pipe("GPUs [1]", said).stream(q)]
    assert kinds[-2:] == ["second_look", "answer"]
    judged = pipe("GPUs [1]", said, "No.").ask(q)
    assert judged.refused and judged.checks["refused_by"] == "judge"
    assert judged.checks["second_look"] == "checked"
    off = pipe("GPUs [1]", said, second_look=0)
    assert off.ask(q).checks["refused_by"] == "echo" and off._generator.rules == [SHORT]
    # a draft that answers is not asked again; nor one the model refused in sentences
    named = pipe("the immense computational power of AI models [1]", said)
    assert not named.ask(q).refused and named._generator.rules == [SHORT]
    again = pipe("GPUs [1]", REFUSAL).ask(q)
    assert again.refused and again.checks["refused_by"] == "echo"
    assert again.checks["second_look"] == "refused"


def test_a_generator_that_cannot_bar_a_refusal_keeps_it(fake_pipeline):
    a = _with(fake_pipeline, REFUSAL).ask("Who confirmed the collaboration?")
    assert a.refused and a.checks["refused_by"] == "model" and "second_look" not in a.checks
    kinds = [e["type"] for e in _with(fake_pipeline, REFUSAL).stream("Who confirmed it?")]
    assert "second_look" not in kinds


def test_the_chat_says_it_reads_again_after_the_model_refused(fake_pipeline):
    """The refusal streams first; the stream then says a second look is under way, and the chat
    shows a note under the text until the checked answer replaces both."""
    from types import SimpleNamespace

    from ui.chat import _Events

    pipe = Pipeline(fake_pipeline.index, fake_pipeline.embedder, fake_pipeline.config,
                    SecondThoughts("Michael Dell confirmed the collaboration on Twitter."))
    kinds = [e["type"] for e in pipe.stream("Who confirmed the collaboration?")]
    assert kinds[-2:] == ["second_look", "answer"] and "token" in kinds
    shown = [out[0][-1]["content"] for out in _Events(pipe, None).respond(
        "Who confirmed the collaboration?", None, SimpleNamespace(session_hash="s"))]
    again = [c for c in shown if "Reading the passages again" in c]
    assert len(again) == 1 and "articles don" in again[0]
    assert "Michael Dell" in shown[-1] and "Reading the passages again" not in shown[-1]


def test_audit_runs_every_check_and_decides_the_same(fake_pipeline):
    from dataclasses import replace

    q = "Who confirmed the collaboration?"
    plain = _with(fake_pipeline, "Jensen Huang confirmed it on Twitter.")
    audited = plain.ask(q, audit=True)
    assert audited.refused and audited.text == plain.ask(q).text == REFUSAL
    assert audited.checks["failed"] == ["novel", "judge"] or audited.checks["failed"] == ["novel"]
    assert audited.checks["refused_by"] == "novel" and "judge" in audited.checks
    assert audited.checks["draft"].startswith("Jensen Huang confirmed it on Twitter")

    # A retrieval below min_score: generated and checked for the record, still refused, and
    # no token of the draft reaches the reader.
    strict = Pipeline(fake_pipeline.index, fake_pipeline.embedder,
                      replace(fake_pipeline.config, min_score=0.99),
                      Scripted("Michael Dell confirmed the collaboration on Twitter."))
    q = "Tell me a joke, please"  # no word of it in any passage: below min_score, weak
    events = list(strict.stream(q, audit=True))
    tokens = "".join(e["text"] for e in events if e["type"] == "token")
    answer = events[-1]["answer"]
    assert answer.refused and answer.text == REFUSAL and "Michael" not in tokens
    # every check runs for the record (these passages do not hold the draft's names either)
    assert answer.checks["failed"][0] == "retrieval" and answer.checks["refused_by"] == "retrieval"
    assert answer.checks["draft"].startswith("Michael Dell confirmed")
    plain_weak = strict.ask(q)
    assert plain_weak.checks == {"strength": answer.checks["strength"], "lexical": False,
                                 "refused_by": "retrieval", "failed": ["retrieval"]}


def test_the_judge_is_graded_and_its_threshold_decides(fake_pipeline):
    from dataclasses import replace

    # Most of the answer's words are in the cited passage, not all: the fake judge's P(yes) is
    # under 0.5 (graded by the share).
    text = "Michael Dell confirmed the collaboration on Twitter with great excitement."
    strict = Pipeline(fake_pipeline.index, fake_pipeline.embedder, fake_pipeline.config,
                      fake_pipeline.generator)
    strict._generator = type("G", (), {
        "stream": lambda self, m, n=200, stop=None: iter([text]),
        "word_probabilities": lambda self, m, w: fake_pipeline.generator.word_probabilities(m, w),
    })()
    a = strict.ask("Who confirmed the collaboration?")
    p = a.checks["judge_p_yes"]
    assert 0 < p < 0.5 and a.refused and a.checks["refused_by"] == "judge"
    lenient = Pipeline(fake_pipeline.index, fake_pipeline.embedder,
                       replace(strict.config, min_judge=p / 2), strict._generator)
    b = lenient.ask("Who confirmed the collaboration?")
    assert not b.refused and b.checks["judge"] == "yes" and b.checks["judge_p_yes"] == p


def test_the_judge_also_asks_whether_the_text_answers_the_question(fake_pipeline):
    """An answer correct by the words of the cited text is still refused when the judge finds
    that the text does not answer the question asked (SQuAD 2.0's unanswerable questions); the
    verdict is the lower of the two P(yes), and the second question is only asked when the first
    passes, unless audited."""
    from dataclasses import replace

    class TwoQuestions(Scripted):
        def __init__(self, text, p_correct, p_answers):
            super().__init__(text)
            self.p = {"correct": p_correct, "answers": p_answers}
            self.asked = []

        def word_probabilities(self, messages, words):
            which = "correct" if "Proposed answer:" in messages[-1]["content"] else "answers"
            self.asked.append(which)
            return {"yes": self.p[which], "no": 1 - self.p[which]}

    def ask(p_correct, p_answers, audit=False):
        gen = TwoQuestions("Michael Dell [1]", p_correct, p_answers)
        pipe = Pipeline(fake_pipeline.index, fake_pipeline.embedder,
                        replace(fake_pipeline.config, min_judge=0.7), gen)
        return gen, pipe.ask("Who confirmed the collaboration?", audit=audit)

    gen, a = ask(0.9, 0.8)
    assert not a.refused and gen.asked == ["correct", "answers"]
    assert (a.checks["judge_p_correct"], a.checks["judge_p_answers"], a.checks["judge_p_yes"]) \
        == (0.9, 0.8, 0.8)
    assert not gen.judged  # read off the probabilities, not a written verdict
    gen, b = ask(0.9, 0.4)  # correct by the words, but the text does not answer the question
    assert b.refused and b.checks["refused_by"] == "judge" and b.checks["judge_p_yes"] == 0.4
    gen, c = ask(0.5, 0.95)  # the first question fails: the second is not asked
    assert c.refused and gen.asked == ["correct"] and "judge_p_answers" not in c.checks
    gen, d = ask(0.5, 0.95, audit=True)  # audited: both asked, for the trade-off's replay
    assert gen.asked == ["correct", "answers"] and d.checks["judge_p_yes"] == 0.5


def test_an_answer_made_of_the_question_s_words_is_refused(fake_pipeline):

    a = _with(fake_pipeline, "Dell Technologies [1].").ask("Who is the CEO of Dell Technologies?")
    assert a.refused and a.checks["refused_by"] == "echo" and a.checks["echo"] is True
    assert "repeated words of the question" in why_refused(a.checks)
    ok = _with(fake_pipeline, "Michael Dell [1].").ask("Who is the CEO of Dell Technologies?")
    assert not ok.refused and "echo" not in ok.checks
    # A question that offers the choice is answered with its own words.
    pick = _with(fake_pipeline, "Dell Technologies [1].").ask(
        "Is the CEO of Dell Technologies at Dell Technologies or at Nvidia?")
    assert "echo" not in pick.checks
    # So does one that lists options to pick from, as news quizzes do.
    quiz = _with(fake_pipeline, "Nvidia [1].").ask(
        "Which company is Dell working with on the AI factory? (Options: Nvidia; Intel; AMD; Arm)")
    assert "echo" not in quiz.checks


def test_an_answer_the_model_was_unsure_of_is_refused_before_the_judge(fake_pipeline):
    from dataclasses import replace

    class Unsure(Scripted):
        def __init__(self, text, certainty):
            super().__init__(text)
            self.certainty = certainty

        def stream(self, messages, max_new_tokens=200, stop=None, confidence=None):
            if confidence is not None and messages[0]["content"] != JUDGE_SYSTEM:
                confidence.extend([0.9, self.certainty, 0.8])
            yield from super().stream(messages, max_new_tokens, stop, confidence)

    text = "Michael Dell confirmed the collaboration on Twitter."
    # the two thresholds, each alone (by default the certainty is weighed with the judge's
    # P(yes) and the retrieval strength: the next test)
    cfg = replace(fake_pipeline.config, min_confidence=0.3, decision="thresholds")
    sure = Pipeline(fake_pipeline.index, fake_pipeline.embedder, cfg, Unsure(text, 0.35))
    a = sure.ask("Who confirmed the collaboration?")
    assert not a.refused and a.checks["confidence"] == 0.35  # the lowest of its words
    unsure = Pipeline(fake_pipeline.index, fake_pipeline.embedder, cfg, Unsure(text, 0.2))
    b = unsure.ask("Who confirmed the collaboration?")
    assert b.refused and b.checks["refused_by"] == "unsure" and "judge_p_yes" not in b.checks
    assert not unsure._generator.judged  # no judge pass spent on it
    assert "20%" in why_refused(b.checks)
    audited = unsure.ask("Who confirmed the collaboration?", audit=True)
    assert audited.checks["failed"] == ["unsure"] and "judge_p_yes" in audited.checks


def test_an_answer_the_model_was_sure_of_is_not_judged(fake_pipeline):
    from dataclasses import replace

    class Certain(Scripted):
        def __init__(self, text, verdict, certainty):
            super().__init__(text, verdict)
            self.certainty = certainty

        def stream(self, messages, max_new_tokens=200, stop=None, confidence=None):
            if confidence is not None and messages[0]["content"] != JUDGE_SYSTEM:
                confidence.extend(self.certainty)
            yield from super().stream(messages, max_new_tokens, stop, confidence)

    text = "Michael Dell confirmed the collaboration on Twitter."
    cfg = replace(fake_pipeline.config, judge_below=0.8)

    def ask(certainty, audit=False):
        pipe = Pipeline(fake_pipeline.index, fake_pipeline.embedder, cfg,
                        Certain(text, "No.", certainty))
        return pipe, pipe.ask("Who confirmed the collaboration?", audit=audit)

    sure, a = ask([0.95, 0.85])  # every word at least 0.8: the judge's "no" is not asked
    assert not a.refused and a.checks["sure"] and not sure._generator.judged
    assert "judge_p_yes" not in a.checks
    unsure, b = ask([0.95, 0.79])  # one word under it: judged, and refused
    assert b.refused and b.checks["refused_by"] == "judge" and unsure._generator.judged
    _, c = ask([0.95, 0.85], audit=True)  # audited: the verdict is recorded, not applied
    assert c.checks["judge"] == "no" and "judge" not in c.checks["failed"] and not c.refused
    cfg = replace(cfg, judge_below=1.0)  # the default: every answer judged, even a certain one
    _, d = ask([1.0, 1.0])
    assert d.refused and d.checks["refused_by"] == "judge" and "sure" not in d.checks


def test_the_judge_the_certainty_and_the_retrieval_strength_decide_together(fake_pipeline):
    """By default a draft's chance of being right is estimated from the judge's two P(yes), the
    model's certainty and the retrieval strength (rag.answer.verdict), and it is refused under
    `min_right`: a judge the thresholds would pass can be outweighed by an unsure model, and the
    other way round. Both judge questions are asked; without the certainty (a runtime that does
    not report it) the thresholds decide."""
    from dataclasses import replace

    from rag.answer.verdict import p_right

    class Signals(Scripted):
        def __init__(self, text, p_correct, p_answers, certainty):
            super().__init__(text)
            self.p = {"correct": p_correct, "answers": p_answers}
            self.certainty = certainty

        def stream(self, messages, max_new_tokens=200, stop=None, confidence=None):
            if confidence is not None and self.certainty is not None:
                confidence.extend([0.95, self.certainty])
            yield from super().stream(messages, max_new_tokens, stop, confidence)

        def word_probabilities(self, messages, words):
            p = self.p["correct" if "Proposed answer:" in messages[-1]["content"] else "answers"]
            return {"yes": p, "no": 1 - p}

    def ask(p_correct, p_answers, certainty, **settings):
        cfg = replace(fake_pipeline.config, **{"min_judge": 0.7, "min_confidence": 0.3,
                                               "min_right": 0.4, **settings})
        pipe = Pipeline(fake_pipeline.index, fake_pipeline.embedder, cfg,
                        Signals("Michael Dell [1]", p_correct, p_answers, certainty))
        return pipe.ask("Who confirmed the collaboration?")

    # sure of its words and the text answers the question: kept, whatever one threshold says
    a = ask(0.65, 0.95, 0.95)
    want = p_right(0.65, 0.95, 0.95, a.checks["strength"])
    assert not a.refused and a.checks["p_right"] == round(want, 4) and want >= 0.4
    assert ask(0.65, 0.95, 0.95, decision="thresholds").refused  # 0.65 < min_judge alone
    # the judge passes both questions, but the model was unsure and retrieval weak: refused
    b = ask(0.72, 0.72, 0.31)
    assert b.checks["p_right"] < 0.4 and b.refused and b.checks["refused_by"] == "judge"
    assert "estimated chance that it is right" in why_refused(b.checks)
    assert f"{b.checks['p_right']:.0%}" in why_refused(b.checks)
    assert not ask(0.72, 0.72, 0.31, decision="thresholds").refused
    # the second question is asked even when the first fails: both are weighed
    c = ask(0.3, 0.9, 0.9)
    assert "judge_p_answers" in c.checks and "p_right" in c.checks
    # a stricter min_right refuses what the default keeps
    assert ask(0.65, 0.95, 0.95, min_right=round(want, 4) + 0.01).refused
    # no certainty reported: the thresholds decide
    d = ask(0.65, 0.95, None)
    assert d.refused and "p_right" not in d.checks and d.checks["judge_p_yes"] == 0.65


def test_a_yes_its_own_fact_does_not_bear_out_becomes_no(fake_pipeline):
    """The draft's "Yes" is asked again of its fact alone, without the passages; where the fact
    answers the question "No", the verdict is "No", with the same fact and citation. A "No" is
    kept as drafted."""
    from rag.answer.judge import VERDICT_SYSTEM

    class FactReader(Scripted):
        def __init__(self, text, fact_says):
            super().__init__(text)
            self.fact_says, self.facts = fact_says, []

        def word_probabilities(self, messages, words):
            if messages[0]["content"] == VERDICT_SYSTEM:
                self.facts.append(messages[-1]["content"])
                return {w: 0.8 if w == self.fact_says else 0.2 for w in words}
            return {"yes": 0.95, "no": 0.05, "Yes": 0.9, "No": 0.1}

    def ask(draft, fact_says, question="Did Michael Dell confirm the collaboration on X?"):
        gen = FactReader(draft, fact_says)
        pipe = Pipeline(fake_pipeline.index, fake_pipeline.embedder, fake_pipeline.config, gen)
        return gen, pipe.ask(question)

    gen, a = ask("Yes, Michael Dell confirmed the collaboration on Twitter [1].", "No")
    assert not a.refused and a.text.startswith("No, Michael Dell confirmed the collaboration")
    assert a.checks["fact_verdict"] == "No" and a.citations
    asked = gen.facts[0]
    assert asked.startswith("Fact: Michael Dell confirmed the collaboration on Twitter.")
    assert "[1]" not in asked and "Question: Did Michael Dell confirm" in asked
    assert "CEO of Dell Technologies" not in asked  # the fact alone, not the passages
    gen, b = ask("Yes, Michael Dell confirmed the collaboration on Twitter [1].", "Yes")
    assert b.text.startswith("Yes, Michael Dell") and b.checks["fact_verdict"] == "Yes"
    gen, c = ask("No, Michael Dell confirmed the collaboration on Twitter [1].", "Yes")
    assert c.text.startswith("No, Michael Dell") and not gen.facts
    assert "fact_verdict" not in c.checks
    assert "other_subject" not in a.checks and "other_subject" not in b.checks

    # a fact about another name than the question's is a "No" without asking the model, which
    # still says "Yes" to it
    swapped = "Did Jensen Huang confirm the collaboration on Twitter?"
    gen, d = ask("Yes, Michael Dell confirmed the collaboration on Twitter [1].", "Yes", swapped)
    assert not d.refused and d.text.startswith("No, Michael Dell confirmed the collaboration")
    assert d.checks["other_subject"] == "Michael Dell" and d.checks["fact_verdict"] == "No"
    assert not gen.facts and d.citations


def test_a_whose_answer_is_its_owner_with_what_it_owns(fake_pipeline):
    """"Whose startup ...?" drafted with the startup ("xAI") is answered with its owner, from
    the passage that writes "Elon Musk’s xAI startup", and still cited and checked."""
    pipe = Pipeline(fake_pipeline.index, fake_pipeline.embedder,
                    replace(fake_pipeline.config, min_score=0.0), Scripted("xAI [1]."))
    a = pipe.ask("Whose startup is developing Grok?")
    assert not a.refused and a.text.startswith("Elon Musk (xAI)")
    assert a.checks["possessor"] == "Elon Musk (xAI)" and a.citations
    assert "Elon Musk’s xAI" in a.citations[0].support
    # another kind of question keeps its answer as drafted
    b = pipe.ask("Which startup is developing Grok?")
    assert b.text.startswith("xAI") and "possessor" not in b.checks


def test_a_figure_its_passage_spells_out_is_answered_in_the_passage_s_words(fake_config):
    """"8 [1]" over a passage that says "eight seats": not a number from memory (the names and
    numbers check), and shown as the passage writes it."""
    from rag.answer import refusal
    from tests.conftest import hit

    passage = hit(1, "The SNP took eight seats from the Liberal Democrats in the election.")
    q = "How many seats did the SNP take from the Liberal Democrats?"
    d = refusal.decide(refusal.Draft("8 [1]", q, q, [passage], [], 0.7, confidence=0.9),
                       fake_config, Scripted("", "yes"))
    assert not d.refused and d.text == "eight [1]" and d.checks["as_written"] == "eight"
    wrong = refusal.decide(refusal.Draft("9 [1]", q, q, [passage], [], 0.7, confidence=0.9),
                           fake_config, Scripted("", "yes"))
    assert wrong.refused and wrong.checks["novel_terms"] == ["9"]


class RefusesYesOrNo(Scripted):
    """Refuses a yes-or-no question (barred or not), gives `detail` as the question its detail
    asks, and answers that question with `text`."""

    def __init__(self, detail, text, verdict="yes"):
        super().__init__(text, verdict)
        self.detail = detail

    def stream(self, messages, max_new_tokens=200, stop=None, confidence=None,
               bar_refusal=False):
        from rag.answer.detail import DETAIL_SYSTEM
        from rag.answer.prompt import YES_NO

        system = messages[0]["content"]
        if system == DETAIL_SYSTEM:
            yield self.detail
        elif system == YES_NO:
            yield "No. " + REFUSAL
        else:
            yield from super().stream(messages, max_new_tokens, stop, confidence)


def test_a_yes_or_no_question_the_model_will_not_answer_is_asked_for_its_detail(fake_pipeline):
    """"Is Grok being developed by OpenAI?": the model refuses; "Who is developing Grok?" gets
    xAI, another name than OpenAI, which the passages name too: "No", with that fact; an answer
    that names the question's own name, "Yes". A name the passages never mention ("Google"), a
    detail question that does not come back, or an answer the judge turns down leave the refusal
    standing."""
    q = "Is Grok being developed by OpenAI?"

    def pipe(detail, text, verdict="yes"):
        return Pipeline(fake_pipeline.index, fake_pipeline.embedder, fake_pipeline.config,
                        RefusesYesOrNo(detail, text, verdict))

    a = pipe("Who is developing Grok?", "Elon Musk's xAI startup [1]").ask(q)
    assert not a.refused and a.text.startswith("No. Who is developing Grok? ")
    assert "xAI" in a.text and a.citations and a.checks["first_refused_by"] == "model"
    kinds = [e["type"] for e in pipe("Who is developing Grok?", "xAI [1]").stream(q)]
    assert kinds[-2:] == ["second_look", "answer"]
    for detail, text, asked in [
            ("Who is developing Grok?", "Elon Musk's xAI startup [1]",
             "Did Google develop Grok?"),  # no passage names Google
            ("Sure!", "Elon Musk's xAI startup [1]", q),  # no question came back
    ]:
        refused = pipe(detail, text).ask(asked)
        assert refused.refused and refused.checks["refused_by"] == "model", (detail, text)
    judged = pipe("Who is developing Grok?", "Elon Musk's xAI startup [1]", "No.").ask(q)
    assert judged.refused and judged.checks["refused_by"] == "model"
    yes = pipe("Who is developing Grok?", "Elon Musk's xAI startup [1]").ask(
        "Is Grok being developed by Elon Musk?")
    assert not yes.refused and yes.text.startswith("Yes. Who is developing Grok? Elon Musk's xAI")
    assert yes.citations and yes.checks["detail_question"] == "Who is developing Grok?"
    turned_down = pipe("Who is developing Grok?", "Elon Musk's xAI startup [1]", "No.").ask(
        "Is Grok being developed by Elon Musk?")
    assert turned_down.refused and turned_down.checks["refused_by"] == "model"


def test_a_detail_question_that_keeps_the_name_is_asked_by_rule(fake_pipeline):
    """The generator's rewrite "Who is Tesla developing Grok?" leaves out no name: the question
    that opens with its name is asked with "who" in its place, "Who is developing Grok?", and a
    "No" comes of an answer naming another. A question whose name is not the one that acts
    ("... developed by OpenAI?") gets no such question: its refusal stands."""
    def pipe(detail, text):
        return Pipeline(fake_pipeline.index, fake_pipeline.embedder, fake_pipeline.config,
                        RefusesYesOrNo(detail, text))

    a = pipe("Who is Tesla developing Grok?", "Elon Musk's xAI startup [1]").ask(
        "Is Tesla developing Grok?")
    assert not a.refused and a.text.startswith("No. Who is developing Grok? ")
    assert a.checks["detail_question"] == "Who is developing Grok?"
    b = pipe("Who is Grok being developed by OpenAI?", "Elon Musk's xAI startup [1]").ask(
        "Is Grok being developed by OpenAI?")
    assert b.refused and b.checks["refused_by"] == "model"
    c = pipe("Who is Tesla developing Grok?", "Tesla [1]").ask("Is Tesla developing Grok?")
    assert not c.refused and c.text.startswith("Yes. Who is developing Grok? Tesla")  # the name
    # a passive question's subject: "who has been described" says nothing of Grok
    d = pipe("Who has been fully described in public?", "Michael Dell [1]").ask(
        "Has Grok been fully described in public?")
    assert d.refused and d.checks["refused_by"] == "model"


def test_a_no_about_another_name_stands_without_the_judge(fake_pipeline):
    """"Did Sam Altman confirm the collaboration on Twitter?", drafted with Michael Dell's
    confirmation: the judge says no to the "No", but its fact is about another name, and the
    passages support it: the "No" stands. A fact no passage supports is refused all the same,
    and a "Yes" still needs the judge."""
    text = "Yes, Michael Dell confirmed the collaboration on Twitter [1]."
    for question in ("Did Sam Altman confirm the collaboration on Twitter?",
                     "Did Elon Musk confirm the collaboration on Twitter?"):
        a = _with(fake_pipeline, text, "No.").ask(question)
        assert not a.refused and a.text.startswith("No, Michael Dell confirmed"), question
        assert a.checks["unjudged"] and a.checks["judge"] == "no" and a.citations
    unsupported = _with(fake_pipeline, "Yes, Tim Cook posted about it on Threads [1].", "No.")
    assert unsupported.ask("Did Sam Altman post about the collaboration?").refused
    same = _with(fake_pipeline, text, "No.").ask(
        "Did Michael Dell confirm the collaboration on Twitter?")
    assert same.refused and same.checks["refused_by"] == "judge"


def test_an_answer_that_is_the_question_s_own_name_in_full_is_an_echo(fake_pipeline):
    """"Dell Technologies" for "What is Dell's expertise?" names what was asked about, not its
    expertise: an echo (asked again in sentences, here refused). It answers "Which company is
    Michael Dell the CEO of?", whose name is Michael Dell."""
    from rag.answer import refusal

    hits = fake_pipeline.retrieve("Dell Technologies expertise", 3)
    for question, echo in [("What is Dell's expertise?", True),
                           ("Which company is Michael Dell the CEO of?", False),
                           ("Which company will Michael Dell lead?", False)]:
        d = refusal.decide(refusal.Draft("Dell Technologies [1]", question, question, hits, [],
                                         0.7, confidence=0.9), fake_pipeline.config,
                           Scripted("", "yes"))
        assert d.checks.get("echo", False) is echo, question
        assert d.refused is echo, question


class EchoesThenWrites(RefusesYesOrNo):
    """RefusesYesOrNo whose short answer to the detail question echoes it, and whose answer in
    sentences (rag.answer.prompt.EXPLAIN) is `written`."""

    def __init__(self, detail, echo, written):
        super().__init__(detail, echo)
        self.written = written

    def stream(self, messages, max_new_tokens=200, stop=None, confidence=None,
               bar_refusal=False):
        if messages[0]["content"] == EXPLAIN:
            yield self.written
        else:
            yield from super().stream(messages, max_new_tokens, stop, confidence, bar_refusal)


def test_a_detail_answer_that_echoes_its_question_is_written_out(fake_pipeline):
    """"Who is Michael Dell the CEO of?" answered "Michael Dell [1]" echoes its question: the
    same passages are asked under the rules for sentences, and "Michael Dell is the CEO of Dell
    Technologies" names another company than Nvidia: "No"."""
    def pipe(written):
        return Pipeline(fake_pipeline.index, fake_pipeline.embedder, fake_pipeline.config,
                        EchoesThenWrites("Who is Michael Dell the CEO of?", "Michael Dell [1]",
                                         written))

    q = "Is Michael Dell the CEO of Nvidia?"
    a = pipe("Michael Dell is the CEO of Dell Technologies [1].").ask(q)
    assert not a.refused and a.text.startswith("No. Who is Michael Dell the CEO of? Michael Dell")
    assert "Dell Technologies" in a.text and a.citations
    b = pipe(REFUSAL).ask(q)  # nothing in sentences either: the refusal stands
    assert b.refused and b.checks["refused_by"] == "model"


def test_true_or_false_is_answered_true_or_false(fake_pipeline):
    """"True or false: ..." is asked as a yes-or-no question, and its verdict is given in its
    own words: "False, ..." where the checked answer says "No, ..."."""
    from rag.answer.judge import VERDICT_SYSTEM

    class FactReader(Scripted):
        def __init__(self, text, fact_says):
            super().__init__(text)
            self.fact_says = fact_says

        def word_probabilities(self, messages, words):
            if messages[0]["content"] == VERDICT_SYSTEM:
                return {w: 0.8 if w == self.fact_says else 0.2 for w in words}
            return {"yes": 0.95, "no": 0.05, "Yes": 0.9, "No": 0.1}

    def ask(draft, fact_says, question):
        pipe = Pipeline(fake_pipeline.index, fake_pipeline.embedder, fake_pipeline.config,
                        FactReader(draft, fact_says))
        return pipe.ask(question)

    fact = "Michael Dell confirmed the collaboration on Twitter [1]."
    a = ask(f"Yes, {fact}", "Yes", "True or false: Michael Dell confirmed the collaboration.")
    assert not a.refused and a.text.startswith("True, Michael Dell confirmed")
    assert a.checks["kind"] == "yes-no"
    b = ask(f"Yes, {fact}", "No", "True or false: Michael Dell denied the collaboration.")
    assert not b.refused and b.text.startswith("False, Michael Dell confirmed")
    c = ask(f"Yes, {fact}", "Yes", "Michael Dell confirmed the collaboration, right?")
    assert not c.refused and c.text.startswith("Yes, Michael Dell confirmed")
