"""The one pipeline behind every front end: question -> passages -> streamed, cited answer.

`Pipeline.stream` yields events as they happen: `passages` (what was retrieved, and the query
that was searched), `token` (a piece of the answer), `second_look` (the model refused, and is
asked again: what streamed may not be the answer), then `answer` (the checked `Answer`).
`Pipeline.ask` runs the same and returns the `Answer`. The CLI, the web chat, the HTTP API and the
batch evaluation all call these; none of them re-implements retrieval, prompting or citations.

A follow-up question (with `history`) is first rewritten by the generator into a standalone one,
so that "and who is its CEO?" searches for what it means. A question about the article as a
whole ("What is this article about?") is not searched: it reads the articles' opening passages,
where the index holds few. A multiple-choice question's written
draft streams as any other, and then its options' letters are scored (rag.answer.options), where
the generator gives probabilities: they pick the option, and the draft only says whether the
model would name another answer. The index's manifest decides which embedder embeds queries.
Whether an answer is given is the refusal policy's decision (rag.answer.refusal): weak retrieval
refuses before generating, and the draft is checked against its passages after; where the model
itself refused, a second draft with that refusal barred is checked the same way (`second_look`).
A yes-or-no question the model still would not answer is asked for the detail it checks
(rag.answer.detail), whose answer may say "No", unless a passage says "not" to it already
(rag.answer.denial). Whether the articles mention something ("Does
the article mention Tesla?") is looked up, not generated (rag.answer.mention), where a passage
writes it. A greeting or thanks gets a reply of its own (rag.answer.small_talk). Left out: the
wording of a refusal for people (rag.answer.reasons).
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from dataclasses import replace
from typing import Iterator

from rag import registry, retrieval
from rag.answer import denial, detail, mention, options, refusal, small_talk
from rag.answer.asking import (MAX_QUESTION_CHARS, about_the_article, as_question,
                               in_true_or_false, kind_of, true_or_false, valid_k,
                               validate_question)
from rag.answer.prompt import (REFUSAL, WRITTEN_OUT, build_messages, passage_sentences,
                               rewrite_messages, standalone, style_for)
from rag.config import Config
from rag.errors import IndexMismatch, RagError
from rag.index.lexical import tokenize
from rag.index.store import Index
from rag.types import Answer, Hit

log = logging.getLogger(__name__)


class Pipeline:
    def __init__(self, index: Index, embedder, config: Config, generator=None,
                 query_encoder=None):
        self.index = index
        self.embedder = embedder  # embeds documents (uploads through the chat)
        self.query_encoder = query_encoder or embedder  # embeds questions
        self.config = config
        self._generator = generator
        self._gen_lock = threading.Lock()
        _check_embedder(index, embedder)
        self._version = Index.live_version(index.path)  # the version loaded
        self._reload_lock = threading.Lock()
        self._unloadable: str | None = None  # a newer version that failed to load

    @classmethod
    def open(cls, config: Config, load_generator: bool = False) -> "Pipeline":
        index = Index.open(config.index)
        info = index.embedder_info
        emb = registry.embedder(info["name"], info.get("dtype", "float32"), config.threads)
        queries = registry.query_encoder(emb, config.query_encoder, config.threads)
        pipe = cls(index, emb, config, query_encoder=queries)
        if load_generator:
            pipe.generator  # noqa: B018 - load now, not on the first question
        return pipe

    @property
    def generator(self):
        with self._gen_lock:
            if self._generator is None:
                self._generator = registry.generator(self.config.generator, self.config.threads,
                                                     self.config.runtime, self.config.generator_url,
                                                     self.config.prefill,
                                                     self.config.prompt_cache_mb)
            return self._generator

    def reload(self) -> None:
        """Pick up a new version of the index (after articles were added or removed)."""
        version = Index.live_version(self.index.path)
        index = Index.open(self.index.path)
        _check_embedder(index, self.embedder)
        self.index, self._version = index, version

    def refresh(self) -> bool:
        """Reload when another process (`rag index`, `rag remove`) has switched the index to a
        new version since; called before each question, so a running server answers from what
        was written. A question already under way keeps the version it retrieved from (it holds
        its own passages), so none is dropped. A new version that fails to load (a different
        embedder, damage) leaves the loaded one serving, with a warning, until the next."""
        version = Index.live_version(self.index.path)
        if version is None or version in (self._version, self._unloadable):
            return False
        with self._reload_lock:
            if Index.live_version(self.index.path) == self._version:
                return False  # another request reloaded it meanwhile
            try:
                self.reload()
            except RagError as e:
                self._unloadable = version
                log.warning("rag: still serving %s: the new index version %s does not load: %s",
                            self._version, version, e)
                return False
            return True

    # ---- retrieval -------------------------------------------------------------------------
    def retrieve(self, query: str, k: int | None = None) -> list[Hit]:
        k = k or self.config.k
        qvec = self.query_encoder.embed([query])[0]
        # One index version for the whole search, even if a reload happens meanwhile.
        return retrieval.search(self.index, qvec, query, k, self.config.retrieval,
                                self.config.candidates, self.config.dense_weight)

    # ---- answering -------------------------------------------------------------------------
    def stream(self, question: str, k: int | None = None, history: list[dict] | None = None,
               stop: threading.Event | None = None, audit: bool = False) -> Iterator[dict]:
        """`audit`: run every check on every question (a weak retrieval still generates, a failed
        check does not skip the later ones) and keep the checked draft in `checks["draft"]`; the
        answer itself is decided exactly as without it. This is what `rag eval --trade-off` uses
        to find how many questions each threshold would answer, and how many wrongly."""
        shown = question = validate_question(question)
        # "True or false: Grok is made by xAI." is asked as "Is Grok made by xAI?", which the
        # yes-or-no rules read (the answer still names the question as the user wrote it)
        question = as_question(question) or question
        k = valid_k(self.config.k if k is None else k)
        self.refresh()
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        said = small_talk.reply(question)
        if said is not None:  # "hi", "thanks!": a reply of its own, nothing searched
            timings["retrieve"] = 0.0
            yield from _said(Answer(shown, said, True, (), (), timings, "", {
                "kind": small_talk.KIND, "failed": [small_talk.KIND],
                "refused_by": small_talk.KIND}), t0)
            return
        query = question
        # "Summarize it." of the few articles the index holds needs no rewrite (which makes it a
        # statement); of many, the rewrite says which one ("... the article about Grok").
        whole = about_the_article(question) is not None and self.index.article_count <= k
        if history and not whole:
            query = self.rewrite(question, history)
            timings["rewrite"] = _ms(t0)
        t1 = time.perf_counter()
        looked_up = self._mentioned(question, query, k, t0, timings, audit)
        if looked_up is not None:
            yield from looked_up
            return
        about = about_the_article(query) is not None
        hits = self._the_article(k) if about else self.retrieve(query, k)
        strength = float(getattr(hits, "strength", hits[0].score if hits else 0.0))
        hits = self.fit(hits)
        timings["retrieve"] = _ms(t1)
        yield {"type": "passages", "hits": hits, "search_query": query}

        lexical = refusal.lexical(hits, query)
        weak = refusal.weak(hits, strength, self.config.min_score, lexical)
        if weak and not (audit and hits):
            checks = refusal.retrieval_checks(strength)
            said = self._refusal(query, checks)
            timings["first_token"] = _ms(t0)
            yield {"type": "token", "text": said}
            timings["total"] = _ms(t0)
            if about:  # which article, of several, is not known
                checks["articles"] = self.index.article_count
            yield {"type": "answer", "answer": Answer(shown, said, True, (), tuple(hits),
                                                      timings, query, checks)}
            return

        pieces: list[str] = []
        messages = self.messages(query, hits)
        confidence: list[float] = []
        # a generator of one's own (rag.registry) need not report its confidence, nor bar a refusal
        can = inspect.signature(self.generator.stream).parameters
        extra = {"confidence": confidence} if "confidence" in can else {}
        for piece in self.generator.stream(messages, self.config.max_new_tokens, stop, **extra):
            if not pieces:
                timings["first_token"] = _ms(t0)
            pieces.append(piece)
            if not weak:  # an audited weak retrieval is refused whatever the model writes
                yield {"type": "token", "text": piece}
        timings.setdefault("first_token", _ms(t0))
        draft = refusal.Draft("".join(pieces), question, query, hits, messages, strength, weak,
                              min(confidence) if confidence else None)
        scored = self._scored(question, query, messages)
        if scored is not None:  # a multiple-choice question: its options' letters decide
            decision = refusal.decide_choice(scored, draft, self.config, audit)
        else:
            decision = refusal.decide(draft, self.config, self.generator, audit)
        denied = denial.decision(draft, decision, audit)
        if denied is not None:
            yield {"type": "second_look"}  # the refusal streamed so far does not stand
            decision = denied
        elif (decision.checks.get("refused_by") == "model" and self.config.second_look
                and "bar_refusal" in can):
            yield {"type": "second_look"}  # the refusal streamed so far may not stand
            decision = self._second_look(draft, decision, stop, audit, "confidence" in can)
        elif (self.config.second_look and refusal.echoed(draft, decision)
              and style_for(self.config.answer_style, query) not in WRITTEN_OUT):
            yield {"type": "second_look"}
            decision = self._second_look(draft, decision, stop, audit, "confidence" in can,
                                         self.messages(query, hits, "explain"))
        if (self.config.second_look and decision.checks.get("refused_by") == "model"
                and decision.checks.get("kind") == "yes-no"):
            yield {"type": "second_look"}
            decision = self._detail_look(draft, decision, stop, audit, "confidence" in can)
        # what `rag eval --trade-off` needs to replay the retrieval gate (rag.answer.refusal.weak)
        decision.checks["lexical"] = lexical
        if decision.judge_ms is not None:
            timings["judge"] = decision.judge_ms
        timings["total"] = _ms(t0)
        # a refusal in the model's own words ("... don't say when the factory opens.") stays
        text = (self._refusal(query, decision.checks) if decision.refused
                and decision.text == REFUSAL else decision.text)
        if true_or_false(shown) and not decision.refused:
            text = in_true_or_false(text)
        yield {"type": "answer", "answer": Answer(
            shown, text, decision.refused, decision.citations, tuple(hits), timings,
            query, decision.checks)}

    def _refusal(self, query: str, checks: dict) -> str:
        """A refusal's words: where the question names something that no passage of the index
        holds any word of ("Did Google join the collaboration?"), that finding, "The articles
        don't mention Google." (rag.answer.mention); otherwise "The articles don't say."."""
        offered = options.offered_options(query)
        for name in mention.names(options.without_options(query)):  # not a listed option's
            # an option's name only where the articles hold none of the options ("by Sundar
            # Pichai or Satya Nadella?"): one missing option does not say why another was refused
            if (any(_same_words(name, o) for o in offered)
                    and not all(self._unheld(o) for o in offered)):
                continue
            if self._unheld(name):
                checks["unmentioned"] = name
                return mention.absent_text(name)
        return REFUSAL

    def _unheld(self, name: str) -> bool:
        """Whether no passage of the index holds any word of the name. Only a name the search
        sees can be found missing: BM25 leaves out stop words and single letters ("The Who",
        "X", "U.S")."""
        return bool(tokenize([name])[0]) and not self.index.search_bm25(name, 1)

    def _mentioned(self, question: str, query: str, k: int, t0: float, timings: dict,
                   audit: bool) -> Iterator[dict] | None:
        """The events of an answer looked up (rag.answer.mention): "Does the article mention
        Tesla?" is searched for "Tesla" and answered from what the search finds, nothing
        generated. None where the question asks no such thing, or the lookup cannot tell."""
        topic = mention.asked(query)
        if topic is None:
            return None
        t1 = time.perf_counter()
        found = self.retrieve(topic, k)
        answer = mention.looked_up(question, query, topic, tuple(self.fit(found)),
                                   float(getattr(found, "strength", 0.0)), self._unheld, timings,
                                   audit)
        if answer is None:
            return None
        timings["retrieve"] = _ms(t1)
        return _said(answer, t0)

    def _the_article(self, k: int) -> list[Hit]:
        """For a question about the article as a whole ("What is this article about?", "When
        was the article published?", rag.answer.asking.about_the_article): the opening passages
        of the index's articles, where it holds no more than `k`; none where it holds more, as
        which one is meant is not known (a search would answer about whichever article its
        words match, "NATO's Article 5"), and the refusal's reason says to name the article or
        its topic."""
        if self.index.article_count > k:
            return retrieval.Hits()
        return retrieval.openings(self.index, k)

    def _scored(self, question: str, query: str, messages: list[dict]):
        """A multiple-choice question's options scored by their letters (rag.answer.options),
        with `choice = "letters"`; None for any other question, or where the generator cannot
        score them (its written answer is then mapped to the option it names)."""
        if self.config.choice != "letters" or kind_of(question) != "choice":
            return None
        return options.score(self.generator, messages, query, options.offered_options(question))

    def _second_look(self, draft: "refusal.Draft", first: "refusal.Decision",
                     stop: threading.Event | None, audit: bool, reports_confidence: bool,
                     messages: list[dict] | None = None) -> "refusal.Decision":
        """Where the model refused although retrieval found passages, the same prompt once more
        with the refusal's opening barred, and that draft through every check; the first
        refusal stands where the model refuses again. The model refuses answers its passages
        hold ("What is the collaboration a testament to?"), and what it then writes about a
        question they do not answer, the checks mostly refuse, more so under
        `second_look_min_right` (docs/eval.md, "A second look").
        With `messages`: where a short draft only echoed the question (`refusal.echoed`), the
        same passages under the rules for an answer in sentences, whose draft clears the same
        higher bar; a refusal is not barred there."""
        again = self._redraft(draft, draft.question, draft.query, messages or draft.messages,
                              stop, audit, reports_confidence, bar_refusal=messages is None)
        if (messages is None and again.checks.get("heading")
                and again.checks.get("refused_by") == "echo"
                and style_for(self.config.answer_style, draft.query) not in WRITTEN_OUT):
            # the refusal barred, the model copied a section heading ("The Future of AI [1]"):
            # the heading's section is asked for in sentences, as an echo's is
            return self._second_look(draft, first, stop, audit, reports_confidence,
                                     self.messages(draft.query, draft.hits, "explain"))
        if again.checks.get("refused_by") == "model":
            first.checks["second_look"] = "refused"
            return first
        again.checks["second_look"] = "answered" if not again.refused else "checked"
        again.checks["first_refused_by"] = first.checks.get("refused_by")
        return again

    def _redraft(self, draft: "refusal.Draft", question: str, query: str, messages: list[dict],
                 stop: threading.Event | None, audit: bool, reports_confidence: bool,
                 bar_refusal: bool = False) -> "refusal.Decision":
        """Another draft over `draft`'s passages, written from `messages`, and the decision on it
        as an answer to `question`. The first draft's failure counts against it: it must clear
        `second_look_min_right`, not `min_right`."""
        confidence: list[float] = []
        extra: dict = {"confidence": confidence} if reports_confidence else {}
        if bar_refusal:
            extra["bar_refusal"] = True
        raw = "".join(self.generator.stream(messages, self.config.max_new_tokens, stop, **extra))
        bar = max(self.config.min_right, self.config.second_look_min_right)
        return refusal.decide(refusal.Draft(raw, question, query, draft.hits, messages,
                                            draft.strength, draft.weak,
                                            min(confidence) if confidence else None),
                              replace(self.config, min_right=bar), self.generator, audit)

    def _detail_look(self, draft: "refusal.Draft", first: "refusal.Decision",
                     stop: threading.Event | None, audit: bool,
                     reports_confidence: bool) -> "refusal.Decision":
        """A yes-or-no question the model would not answer, asked for the detail it checks
        (rag.answer.detail): "Is Grok being developed by OpenAI?" becomes "Who is developing
        Grok?", answered over the same passages and checked as any draft, under
        `second_look_min_right`. Where that answer names something else and the passages name
        the question's detail too, the answer is "No" with it; where it names the detail itself,
        "Yes"; otherwise the refusal stands."""
        reply = "".join(self.generator.stream(detail.detail_messages(draft.query), 40, stop))
        asked = detail.detail_question(reply)
        name = detail.tested_name(draft.query, asked) if asked else set()
        if not name:  # a rewrite that kept every name: the one that opens the question, by rule
            asked = detail.subject_question(draft.query)
            name = detail.tested_name(draft.query, asked) if asked else set()
        if not name or detail.acted_on(draft.query, name):
            return first
        first.checks["detail_question"] = asked
        found = self._redraft(draft, asked, asked, self.messages(asked, draft.hits), stop, audit,
                              reports_confidence)
        if found.checks.get("refused_by") == "echo":  # "Michael Dell [1]" for "Who is Michael
            # Dell the CEO of?": the same passages under the rules for sentences, as an echo's
            found = self._redraft(draft, asked, asked, self.messages(asked, draft.hits, "explain"),
                                  stop, audit, reports_confidence)
        passages = [f"{h.title} {h.chunk.text}" for h in draft.hits]
        if found.refused:
            return first
        if detail.contradicts(name, found.text, passages):
            text = f"No. {asked} {found.text}"
        elif detail.confirms(name, found.text):
            text = f"Yes. {asked} {found.text}"
        else:
            return first
        checks = {**found.checks, "kind": "yes-no", "detail_question": asked,
                  "second_look": "answered", "first_refused_by": "model"}
        if audit:
            checks["draft"] = text
        return refusal.Decision(text, False, found.citations, checks, found.judge_ms)

    def fit(self, hits: list[Hit]) -> list[Hit]:
        """The best passages that fit the prompt's budget (`prompt_tokens`, counted with the
        embedder's tokenizer), at least one: a `k` too large for the generator's context loses
        its weakest passages here instead of overflowing the context."""
        budget, used, out = self.config.prompt_tokens, 0, []
        for h in hits:
            used += self.embedder.count_tokens(h.chunk.text) + 16  # title, date, numbering
            if out and used > budget:
                break
            out.append(h)
        return out

    def messages(self, query: str, hits: list[Hit], style: str | None = None) -> list[dict]:
        """The generator's chat for these passages. With `passage_sentences` set, every passage
        after the first `whole_passages` is trimmed around its sentence closest to the question
        in meaning (the question encoder embeds the sentences, cheaply), which finds the
        answer's sentence where shared words do not ("create" in "to create a computing
        environment")."""
        n, whole = self.config.passage_sentences, self.config.whole_passages
        trim = [] if n <= 0 else list(range(whole, len(hits)))
        sizes = [n if i in trim else 0 for i in range(len(hits))]  # 0: the whole passage
        scores: list[list[float] | None] = [None] * len(hits)
        texts = {i: [hits[i].chunk.text[a:b] for a, b in passage_sentences(hits[i].chunk.text)]
                 for i in trim}
        flat = [t for i in trim for t in texts[i]]
        if flat:
            vecs = self.query_encoder.embed([query] + flat)
            sims, at = (vecs[1:] @ vecs[0]).tolist(), 0
            for i in trim:
                scores[i], at = sims[at:at + len(texts[i])], at + len(texts[i])
        return build_messages(query, hits, sizes, style or self.config.answer_style, scores)

    def ask(self, question: str, k: int | None = None, history: list[dict] | None = None,
            stop: threading.Event | None = None, audit: bool = False) -> Answer:
        for event in self.stream(question, k, history, stop, audit):
            if event["type"] == "answer":
                return event["answer"]
        raise RuntimeError("the pipeline ended without an answer")  # not reachable

    def rewrite(self, question: str, history: list[dict]) -> str:
        """A standalone version of a follow-up question, written by the generator."""
        messages = rewrite_messages(question, history)
        text = "".join(self.generator.stream(messages, 60)).strip().strip('"').splitlines()
        rewritten = text[0].strip() if text else ""
        if not 3 <= len(rewritten) <= MAX_QUESTION_CHARS:
            rewritten = ""
        return standalone(question, rewritten, history)

    def facts(self) -> dict:
        self.refresh()
        idx = self.index
        return {"articles": idx.article_count, "chunks": idx.chunk_count,
                "embedder": idx.embedder_info["name"], "generator": self.config.generator,
                "updated": idx.updated}


def _check_embedder(index: Index, embedder) -> None:
    want, have = index.embedder_info, embedder.info()
    for key in ("name", "dim", "weights_sha256"):
        if want.get(key) != have.get(key):
            raise IndexMismatch(
                f"index {index.path} was built with embedder {want.get('name')} "
                f"({key} {want.get(key)}), but the loaded one has {key} {have.get(key)}: "
                f"rebuild it with `rag index PATH --index {index.path} --rebuild`")


def _same_words(name: str, option: str) -> bool:
    """Whether a name the question writes is one of its options, or part of one."""
    a, b = set(tokenize([name])[0]), set(tokenize([option])[0])
    return bool(a) and a <= b


def _said(answer: Answer, t0: float) -> Iterator[dict]:
    """The events of an answer said without generating (a lookup, a reply to small talk): its
    passages, its text as one token, then the answer."""
    answer.timings_ms["first_token"] = answer.timings_ms["total"] = _ms(t0)
    yield {"type": "passages", "hits": list(answer.passages), "search_query": answer.search_query}
    yield {"type": "token", "text": answer.text}
    yield {"type": "answer", "answer": answer}


def _ms(t: float) -> float:
    return round((time.perf_counter() - t) * 1000, 1)
