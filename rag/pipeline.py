"""The one pipeline behind every front end: question -> passages -> streamed, cited answer.

`Pipeline.stream` yields events as they happen: `passages` (what was retrieved, and the query
that was searched), `token` (a piece of the answer), then `answer` (the checked `Answer`).
`Pipeline.ask` runs the same and returns the `Answer`. The CLI, the web chat, the HTTP API and the
batch evaluation all call these; none of them re-implements retrieval, prompting or citations.

A follow-up question (with `history`) is first rewritten by the generator into a standalone one,
so that "and who is its CEO?" searches for what it means. The index's manifest decides which
embedder embeds queries. Refusals do not rest on the model alone: weak retrieval refuses before
generating; an answer naming what no passage holds, or whose sentences no passage supports, is
refused, and so is one too likely wrong by the generator's own judgement of it against its cited
passages (rag.answer.judge), weighed with the model's certainty as it wrote it and the retrieval
strength (rag.answer.verdict).
"""

from __future__ import annotations

import inspect
import logging
import re
import threading
import time
from typing import Iterator

from rag import registry, retrieval
from rag.answer.asking import kind_of, offered_options, pick_option
from rag.answer.citations import Verified, citations_for, novel_terms, parse_answer, verify
from rag.config import Config
from rag.errors import IndexMismatch, QuestionError, RagError
from rag.answer.judge import (answers_messages, dated, followup_messages, judge_messages,
                       yes_probability)
from rag.answer.prompt import REFUSAL, build_messages, passage_sentences
from rag.index.store import Index
from rag.text import content_words, unmarked
from rag.types import Answer, Hit
from rag.answer.verdict import LONG_KINDS, p_right

log = logging.getLogger(__name__)
MAX_QUESTION_CHARS = 2000
REWRITE_SYSTEM = (
    "Rewrite the user's last question as one standalone question that can be understood without "
    "the conversation, replacing pronouns with the names they refer to. Reply with the question only.")


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
        question = validate_question(question)
        k = _valid_k(self.config.k if k is None else k)
        self.refresh()
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        query = question
        if history:
            query = self.rewrite(question, history)
            timings["rewrite"] = _ms(t0)
        t1 = time.perf_counter()
        hits = self.retrieve(query, k)
        strength = float(getattr(hits, "strength", hits[0].score if hits else 0.0))
        hits = self.fit(hits)
        timings["retrieve"] = _ms(t1)
        yield {"type": "passages", "hits": hits, "search_query": query}

        weak = not hits or strength < self.config.min_score
        if weak and not (audit and hits):
            timings["first_token"] = _ms(t0)
            yield {"type": "token", "text": REFUSAL}
            timings["total"] = _ms(t0)
            checks = {"strength": round(strength, 4), "refused_by": "retrieval",
                      "failed": ["retrieval"]}
            yield {"type": "answer", "answer": Answer(
                question, REFUSAL, True, (), tuple(hits), timings, query, checks)}
            return

        pieces: list[str] = []
        messages = self.messages(query, hits)
        confidence: list[float] = []
        # a generator of one's own (rag.registry) need not report its confidence
        extra = ({"confidence": confidence} if "confidence" in
                 inspect.signature(self.generator.stream).parameters else {})
        for piece in self.generator.stream(messages, self.config.max_new_tokens, stop, **extra):
            if not pieces:
                timings["first_token"] = _ms(t0)
            pieces.append(piece)
            if not weak:  # an audited weak retrieval is refused whatever the model writes
                yield {"type": "token", "text": piece}
        timings.setdefault("first_token", _ms(t0))
        answer = self._check("".join(pieces), question, query, hits, timings, messages,
                             strength, weak, audit, min(confidence) if confidence else None)
        answer.timings_ms["total"] = _ms(t0)
        yield {"type": "answer", "answer": answer}

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

    def messages(self, query: str, hits: list[Hit]) -> list[dict]:
        """The generator's chat for these passages. With `passage_sentences` set, every passage
        after the first `whole_passages` is trimmed around its sentence closest to the question
        in meaning (the question encoder embeds the sentences: about 1 ms each), which finds the
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
        return build_messages(query, hits, sizes, self.config.answer_style, scores)

    def ask(self, question: str, k: int | None = None, history: list[dict] | None = None,
            stop: threading.Event | None = None, audit: bool = False) -> Answer:
        for event in self.stream(question, k, history, stop, audit):
            if event["type"] == "answer":
                return event["answer"]
        raise RuntimeError("the pipeline ended without an answer")  # not reachable

    def rewrite(self, question: str, history: list[dict]) -> str:
        """A standalone version of a follow-up question, written by the generator."""
        turns = [m for m in history if m.get("role") in ("user", "assistant")][-6:]
        convo = "\n".join(f"{m['role']}: {str(m.get('content', ''))[:500]}" for m in turns)
        messages = [{"role": "system", "content": REWRITE_SYSTEM},
                    {"role": "user", "content": f"Conversation:\n{convo}\n\nLast question: {question}"}]
        text = "".join(self.generator.stream(messages, 60)).strip().strip('"').splitlines()
        rewritten = text[0].strip() if text else ""
        return rewritten if 3 <= len(rewritten) <= MAX_QUESTION_CHARS else question

    def _check(self, raw: str, question: str, query: str, hits: list[Hit], timings: dict,
               messages: list[dict], strength: float, weak: bool = False,
               audit: bool = False, confidence: float | None = None) -> Answer:
        """Verify the model's draft against the passages (see rag.answer.citations), in order: the
        model's own refusal, names or figures no passage holds, sentences no passage supports,
        an answer made only of the question's words, then the judge's two questions, whose
        P(yes) are weighed with the model's certainty of its answer's words (`confidence`: the
        lowest probability among them, where the runtime reports it) and the retrieval strength
        (rag.answer.verdict, `decision = "score"`); with `decision = "thresholds"`, or without the
        certainty, the certainty and the judge each have their own threshold. The first that
        fails refuses; without `audit` the later ones are skipped."""
        parsed = parse_answer(raw, len(hits))
        failed = ["retrieval"] if weak else []
        kind = kind_of(question)
        checks: dict = {"strength": round(strength, 4), "model_refused": parsed.refused,
                        "kind": kind}
        v = None
        text = parsed.text
        if parsed.refused:
            failed.append("model")
        else:
            if kind == "yes-no":
                text = self._yes_or_no(messages, text)
            if kind == "choice":
                # The answer is the option it names, as the user wrote it; naming none of the
                # options, it answers another question.
                chosen = pick_option(unmarked(text), offered_options(question))
                checks["option"] = chosen
                if chosen is None:
                    failed.append("option")
                else:
                    text = chosen + " " + "".join(f"[{n}]" for n in parsed.cited)
            sources = [question, query] + [f"{h.title} {h.date or ''} {h.chunk.text}" for h in hits]
            # Names or figures that no passage holds come from the model's memory.
            checks["novel_terms"] = novel_terms(text, sources)
            if checks["novel_terms"]:
                failed.append("novel")
            if audit or not failed:
                v = verify(text, hits, self.config.min_support, query)
                checks["dropped_sentences"] = len(v.dropped)
                if not v.cited:
                    failed.append("support")
                    # An audit judges the unsupported draft all the same, so that the ablation
                    # table (rag.evaluate.tradeoff) can say what the support check withholds.
                    v = Verified(text, parsed.cited or [1], {}, [], 0) if audit else None
                if v is not None and kind not in ("choice", "yes-no") and _echoes(
                        unmarked(v.text), f"{question} {query}"):
                    checks["echo"] = True
                    failed.append("echo")
            # The judge's P(yes), the certainty and the retrieval strength decide together
            # (rag.answer.verdict), where the certainty is known and the judge asks its usual questions.
            scored = (self.config.decision == "score" and confidence is not None
                      and self.config.judge == 1)
            if confidence is not None:
                checks["confidence"] = round(confidence, 4)
                if confidence < self.config.min_confidence and not scored:
                    failed.append("unsure")
            # An answer whose every word the model gave at least `judge_below` is not judged
            # (faster; off by default: on the SQuAD development samples it let two wrong answers
            # through, docs/eval.md, "The refusal trade-off").
            below = self.config.judge_below
            sure = confidence is not None and below < 1.0 and confidence >= below
            if sure and v is not None and self.config.judge:
                checks["sure"] = True
            if v is not None and self.config.judge and (audit or not (failed or sure)):
                t = time.perf_counter()
                cited = [dated(hits[n - 1]) for n in v.cited]
                if self.config.judge == 2:
                    check = followup_messages(messages, raw, v.text)
                else:
                    check = judge_messages(question, v.text, cited)
                p_yes = yes_probability(self.generator, check)
                # Two questions, both to be answered yes: is the answer correct according to the
                # cited text, and does that text answer the question at all? With the thresholds
                # the second is asked only if the first passes (always in an audit, and when both
                # are weighed); their verdict is the lower P(yes).
                if audit or scored or p_yes >= self.config.min_judge:
                    checks["judge_p_correct"] = round(p_yes, 4)
                    p_answers = yes_probability(self.generator, answers_messages(question, cited))
                    checks["judge_p_answers"] = round(p_answers, 4)
                    p_yes = min(p_yes, p_answers)
                timings["judge"] = _ms(t)
                checks["judge_p_yes"] = round(p_yes, 4)
                passes = p_yes >= self.config.min_judge
                if scored:
                    p = p_right(checks["judge_p_correct"], checks["judge_p_answers"], confidence,
                                strength, kind in LONG_KINDS)
                    checks["p_right"] = round(p, 4)
                    passes = p >= self.config.min_right
                checks["judge"] = "yes" if passes else "no"
                if checks["judge"] == "no" and not sure:
                    failed.append("judge")
        checks["failed"] = failed
        checks["refused_by"] = failed[0] if failed else None
        if audit and v is not None:
            checks["draft"] = v.text
        if parsed.refused and not weak:
            return Answer(question, parsed.text, True, (), tuple(hits), timings, query, checks)
        if failed:
            return Answer(question, REFUSAL, True, (), tuple(hits), timings, query, checks)
        return Answer(question, v.text, False, tuple(citations_for(v, hits)), tuple(hits),
                      timings, query, checks)

    def _yes_or_no(self, messages: list[dict], text: str) -> str:
        """A yes-or-no answer as one sentence that opens with its verdict: "Yes. It was ..."
        becomes "Yes, it was ...", and one that does not say it ("The articles say that ...")
        gets the one the model itself leans to: the likelier of "Yes" and "No" as the first
        word of its reply to the same prompt (read from llama.cpp's prompt cache, not generated).
        A generator that cannot give probabilities leaves the answer as written."""
        said = re.match(r"\W*(yes|no)\b[\s.,:;!-]*(.*)", text, re.IGNORECASE | re.DOTALL)
        if said:  # "Yes." as a sentence of its own would be dropped with no words to check
            word, text = said.group(1).capitalize(), said.group(2).strip()
        else:
            probabilities = getattr(self.generator, "word_probabilities", None)
            if probabilities is None:
                return text
            p = probabilities(messages, ["Yes", "No"])
            word = "Yes" if p.get("Yes", 0.0) >= p.get("No", 0.0) else "No"
        text = _SAYS.sub("", text, count=1)  # "Yes, the articles say that X" says "Yes, X"
        first = re.match(r"\W*(\w+)", text)
        if first and first.group(1) in _PLAIN_OPENERS:
            text = text[0].lower() + text[1:]
        return f"{word}, {text}" if text else word

    def facts(self) -> dict:
        self.refresh()
        idx = self.index
        return {"articles": idx.article_count, "chunks": idx.chunk_count,
                "embedder": idx.embedder_info["name"], "generator": self.config.generator,
                "updated": idx.updated}


# Why an answer was refused, by the check that refused it (Answer.checks["refused_by"]).
REASONS = {
    "retrieval": "No passage is close enough to the question to answer it from.",
    "model": "The model found no answer in these passages.",
    "novel": "The draft answer named things no passage holds ({terms}), so it was withheld.",
    "support": "No passage supports the draft answer's sentences, so it was withheld.",
    "echo": "The draft answer only repeated words of the question, so it was withheld.",
    "option": "The draft answer named none of the question's options, so it was withheld.",
    "unsure": "The model was unsure of its draft answer's words (the least likely had "
              "{certainty}), a sign the passages do not state it, so it was withheld.",
    "judge": "Checked against the passages it cited, the draft answer is not stated there "
             "clearly enough (the generator's confidence: {confidence}), so it was withheld.",
    "judge_score": "Checked against the passages it cited, the draft answer is too likely "
                   "wrong (the estimated chance that it is right: {right}), so it was withheld.",
}


# Words that open a sentence only because it starts there: lower-cased after "Yes, " or "No, ".
_PLAIN_OPENERS = frozenset("The It Its This That These There They He She According In A An As "
                           "On At By".split())


_SAYS = re.compile(r"^(?:the |this |according to the )?(?:articles?|passages?|text)(?:,\s*|\s+(?:"
                   r"says?|states?|mentions?|shows?|reports?|confirms?)\s+(?:that\s+)?)",
                   re.IGNORECASE)


def why_refused(checks: dict | None) -> str:
    """A refusal's reason in words, for the chat and the CLI."""
    why = (checks or {}).get("refused_by")
    if why not in REASONS:
        return "Nothing retrieved answers this."
    p = checks.get("judge_p_yes")
    c = checks.get("confidence")
    if why == "judge" and checks.get("p_right") is not None:
        return REASONS["judge_score"].format(right=f"{checks['p_right']:.0%}")
    return REASONS[why].format(terms=", ".join((checks.get("novel_terms") or [])[:5]),
                               confidence="unknown" if p is None else f"{p:.0%}",
                               certainty="unknown" if c is None else f"{c:.0%}")


def validate_question(question) -> str:
    if not isinstance(question, str):
        raise QuestionError(f"the question must be text, not {type(question).__name__}")
    bad = re.search("[\ud800-\udfff]", question)
    if bad:  # JSON can carry one ("\\ud800"); no tokenizer or UTF-8 encoder takes it
        raise QuestionError(f"the question is not valid Unicode: a lone surrogate "
                            f"(U+{ord(bad.group()):04X}) at character {bad.start()}")
    q = question.strip()
    if not q:
        raise QuestionError("the question is empty: ask something about the articles")
    if len(q) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question is {len(q)} characters long; the limit is "
                            f"{MAX_QUESTION_CHARS}")
    return q


def _valid_k(k) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 50:
        raise QuestionError(f"k must be a whole number from 1 to 50, not {repr(k)[:40]}")
    return k


def _check_embedder(index: Index, embedder) -> None:
    want, have = index.embedder_info, embedder.info()
    for key in ("name", "dim", "weights_sha256"):
        if want.get(key) != have.get(key):
            raise IndexMismatch(
                f"index {index.path} was built with embedder {want.get('name')} "
                f"({key} {want.get(key)}), but the loaded one has {key} {have.get(key)}: "
                f"rebuild it with `rag index PATH --index {index.path} --rebuild`")


def _echoes(answer: str, question: str) -> bool:
    """An answer made only of the question's words ("Nvidia" for "Who is the CEO of Nvidia?")
    answers nothing, unless the question offers the choice: "formal or informal?", or a list
    of options ("(Options: Sudan; Israel; Egypt; Iran)", "Which of the following ...: A, B or
    C"), of which an answer picking one is an answer. (A yes-or-no question's answer restates
    it by nature: the caller does not ask.)"""
    if re.search(r"\bor\b", question, re.IGNORECASE) or offered_options(question):
        return False
    return content_words(answer) <= content_words(question)


def _ms(t: float) -> float:
    return round((time.perf_counter() - t) * 1000, 1)
