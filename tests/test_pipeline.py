"""The pipeline (rag.pipeline): a question into streamed events and a cited answer, follow-ups
rewritten, bad questions refused with a clear error, and the prompt trimmed as configured."""

import threading

import numpy as np
import pytest

from rag.answer.prompt import REFUSAL, STYLES
from rag.config import Config
from rag.errors import QuestionError
from rag.pipeline import Pipeline
from tests.fakes import Scripted


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
    """Nothing close in meaning and none of the question's words in any passage: refused before
    generating. A word of the question found word for word is evidence enough to ask."""
    pipe = Pipeline.open(Config(**{**fake_config.__dict__, "min_score": 0.99}))
    calls = pipe.generator.calls
    a = pipe.ask("Tell me a joke, please")
    assert a.refused and a.text == REFUSAL and a.checks["refused_by"] == "retrieval"
    assert pipe.generator.calls == calls
    b = pipe.ask("Who is the CEO of Dell Technologies?")
    assert b.checks["strength"] < 0.99 and b.checks.get("refused_by") != "retrieval"
    assert pipe.generator.calls > calls


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
    # the answers' prompts (the judge asks in them too, after the question: judge = 3)
    prompts = [m[1]["content"] for m in seen if m[0]["content"] in STYLES.values()
               and m[1]["content"].rstrip().endswith("?")]
    assert len(prompts) == 2 and len(prompts[1]) < len(prompts[0])
    assert "Michael Dell" in prompts[1]


def test_a_question_about_the_article_as_a_whole_reads_its_opening(fake_pipeline):
    """"What is this article about?" shares no words with any passage; asked of an index that
    holds one article, it is answered from that article's opening passages, in order, and the
    answer is checked and cited as any other."""
    recorder = Scripted("Dell Technologies and Nvidia have announced a collaboration to "
                        "construct a specialized AI factory [1].")
    pipe = Pipeline(fake_pipeline.index, fake_pipeline.embedder, fake_pipeline.config, recorder)
    a = pipe.ask("What is this article about?")
    (article,) = fake_pipeline.index.articles
    assert [h.chunk.article_id for h in a.passages] == [article] * len(a.passages)
    starts = [h.chunk.start for h in a.passages]
    assert starts == sorted(starts) and starts[0] == 0 and len(a.passages) == 3
    assert a.checks["strength"] == 1.0 and a.checks["kind"] == "explain"
    assert not a.refused and a.citations[0].hit.chunk.start == 0
    # a topic in the question is searched as usual
    b = pipe.ask("Summarize what the article says about Nvidia's market value")
    assert b.passages[0].chunk.start != 0 and "opening" not in b.passages[0].scores


def test_a_question_about_one_of_many_articles_says_to_name_it(fake_config, tmp_path):
    """With more articles than passages, which one "the article" is cannot be known: no search
    (it would answer about whichever article the words "article" or "summary" match), and the
    reason says to name the article or its topic. With a few, each one's opening is read."""
    from rag import registry
    from rag.answer.reasons import why_refused
    from rag.index.chunking import ChunkParams
    from rag.index.indexing import sync

    docs = tmp_path / "docs"
    docs.mkdir()
    for i, topic in enumerate(["rowing", "chess", "tides", "bees"]):
        (docs / f"{topic}.txt").write_text(f"An article about {topic}. It has facts {i}.\n")
    cfg = Config(**{**fake_config.__dict__, "index": str(tmp_path / "ix")})
    sync([docs], cfg.index, registry.embedder("fake-hash"), ChunkParams(60, 1))
    pipe = Pipeline.open(cfg)
    a = pipe.ask("Summarize the article.")
    assert a.refused and a.passages == () and a.checks["articles"] == 4
    assert "holds 4 articles" in why_refused(a.checks)
    assert pipe.ask("Summarize the article about chess.").passages  # named: searched
    few = pipe.ask("What are these articles about?", k=5)
    assert sorted(h.chunk.article_id for h in few.passages) == sorted(pipe.index.articles)


def test_a_follow_up_about_the_article_itself_is_not_rewritten(fake_pipeline):
    """"Summarize it." after a question, of an index that holds one article, reads the
    article's opening as asked (a rewrite made such follow-ups statements); a rewrite that is a
    template ("... published on [insert date].") is not searched: the question is."""
    from rag.answer.prompt import rewrite_messages

    rewrite_system = rewrite_messages("x", [])[0]["content"]

    class Rewriter(Scripted):
        rewrites = 0

        def stream(self, messages, *args, **kwargs):
            if messages[0]["content"] == rewrite_system:
                self.rewrites += 1
                yield "The article was published on [insert date]."
                return
            yield from super().stream(messages, *args, **kwargs)

    gen = Rewriter("Dell and Nvidia are building an AI factory [1].")
    pipe = Pipeline(fake_pipeline.index, fake_pipeline.embedder, fake_pipeline.config, gen)
    history = [{"role": "user", "content": "Who is building the AI factory?"},
               {"role": "assistant", "content": "Dell and Nvidia [1]."}]
    a = pipe.ask("Summarize it.", history=history)
    assert gen.rewrites == 0 and a.search_query == "Summarize it."
    assert a.passages[0].chunk.start == 0 and a.checks["strength"] == 1.0
    b = pipe.ask("Who is its CEO?", history=history)
    assert gen.rewrites == 1 and b.search_query == "Who is its CEO?"
