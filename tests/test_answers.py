"""Prompt building, citation parsing, refusal detection, and the pipeline's checks on answers."""

import threading

import numpy as np
import pytest

from rag.answer.citations import best_sentence, is_refusal, novel_terms, parse_answer, verify
from rag.config import Config
from rag.answer.judge import JUDGE_SYSTEM
from rag.errors import QuestionError
from rag.answer.reasons import why_refused
from rag.pipeline import Pipeline
from rag.answer.prompt import REFUSAL, STYLES, build_messages, piece_ends
from rag.types import Chunk, Hit


def hit(n, text, title="T", date=None):
    return Hit(Chunk(f"a#{n}", "a", text, 0, len(text)), 0.9, title, date)


def test_prompt_numbers_passages_with_title_and_date():
    msgs = build_messages(" Who? ", [hit(0, "Alpha.", "First", "2024-01-02"), hit(1, "Beta.", "Second")])
    assert msgs[0]["role"] == "system" and REFUSAL in msgs[0]["content"]
    user = msgs[1]["content"]
    assert "[1] First\nAlpha.\n(Published 2024-01-02.)" in user and "[2] Second\nBeta." in user
    assert user.index("[1]") < user.index("[2]") < user.index("Question: Who?")


def test_prompts_end_a_piece_after_each_passage():
    """The points where llama.cpp keeps its cache for later prompts (rag.answer.runtimes.prompt_cache):
    after each passage, whatever blank lines a passage holds, for the answer and the judge."""
    from rag.answer.judge import judge_messages

    passages = [hit(0, "Alpha one.\n\nAlpha two."), hit(1, "Beta."), hit(2, "Gamma.")]
    user = build_messages("Who?", passages)[1]["content"]
    ends = piece_ends(user)
    assert [user[e:e + 3] for e in ends] == ["[2]", "[3]", "Que"]
    assert user[:ends[0]].endswith("Alpha two.\n\n")
    judged = judge_messages("Who?", "Alpha [1]", ["Alpha one.\n\nAlpha two."])[1]["content"]
    assert [judged[e:e + 9] for e in piece_ends(judged)] == ["Question:"]


def test_the_answer_style_picks_the_rules():
    short = build_messages("Who?", [hit(0, "Alpha.")], style="short")[0]["content"]
    sentence = build_messages("Who?", [hit(0, "Alpha.")], style="sentence")[0]["content"]
    assert "shortest phrase" in short and "one or two sentences" in sentence
    assert REFUSAL in short and REFUSAL in sentence


def test_the_examples_style_shows_worked_examples_in_the_system_turn_only():
    """The examples are read once with the system turn; the user turn holds the real passages."""
    msgs = build_messages("Who?", [hit(0, "Alpha.")], style="examples")
    system, user = msgs[0]["content"], msgs[1]["content"]
    assert system.startswith(STYLES["short"]) and "Lake Vostok" in system
    assert system.count(f"Answer: {REFUSAL}") >= 1 and "Lake Vostok" not in user
    assert user.startswith("Passages:\n[1] T\nAlpha.")


@pytest.mark.parametrize("text,cited,clean", [
    ("Dell builds it [1].", [1], "Dell builds it [1]."),
    ("A [2]. B [1, 2]. C [2][1].", [2, 1], "A [2]. B [1][2]. C [2][1]."),
    ("Made up [7]. Real [1].", [1], "Made up. Real [1]."),
    ("No markers.", [], "No markers."),
])
def test_markers_parsed_and_invalid_ones_dropped(text, cited, clean):
    p = parse_answer(text, 2)
    assert p.cited == cited and p.text == clean and not p.refused


@pytest.mark.parametrize("text,refused", [
    ("The articles don't say.", True),
    ("The articles do not mention Nvidia's revenue.", True),
    ("I don't know.", True),
    ("", True),
    ("The passages do not contain this information.", True),
    ("Michael Dell is the CEO [1].", False),
    ("Dell builds servers [1]. The articles don't say how many [2].", False),
])
def test_refusal_detection(text, refused):
    assert is_refusal(text) is refused


def test_best_sentence_finds_the_supporting_one():
    passage = "Nvidia makes chips. Michael Dell is the CEO of Dell. The sky is blue."
    sent, share = best_sentence("The CEO of Dell is Michael Dell.", passage)
    assert sent == "Michael Dell is the CEO of Dell." and share == 1.0
    assert best_sentence("Nvidia's chip maker", passage)[1] == pytest.approx(2 / 3)  # stemmed


PASSAGES = [hit(0, "Michael Dell is the CEO of Dell Technologies. He posted on Twitter."),
            hit(1, "Nvidia makes GPUs and AI chips for data centers.")]


def test_verify_keeps_supported_sentences_and_right_markers():
    v = verify("Michael Dell is the CEO of Dell Technologies [1]. Nvidia makes AI chips [2].",
               PASSAGES, 0.5)
    assert v.text == "Michael Dell is the CEO of Dell Technologies [1]. Nvidia makes AI chips [2]."
    assert v.cited == [1, 2] and v.dropped == [] and v.moved == 0
    assert v.support[1] == "Michael Dell is the CEO of Dell Technologies."


def test_verify_moves_a_wrong_marker_and_drops_unsupported_sentences():
    v = verify("Nvidia makes GPUs and AI chips [1]. Dell sells pizza in Rome [1].", PASSAGES, 0.5)
    assert v.text == "Nvidia makes GPUs and AI chips [2]."
    assert v.cited == [2] and v.moved == 1
    assert v.dropped == ["Dell sells pizza in Rome."]


def test_a_short_answer_is_cited_to_the_passage_that_answers_the_question():
    passages = [hit(0, "Elon Musk founded xAI in 2023. It is based in California."),
                hit(1, "Grok is the AI model being developed by the xAI startup.")]
    v = verify("xAI [1]", passages, 0.5, "Which startup is developing Grok?")
    assert v.text == "xAI [2]" and v.moved == 1
    assert v.support[2] == "Grok is the AI model being developed by the xAI startup."
    # Without the question both passages hold the answer equally: the marker stays.
    assert verify("xAI [1]", passages, 0.5).text == "xAI [1]"


def test_verify_joins_a_trailing_marker_to_its_sentence():
    v = verify("Michael Dell posted on Twitter, saying “Dell is great.” [1].", PASSAGES, 0.5)
    assert v.text == "Michael Dell posted on Twitter, saying “Dell is great.” [1]" and v.moved == 0


def test_the_article_date_supports_a_date_answer():
    dated = [hit(0, "Dell and Nvidia build an AI factory.", "AI factory", "2024-06-20")]
    v = verify("The article was published on June 20, 2024 [1].", dated, 0.5)
    assert v.cited == [1] and v.dropped == []
    assert verify("It was published on 3 May 1999 [1].", dated, 0.5).cited == []


def test_verify_with_nothing_supported_cites_nothing():
    assert verify("Bananas are yellow [1].", PASSAGES, 0.5).cited == []


def test_novel_names_and_numbers_are_found():
    sources = ["Who is the CEO of Nvidia?", "Michael Dell, CEO of Dell. Published 2024-06-20."]
    assert novel_terms("The CEO of Nvidia is Jensen Huang [1].", sources) == ["Jensen", "Huang"]
    assert novel_terms("Nvidia earned 26 billion [1].", sources) == ["26"]
    assert novel_terms("Michael Dell’s company, Dell [1]. It was on 2024-06-20.", sources) == []


def test_pipeline_answers_with_citation(fake_pipeline):
    a = fake_pipeline.ask("Who is the CEO of Dell Technologies?")
    assert not a.refused and "Michael Dell" in a.text
    assert a.citations and "Michael Dell" in a.citations[0].hit.chunk.text
    assert a.citations[0].support and "Michael Dell" in a.citations[0].support
    d = a.to_dict()
    assert set(d) >= {"question", "answer", "refused", "citations", "passages", "timings_ms"}
    assert set(d["citations"][0]) >= {"n", "chunk_id", "article_id", "title", "date", "url",
                                      "text", "score"}
    assert set(d["timings_ms"]) >= {"retrieve", "first_token", "total"}
    assert d["citations"][0]["chunk_id"] in [p["chunk_id"] for p in d["passages"]]


def test_pipeline_refuses_what_the_articles_do_not_say(fake_pipeline):
    a = fake_pipeline.ask("What was Nvidia's revenue last quarter?")
    assert a.refused and a.citations == () and a.passages


def test_weak_retrieval_refuses_without_generating(fake_config, fake_index):
    pipe = Pipeline.open(Config(**{**fake_config.__dict__, "min_score": 0.99}))
    calls = pipe.generator.calls
    a = pipe.ask("Who is the CEO of Dell Technologies?")
    assert a.refused and a.text == REFUSAL
    assert pipe.generator.calls == calls


class Scripted:
    """A generator that says what it is told to, to test the checks after generation."""

    def __init__(self, text, verdict="yes"):
        self.text = text
        self.verdict = verdict
        self.judged = []

    def stream(self, messages, max_new_tokens=200, stop=None, confidence=None):
        if messages[0]["content"] == JUDGE_SYSTEM or messages[-1]["content"].startswith(
                "Proposed answer:"):
            self.judged.append(messages)
            yield self.verdict
            return
        yield from (w + " " for w in self.text.split(" "))

    def info(self):
        return {"name": "scripted"}


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


def test_uncited_but_supported_answer_gets_its_citation(fake_pipeline):
    a = _with(fake_pipeline, "Michael Dell confirmed the collaboration on Twitter.").ask(
        "Who confirmed the collaboration?")
    assert not a.refused and a.citations and a.text.endswith(f"[{a.citations[0].n}].")
    assert "Twitter" in a.citations[0].hit.chunk.text


def test_uncited_unsupported_answer_is_refused(fake_pipeline):
    a = _with(fake_pipeline, "Nvidia earned 26 billion dollars in revenue.").ask(
        "What was Nvidia's revenue?")
    assert a.refused and a.text == REFUSAL and a.citations == ()


def test_stream_emits_passages_tokens_then_answer(fake_pipeline):
    events = list(fake_pipeline.stream("Who is the CEO of Dell Technologies?"))
    kinds = [e["type"] for e in events]
    assert kinds[0] == "passages" and kinds[-1] == "answer" and kinds.count("token") > 3
    assert "".join(e["text"] for e in events if e["type"] == "token").startswith("Michael Dell")


def test_stop_event_ends_generation(fake_pipeline):
    stop = threading.Event()
    stop.set()
    a = fake_pipeline.ask("Who is the CEO of Dell Technologies?", stop=stop)
    assert a.text == "" or a.refused


def test_follow_up_is_rewritten_with_history(fake_pipeline):
    history = [{"role": "user", "content": "What is Dell building?"},
               {"role": "assistant", "content": "An AI factory with Nvidia [1]."}]
    a = fake_pipeline.ask("Who is its CEO?", history=history)
    assert a.search_query != "Who is its CEO?" and "Nvidia" in a.search_query
    assert "rewrite" in a.timings_ms


@pytest.mark.parametrize("q,k,msg", [("", None, "empty"), ("   ", None, "empty"),
                                     ("x" * 3000, None, "limit"), (42, None, "text"),
                                     ("ok?", 0, "k must"), ("ok?", "3", "k must")])
def test_bad_questions_are_clear_errors(fake_pipeline, q, k, msg):
    with pytest.raises(QuestionError, match=msg):
        fake_pipeline.ask(q, k=k)


def test_a_trimmed_prompt_keeps_the_sentences_the_question_is_about():
    from rag.answer.prompt import window

    text = ("Dell sells laptops. Its headquarters are in Round Rock. Michael Dell founded it in "
            "1984. The company also builds servers. Nvidia supplies the GPUs for them.")
    assert window("Who founded Dell, and when?", text, 1) == "Michael Dell founded it in 1984."
    assert window("Who supplies the GPUs for the servers?", text, 2) == (
        "The company also builds servers. Nvidia supplies the GPUs for them.")
    assert window("anything", text, 0) == text and window("anything", text, 9) == text


def test_a_trimmed_passage_centres_on_the_best_scored_sentence_and_drops_headings():
    from rag.answer.prompt import passage_sentences, window

    text = ("Nvidia's Crucial Role\n\nNvidia makes GPUs. Its value rose on AI demand. The GPUs "
            "train models.\n\nWhat is Grok?\n\nGrok is a chatbot. It is generative.")
    spans = passage_sentences(text)
    assert [text[a:b] for a, b in spans][:2] == ["Nvidia makes GPUs.",
                                                 "Its value rose on AI demand."]
    assert len(spans) == 5  # the two headings are not sentences
    scores = [0.1, 0.2, 0.3, 0.9, 0.2]  # e.g. embedding similarities; "Grok is a chatbot." best
    assert window("Why?", text, 3, scores) == (
        "The GPUs train models. Grok is a chatbot. It is generative.")
    assert window("Why?", text, 2, scores) == "The GPUs train models. Grok is a chatbot."
    assert window("Why?", text, 1, [0.9, 0, 0, 0, 0]) == "Nvidia makes GPUs."


def test_the_trimmed_prompt_is_chosen_by_the_question_encoder(fake_pipeline):
    from dataclasses import replace

    asked = []

    class Encoder:
        def embed(self, texts):
            asked.append(list(texts))
            # the question, then every passage's sentences; only "Twitter" sentences match
            vecs = np.array([[1.0, 0.0] if "Twitter" in t or i == 0 else [0.0, 1.0]
                             for i, t in enumerate(texts)])
            return vecs

    def pipe(whole):
        cfg = replace(fake_pipeline.config, passage_sentences=1, whole_passages=whole)
        return Pipeline(fake_pipeline.index, fake_pipeline.embedder, cfg, Scripted("x"),
                        query_encoder=Encoder())

    question = "Where was it confirmed?"
    hits = fake_pipeline.retrieve(question)
    user = pipe(0).messages(question, hits)[1]["content"]
    assert asked and asked[0][0] == question and len(asked[0]) > len(hits)
    twitter = [h for h in hits if "Twitter" in h.chunk.text]
    assert twitter and user.count("Twitter") >= len(twitter)
    assert len(user) < sum(len(h.chunk.text) for h in hits)
    # whole_passages = 1: the best passage goes in whole, only the others are trimmed
    asked.clear()
    first_whole = pipe(1).messages(question, hits)[1]["content"]
    assert hits[0].chunk.text.strip() in first_whole and hits[0].chunk.text.strip() not in user
    assert hits[0].chunk.text[:40] not in " ".join(asked[0][1:])  # not embedded: not trimmed


def test_the_pipeline_prompt_is_trimmed_when_asked(fake_pipeline):
    from dataclasses import replace

    seen = []

    class Recorder(Scripted):
        def stream(self, messages, max_new_tokens=200, stop=None, confidence=None):
            seen.append(messages)
            yield from super().stream(messages, max_new_tokens, stop, confidence)

    full = Pipeline(fake_pipeline.index, fake_pipeline.embedder, fake_pipeline.config,
                    Recorder("Michael Dell confirmed it."))
    full.ask("Who confirmed the collaboration?")
    trimmed = Pipeline(fake_pipeline.index, fake_pipeline.embedder,
                       replace(fake_pipeline.config, passage_sentences=1),
                       Recorder("Michael Dell confirmed it."))
    trimmed.ask("Who confirmed the collaboration?")
    prompts = [m[1]["content"] for m in seen if m[0]["content"] in STYLES.values()]
    assert len(prompts) == 2 and len(prompts[1]) < len(prompts[0])
    assert "Michael Dell" in prompts[1]


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
    events = list(strict.stream(q, audit=True))
    tokens = "".join(e["text"] for e in events if e["type"] == "token")
    answer = events[-1]["answer"]
    assert answer.refused and answer.text == REFUSAL and "Michael" not in tokens
    assert answer.checks["failed"] == ["retrieval"] and answer.checks["refused_by"] == "retrieval"
    assert answer.checks["draft"].startswith("Michael Dell confirmed")
    plain_weak = strict.ask(q)
    assert plain_weak.checks == {"strength": answer.checks["strength"], "refused_by": "retrieval",
                                 "failed": ["retrieval"]}


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


@pytest.mark.parametrize("question,options", [
    ("Which country was attacked? (Options: Sudan; Israel; Egypt; Iran)",
     ["Sudan", "Israel", "Egypt", "Iran"]),
    ("Who won? Options: Rob Cross, Luke Humphries, Scott Williams",
     ["Rob Cross", "Luke Humphries", "Scott Williams"]),
    ("Which company makes Grok? Choices - xAI / OpenAI", ["xAI", "OpenAI"]),
    ("Who is the CEO of Dell Technologies?", []),
    ("What options does the plan give employees?", []),
])
def test_the_options_a_question_offers_are_read(question, options):
    from rag.answer.asking import offered_options

    assert offered_options(question) == options


def test_marker_tokens_are_the_ones_that_open_a_citation():
    from rag.answer.runtimes.generator import marker_tokens

    vocab = ["[", " [", "[[", "[1", "Dell", " Dell", "]", "a[", "\n["]
    assert marker_tokens(lambda i: vocab[i], len(vocab)) == [0, 1, 2, 3, 8]


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
    b = ask(0.85, 0.8, 0.35)
    assert b.checks["p_right"] < 0.4 and b.refused and b.checks["refused_by"] == "judge"
    assert "estimated chance that it is right" in why_refused(b.checks)
    assert f"{b.checks['p_right']:.0%}" in why_refused(b.checks)
    assert not ask(0.85, 0.8, 0.35, decision="thresholds").refused
    # the second question is asked even when the first fails: both are weighed
    c = ask(0.3, 0.9, 0.9)
    assert "judge_p_answers" in c.checks and "p_right" in c.checks
    # a stricter min_right refuses what the default keeps
    assert ask(0.65, 0.95, 0.95, min_right=round(want, 4) + 0.01).refused
    # no certainty reported: the thresholds decide
    d = ask(0.65, 0.95, None)
    assert d.refused and "p_right" not in d.checks and d.checks["judge_p_yes"] == 0.65


def test_the_estimated_chance_of_being_right_rises_with_every_signal():
    from rag.answer.verdict import p_right

    base = dict(p_correct=0.8, p_answers=0.8, certainty=0.6, strength=0.5)
    p0 = p_right(**base)
    for key, more in (("p_correct", 0.95), ("p_answers", 0.95), ("certainty", 0.9),
                      ("strength", 0.8)):
        assert p_right(**{**base, key: more}) > p0, key
    assert 0.0 < p_right(0.0, 0.0, 0.0, 0.0) < 1e-3 and p_right(1.0, 1.0, 1.0, 1.0) > 0.999
