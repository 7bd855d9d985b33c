"""The real packaged models end to end on the shipped article (slow: loads the real embedder and
generator once for the whole session). The question set's every answer is checked by the batch
evaluation; here a few representative cases pin the behaviour down."""

import json
from pathlib import Path

import pytest

from rag.index.store import Index

pytestmark = pytest.mark.slow
QUESTIONS = {json.loads(x)["id"]: json.loads(x) for x in
             (Path(__file__).resolve().parent.parent / "seeds" / "questions.jsonl").open()}


def test_real_index_records_the_packaged_embedder(real_pipeline, real_config):
    m = Index.open(real_config.index).manifest
    assert m["embedder"]["name"] == "all-MiniLM-L6-v2" and m["embedder"]["dim"] == 384
    assert m["embedder"]["weights_sha256"] == \
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
    assert all(real_pipeline.embedder.count_tokens(c.text) <= m["chunking"]["max_tokens"]
               for c in Index.open(real_config.index).chunks.values())


def test_retrieval_finds_the_passage(real_pipeline):
    hits = real_pipeline.retrieve("Who is the CEO of Dell Technologies?", 2)
    assert "Michael Dell, CEO of Dell Technologies" in hits[0].chunk.text


@pytest.mark.parametrize("qid,expect", [("q05", "Michael Dell"), ("q01", "Nvidia")])
def test_answer_is_right_and_cited(real_pipeline, qid, expect):
    a = real_pipeline.ask(QUESTIONS[qid]["question"])
    assert not a.refused, a.text
    assert expect.lower() in a.text.lower()
    assert a.citations
    assert any(expect.lower() in c.hit.chunk.text.lower() for c in a.citations)
    assert a.timings_ms["first_token"] <= a.timings_ms["total"]


@pytest.mark.parametrize("qid", ["q18", "q19", "q23"])
def test_unanswerable_is_refused_even_if_the_model_knows(real_pipeline, qid):
    a = real_pipeline.ask(QUESTIONS[qid]["question"])
    assert a.refused, a.text
    assert a.citations == ()


def test_the_weighed_decision_answers_what_a_threshold_alone_would_withhold(real_pipeline):
    """q13 ("Besides AI, which companies is Elon Musk known for?"). The real model answers with
    the list the article gives, and the judge's lower P(yes) is under `min_judge`, so the
    thresholds alone would withhold a right answer; weighed with the model's certainty and the
    retrieval strength (rag.answer.verdict), it is answered."""
    a = real_pipeline.ask(QUESTIONS["q13"]["question"])
    assert not a.refused, a.checks
    assert "Tesla" in a.text and "SpaceX" in a.text, a.text
    assert min(a.checks["judge_p_correct"], a.checks["judge_p_answers"]) < \
        real_pipeline.config.min_judge
    assert a.checks["p_right"] >= real_pipeline.config.min_right


def test_answer_streams_in_pieces(real_pipeline):
    events = list(real_pipeline.stream(QUESTIONS["q05"]["question"]))
    tokens = [e for e in events if e["type"] == "token"]
    assert len(tokens) > 3
    assert events[-1]["type"] == "answer"


def test_the_judge_reads_the_model_s_own_yes_and_no(real_pipeline):
    from rag.answer.judge import judge_messages, yes_probability

    gen = real_pipeline.generator
    text = "Michael Dell, CEO of Dell Technologies, confirmed the collaboration on Twitter."
    right = judge_messages("Who is the CEO of Dell Technologies?", "Michael Dell [1]", [text])
    wrong = judge_messages("Who is the CEO of Dell Technologies?", "Elon Musk [1]", [text])
    p_right, p_wrong = yes_probability(gen, right), yes_probability(gen, wrong)
    assert p_right > 0.5 > p_wrong, (p_right, p_wrong)
    # The distribution is the one greedy decoding follows.
    probs = gen.word_probabilities(wrong, ["yes", "no"])
    assert "".join(gen.stream(wrong, 3)).strip().lower().startswith(
        "no" if probs["no"] > probs["yes"] else "yes")
    # The same prompt gets the same numbers whatever was asked before (read from an empty cache
    # unless it continues the previous prompt): verdicts do not move from one run to the next.
    assert yes_probability(gen, right) == p_right


def test_an_answer_never_opens_with_a_citation_marker(real_pipeline):
    """Told to reply with a marker alone, the real model must still start with a word: a reply of
    markers only ("[1] [2]") says nothing (rag.answer.runtimes.generator.marker_tokens)."""
    gen = real_pipeline.generator
    messages = [{"role": "system", "content": "Reply with exactly: [1] [2]"},
                {"role": "user", "content": "Go."}]
    reply = "".join(gen.stream(messages, 8)).lstrip()
    assert reply and not reply.startswith("["), reply


def test_the_transformers_runtime_decodes_by_the_same_rules(real_pipeline):
    """The selectable transformers runtime (bf16 on this CPU): streams, never opens with a marker,
    and reports its certainty of each word, like llama.cpp."""
    from rag import registry

    gen = registry.generator("qwen2.5-coder-1.5b", 0, "transformers", "")
    told = [{"role": "system", "content": "Reply with exactly: [1] [2]"},
            {"role": "user", "content": "Go."}]
    assert not "".join(gen.stream(told, 8)).lstrip().startswith("[")
    hits = real_pipeline.retrieve(QUESTIONS["q05"]["question"])
    sure: list[float] = []
    reply = "".join(gen.stream(real_pipeline.messages(QUESTIONS["q05"]["question"], hits), 20,
                               confidence=sure))
    assert "Michael Dell" in reply
    assert sure and all(0.0 < p <= 1.0 for p in sure) and len(sure) < 20


def test_a_prompt_read_with_bf16_weights_is_answered_as_with_the_gguf_alone(real_pipeline):
    """With `prefill` "bf16" the llama.cpp generator reads prompts with a bf16 copy of the weights
    and hands the cache to the Q4_K_M context that writes (rag.answer.runtimes.llamacpp). Its
    answers and the judge's numbers must be those of the Q4_K_M weights alone, for a new prompt and
    for one that continues the previous (a follow-up judged in the answer's conversation). Both
    paths run on every CPU, whichever "auto" picked here."""
    from rag.answer.judge import followup_messages, judge_messages
    from rag.answer.runtimes.llamacpp import LlamaCppGenerator

    made = []
    if real_pipeline.generator.reader is not None:
        gen = real_pipeline.generator
        alone = LlamaCppGenerator("qwen2.5-coder-1.5b", prefill="off")
        made.append(alone)
    else:
        gen = LlamaCppGenerator("qwen2.5-coder-1.5b", prefill="bf16")
        alone = real_pipeline.generator
        made.append(gen)
    assert gen.reader is not None and gen.info()["prefill"] == "bf16"
    assert alone.reader is None
    hits = real_pipeline.retrieve(QUESTIONS["q05"]["question"])
    messages = real_pipeline.messages(QUESTIONS["q05"]["question"], hits)
    try:
        answers = []
        for g in (gen, alone):
            sure: list = []
            answers.append(("".join(g.stream(messages, 40, confidence=sure)), sure))
            if g is gen:  # the reader read the prompt: all but its last token, handed over
                n = gen.reader.n_tokens
                assert n > gen.MIN_READ
                assert list(gen.reader.input_ids[:n]) == list(gen.llm.input_ids[:n])
            follow = followup_messages(messages, answers[-1][0], answers[-1][0])
            answers.append(g.word_probabilities(follow, ["yes", "no"]))
        (a, a_sure), a_follow, (b, b_sure), b_follow = answers
        assert a == b and a
        assert a_sure == pytest.approx(b_sure, abs=0.05)
        assert a_follow["yes"] == pytest.approx(b_follow["yes"], abs=0.05)
        fresh = judge_messages(QUESTIONS["q05"]["question"], a, [hits[0].chunk.text])
        assert gen.word_probabilities(fresh, ["yes"])["yes"] == pytest.approx(
            alone.word_probabilities(fresh, ["yes"])["yes"], abs=0.05)
    finally:
        for g in made:
            g.llm.close()
            if g.reader is not None:
                g.reader.close()


def test_passages_read_for_an_earlier_question_are_not_read_again_nor_change_the_answer(
        real_pipeline):
    """A prompt whose passages an earlier prompt read starts after them, from the prompt cache
    (rag.answer.runtimes.prompt_cache), and is answered and judged exactly as when read whole: the
    pieces are always the same, so the numbers are the same, bit for bit."""
    from rag.answer.judge import judge_messages, yes_probability

    gen = real_pipeline.generator
    question, other = QUESTIONS["q05"]["question"], QUESTIONS["q08"]["question"]
    hits = real_pipeline.retrieve(question)
    messages = real_pipeline.messages(question, hits)
    judged = judge_messages(question, "Michael Dell [1]", [hits[0].chunk.text])

    def answer(m):
        sure: list = []
        return "".join(gen.stream(m, 40, confidence=sure)), sure

    gen.prompt_cache.forget()
    whole, p_whole = answer(messages), yes_probability(gen, judged)
    assert gen.prompt_cache.last_hit == 0 and len(gen.prompt_cache) >= 4
    # Another question about the same passages starts after all of them ...
    answer(real_pipeline.messages(other, hits))
    passages_end = gen.prompt_cache.last_hit
    assert passages_end > 0.8 * len(gen.llm.tokenize(messages[1]["content"].encode()))
    # ... and the first asked again is answered and judged from the cache, bit for bit.
    assert answer(messages) == whole and gen.prompt_cache.last_hit == passages_end
    assert yes_probability(gen, judged) == p_whole and gen.prompt_cache.last_hit > 0
    # An empty cache keeps nothing: every prompt is read whole, with the same result.
    gen.prompt_cache.forget()
    assert answer(messages) == whole


def test_a_refusal_of_an_answer_the_passage_states_gets_a_second_look(real_pipeline):
    """The packaged model replies that the articles don't say what the collaboration is "a
    testament to", which the article states word for word; with that reply's opening barred, it
    answers, and the answer passes the checks. With `second_look = 0` the refusal stands."""
    from dataclasses import replace

    question = "What is the collaboration between Dell, Nvidia and xAI a testament to?"
    a = real_pipeline.ask(question)
    assert not a.refused, a.checks
    assert "rapid pace of innovation" in a.text and a.checks["second_look"] == "answered"
    assert a.checks["p_right"] >= real_pipeline.config.second_look_min_right
    config = real_pipeline.config
    try:
        real_pipeline.config = replace(config, second_look=0)
        refused = real_pipeline.ask(question)
    finally:
        real_pipeline.config = config
    assert refused.refused and refused.checks["refused_by"] == "model"


def test_a_short_draft_that_echoes_the_question_is_written_out_again(real_pipeline):
    """The packaged model answers "What are Nvidia's GPUs well-suited for?" with "GPUs [1]"
    under the short answer's rules; asked again under the rules for sentences, it says what the
    article says, and that answer passes the checks."""
    a = real_pipeline.ask("What are Nvidia's GPUs well-suited for?")
    assert not a.refused, a.checks
    assert "computational power" in a.text and a.checks["first_refused_by"] == "echo"
    assert a.checks["p_right"] >= real_pipeline.config.second_look_min_right


def test_a_multiple_choice_question_is_answered_by_its_options_letters(real_pipeline):
    """The option the article names, cited, without a written draft; a question whose options
    the article does not decide between is refused."""
    a = real_pipeline.ask("Who confirmed the collaboration on Twitter? "
                          "(Options: Elon Musk; Jensen Huang; Michael Dell; Sam Altman)")
    assert not a.refused and a.text.startswith("Michael Dell [")
    assert a.checks["option_p"] >= real_pipeline.config.min_option
    passage = a.passages[a.citations[0].n - 1].chunk.text
    assert "Michael Dell" in passage
    b = real_pipeline.ask("Which city will host the AI factory? "
                          "(Options: Austin; Memphis; Seattle; Denver)")
    assert b.refused and b.checks["refused_by"] in ("support", "choice")


def test_a_summary_and_a_swapped_name_and_a_quoted_name_with_the_real_model(real_pipeline):
    """Questions people ask that no search finds, or that the drafts get wrong with the right
    fact: "What is this article about?" is answered from the article's opening, cited; "Did
    Elon Musk confirm ...?" (Michael Dell did) gets "No" with that fact; "What did Elon Musk
    tweet ...?" (he is only quoted) is refused; "Whose startup ...?" names its owner."""
    a = real_pipeline.ask("What is this article about?")
    assert not a.refused and a.citations and a.checks["strength"] == 1.0
    assert "Dell" in a.text and "Nvidia" in a.text
    b = real_pipeline.ask("Did Elon Musk confirm the collaboration on Twitter?")
    assert b.text.startswith("No") and "Michael Dell" in b.text
    c = real_pipeline.ask("What did Elon Musk tweet about the collaboration?")
    assert c.refused
    d = real_pipeline.ask("Whose startup is developing Grok?")
    assert d.text.startswith("Elon Musk") and not d.refused


def test_a_question_asked_as_a_request_is_answered_with_the_real_model(real_pipeline):
    """"Can you tell me who founded xAI?" opens like a yes-or-no question; under those rules
    the model refused it. The question inside is answered, with no "Yes" before it."""
    a = real_pipeline.ask("Can you tell me who founded xAI?")
    assert not a.refused and "Elon Musk" in a.text and not a.text.startswith("Yes")
    b = real_pipeline.ask("Could you explain why Nvidia's market value surged?")
    assert not b.refused and "demand" in b.text and b.citations


def test_a_follow_up_is_searched_with_the_name_its_pronoun_means(real_pipeline):
    """After "Who founded xAI?" ("Elon Musk"), "What else is he known for?" was rewritten as an
    answer ("Elon Musk is known for ..."), and "Which party does he belong to?" came back as
    "Who does ... belong to?"; what is searched asks what was asked, with the name in it."""
    history = [{"role": "user", "content": "Who founded xAI?"},
               {"role": "assistant", "content": "Elon Musk [1]"}]
    for question, searched in [("What else is he known for?", "What else is Elon Musk known for?"),
                               ("Where did he announce it?", "Where did")]:
        query = real_pipeline.rewrite(question, history)
        assert query.startswith(searched) and query.endswith("?"), query
        assert "Elon Musk" in query, query
