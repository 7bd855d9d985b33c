"""The refusal policy: whether a draft answer is given or withheld, and what each check found.

Refusals do not rest on the model alone. Before generating, a retrieval too weak to answer from
refuses at once (`weak`). After it, the draft is put in its kind's shape (a yes-or-no answer opens
with the verdict its own fact gives, `_fact_verdict`) and checked in order: the model's own
refusal; for a multiple-choice question, the option it names (rag.answer.asking); names or figures
no passage holds (rag.answer.citations.novel_terms); sentences no passage supports (`verify`); an
answer made only of the question's words; a where-question answered with a company that no
passage writes as a place (rag.answer.fits); then the judge's two questions (rag.answer.judge),
whose P(yes) are weighed with the model's certainty of its answer's words (the lowest
probability among them, where the runtime reports it) and the retrieval strength
(rag.answer.verdict, `decision = "score"`). With `decision = "thresholds"`, or without the
certainty, the certainty and the judge each have their own threshold. A yes-or-no "No" whose fact
is about another name stands without the judge (`_unjudged_no`). The first check that fails
refuses; without `audit` the later ones are skipped, with it every check runs (what `rag eval
--trade-off` replays). A multiple-choice question answered by its options' letters
(rag.answer.options) has its own, shorter decision (`decide_choice`): the written draft must
name an option, then the support check and the option's probability.

`checks` records what each check found, `failed` the checks that failed and `refused_by` the
first. Left out: the wording a person reads (rag.answer.reasons), and the numbers of the
decision (rag.answer.verdict, and the thresholds in rag.config).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from rag.answer import fits
from rag.answer.asking import asks_whose, kind_of, other_subject, possessor, yes_no_sentence
from rag.answer.citations import (Verified, citations_for, is_refusal, novel_terms,
                                  number_as_written, parse_answer, verify)
from rag.answer.judge import (answers_messages, dated, fact_messages, followup_messages,
                              in_prompt_answers_messages, in_prompt_messages, judge_messages, lean,
                              yes_probability)
from rag.answer.options import Scored, offered_options, pick_option
from rag.answer.prompt import REFUSAL
from rag.answer.verdict import LONG_KINDS, WEIGHTS, p_right
from rag.text import content_words, unmarked
from rag.types import Citation, Hit


@dataclass(frozen=True)
class Draft:
    """One draft answer and what the policy weighs it against."""

    raw: str  # the model's reply as written
    question: str
    query: str  # what was searched (the question, or its standalone rewrite)
    hits: list[Hit]  # the passages, numbered from 1 in the prompt
    messages: list[dict]  # the chat that wrote it (the follow-up judge continues it)
    strength: float  # the best cosine of the query with any candidate chunk
    weak: bool = False  # retrieval was too weak (a draft then only comes from an audit)
    confidence: float | None = None  # the lowest probability among its words, if reported


@dataclass(frozen=True)
class Decision:
    text: str  # the answer as shown: checked and cited, or the refusal sentence
    refused: bool
    citations: tuple[Citation, ...]
    checks: dict
    judge_ms: float | None = None  # the judge's time, where it was asked


def weak(hits: list[Hit], strength: float, min_score: float, lexical: bool = False) -> bool:
    """Whether retrieval is too weak to answer from: nothing found, or nothing close enough in
    meaning (`strength`, the best cosine, under `min_score`) while no passage holds any of the
    question's content words either (`lexical`, below). A short question's rare word, found word
    for word ("Which company makes ChatGPT?"), is evidence the cosine misses (docs/eval.md)."""
    return not hits or (strength < min_score and not lexical)


def lexical(hits: list[Hit], question: str) -> bool:
    """Whether a passage holds one of the question's content words (stemmed, not a stop word:
    "what" and "how" are in every text)."""
    asked = content_words(question)
    return bool(asked) and any(asked & content_words(h.chunk.text) for h in hits)


def retrieval_checks(strength: float) -> dict:
    """The checks of an answer refused for weak retrieval, before anything was generated."""
    return {"strength": round(strength, 4), "lexical": False, "refused_by": "retrieval",
            "failed": ["retrieval"]}


def decide(draft: Draft, config, generator, audit: bool = False) -> Decision:
    """The decision on `draft` under `config`'s thresholds; `generator` shapes a yes-or-no
    answer and judges the draft. See the module docstring for the order of the checks."""
    parsed = parse_answer(draft.raw, len(draft.hits))
    failed = ["retrieval"] if draft.weak else []
    kind = kind_of(draft.question)
    checks: dict = {"strength": round(draft.strength, 4), "model_refused": parsed.refused,
                    "kind": kind}
    v, judge_ms = None, None
    if parsed.refused:
        failed.append("model")
    else:
        text = _in_shape(draft, parsed, kind, checks, failed, generator)
        v = _supported(draft, text, parsed, kind, checks, failed, config.min_support, audit)
        judge_ms = _weighed(draft, v, kind, checks, failed, config, generator, audit)
        _unjudged_no(checks, failed)
        _heading_echo(checks, failed)
    checks["failed"] = failed
    checks["refused_by"] = failed[0] if failed else None
    if audit and v is not None:
        checks["draft"] = v.text
    if parsed.refused and not draft.weak:
        return Decision(_refusal_text(parsed.text), True, (), checks, judge_ms)
    if failed:
        return Decision(REFUSAL, True, (), checks, judge_ms)
    return Decision(v.text, False, tuple(citations_for(v, draft.hits)), checks, judge_ms)


def echoed(draft: Draft, decision: Decision) -> bool:
    """Whether `decision` refused a draft made of nothing but the question's own words ("GPUs
    [1]" for "What are Nvidia's GPUs well-suited for?", "GPU [2]" for "What does GPU stand
    for?"): the rules for a short answer found no span to copy, which does not say that the
    passages hold no answer. Not for a yes-or-no or multiple-choice question, whose answers
    restate it by nature, nor where the model itself refused."""
    kind = decision.checks.get("kind")
    if (not decision.refused or kind in ("choice", "yes-no")
            or decision.checks.get("refused_by") not in ("echo", "support")):
        return False
    if decision.checks.get("heading") and decision.checks.get("refused_by") == "echo":
        return True
    parsed = parse_answer(draft.raw, len(draft.hits))
    return not parsed.refused and _echoes(unmarked(parsed.text), f"{draft.question} {draft.query}")


def decide_choice(scored: Scored, draft: Draft, config, audit: bool = False) -> Decision:
    """The decision on a multiple-choice question by its options' letters (rag.answer.options),
    which pick the option. Refused where retrieval was weak; where the model's written `draft`
    names none of the options ("option"): asked with the options in view, it names one for
    nearly every quiz question, and where it names another answer, none offered is right, which
    the letters do not tell; where no passage supports the option (the support check, which
    also finds its citation; an option's words may be written there in another form,
    `citations.held`); or where the option's probability among those offered is under
    `min_option` for four options (`option_bar` for another number: "choice"). The model's own
    refusal in the draft is no veto: the letters have their own bar."""
    failed = ["retrieval"] if draft.weak else []
    parsed = parse_answer(draft.raw, len(draft.hits))
    offered = list(scored.probabilities)
    named = None if parsed.refused else pick_option(unmarked(parsed.text), offered)
    checks: dict = {"strength": round(draft.strength, 4), "model_refused": parsed.refused,
                    "kind": "choice", "draft_option": named, "option": scored.option,
                    "option_p": round(scored.p, 4),
                    "options_p": {o: round(p, 4) for o, p in scored.probabilities.items()},
                    "none_p": round(scored.none, 4)}
    # Only a draft written with the options in view (a follow-up's rewrite may drop them).
    if not parsed.refused and named is None and offered_options(draft.query):
        failed.append("option")
    v = verify(scored.option, draft.hits, config.min_support, draft.query, loose=True)
    checks["dropped_sentences"] = len(v.dropped)
    if not v.cited:
        failed.append("support")
    bar = option_bar(config.min_option, len(offered))
    if bar != config.min_option:
        checks["option_bar"] = round(bar, 4)
    if scored.p < bar:
        failed.append("choice")
    checks["failed"] = failed
    checks["refused_by"] = failed[0] if failed else None
    if audit:  # what the ablation shows with the failed checks off (rag.evaluate.ablation)
        checks["draft"] = v.text if v.cited else scored.option
    if failed:
        return Decision(REFUSAL, True, (), checks)
    return Decision(v.text, False, tuple(citations_for(v, draft.hits)), checks)


def option_bar(min_option: float, offered: int) -> float:
    """The bar for the likeliest option's share where `offered` options are offered:
    `min_option` for four, the number a quiz offers and the bar was chosen on; for any other
    number, as far from an even share (1/n) toward certainty as `min_option` is for four: 0.67
    for two, 0.56 for three with the default 0.5. Two options share out between them what four
    would, so a bare half is no lean at all (docs/eval.md, "Options written with 'or'")."""
    if offered < 2 or offered == 4:  # four: the number it was chosen on, as set
        return min_option
    even = 1.0 / offered
    return even + (min_option - 0.25) / 0.75 * (1.0 - even)


def _refusal_text(text: str) -> str:
    """The model's own refusal as a person reads it: a bare "Yes" or "No" before it goes. The
    yes-or-no rules make the model open with a verdict even where it then finds nothing, and
    "No" above "The articles don't say." reads as an answer that is not there."""
    rest = re.sub(r"^\W*(?:yes|no)\b[\s.,:;!-]*", "", text, count=1, flags=re.IGNORECASE)
    return rest if rest != text and rest and is_refusal(rest) else text


def _in_shape(draft: Draft, parsed, kind: str, checks: dict, failed: list, generator) -> str:
    """The draft in the shape its kind asks for: a yes-or-no answer opening with its verdict,
    a bare figure as its passage spells it ("eight", `number_as_written`), a "whose" question's
    answer with its owner (`possessor`), a multiple-choice answer as the option it names
    (which, naming none, answers another question); any of them without a section heading it
    opens with (`fits.without_heading`)."""
    text = parsed.text
    if kind != "choice":
        text = fits.without_heading(text, [h.chunk.text for h in draft.hits])
    if kind == "yes-no":
        text = yes_no_sentence(text, lambda: lean(generator, draft.messages),
                               lambda fact: _fact_verdict(draft.question, fact, checks, generator))
    if kind == "fact":
        passages = [h.chunk.text for h in draft.hits]
        written = number_as_written(unmarked(text), passages)
        if written is not None:
            checks["as_written"] = written
            text = _marked(written, parsed.cited)
        owned = possessor(unmarked(text), passages) if asks_whose(draft.question) else None
        if owned is not None:
            checks["possessor"] = owned
            text = _marked(owned, parsed.cited)
    if kind == "choice":
        chosen = pick_option(unmarked(text), offered_options(draft.question))
        checks["option"] = chosen
        if chosen is None:
            failed.append("option")
        else:
            text = _marked(chosen, parsed.cited)
    return text


def _marked(span: str, cited: list[int]) -> str:
    """A span the draft's words were put in shape to, with the draft's markers after it."""
    return span + " " + "".join(f"[{n}]" for n in cited)


def _fact_verdict(question: str, fact: str, checks: dict, generator) -> str | None:
    """The verdict a "Yes" draft's own fact gives, read without the passages. The drafts open
    with "Yes" whatever the passages say, while the fact they give is mostly the passages' ("Did
    Drake bet on the 49ers?" drafted "Yes, Drake bet on the Chiefs"); read alone, the fact gives
    the verdict more often than the draft does (docs/eval.md). A "No" is not asked again: the
    drafts give it against their lean, and the fact's verdict leans to "Yes" too. A fact about
    another name than the question's is a "No" without asking (`other_subject`): read alone, the
    model still says "Yes" to it where a quote in it names the question's name too."""
    other = other_subject(question, unmarked(fact))
    if other is not None:
        checks["other_subject"] = other
        checks["fact_verdict"] = "No"
        return "No"
    implied = lean(generator, fact_messages(question, fact))
    if implied is not None:
        checks["fact_verdict"] = implied
    return implied


def _supported(draft: Draft, text: str, parsed, kind: str, checks: dict, failed: list,
               min_support: float, audit: bool) -> Verified | None:
    """The lexical checks: names or figures no passage holds come from the model's memory;
    sentences no passage supports are dropped, and a draft left with none is refused; an answer
    made only of the question's words answers nothing. The checked draft, or None."""
    sources = [draft.question, draft.query] + [f"{h.title} {h.date or ''} {h.chunk.text}"
                                               for h in draft.hits]
    checks["novel_terms"] = novel_terms(text, sources)
    if checks["novel_terms"]:
        failed.append("novel")
    if not (audit or not failed):
        return None
    v = verify(text, draft.hits, min_support, draft.query)
    checks["dropped_sentences"] = len(v.dropped)
    if not v.cited:
        failed.append("support")
        # An audit judges the unsupported draft all the same, so that the ablation table
        # (rag.evaluate.tradeoff) can say what the support check withholds.
        v = Verified(text, parsed.cited or [1], {}, [], 0) if audit else None
    if v is not None and kind not in ("choice", "yes-no") and _echoes(
            unmarked(v.text), f"{draft.question} {draft.query}"):
        checks["echo"] = True
        failed.append("echo")
    if v is not None and kind not in ("choice", "yes-no") and fits.is_heading(
            unmarked(v.text), [h.chunk.text for h in draft.hits]):
        checks["heading"] = True  # an echo only where it would be shown (`_heading_echo`)
    if v is not None and kind == "fact" and fits.no_place(
            unmarked(v.text), draft.question, [h.chunk.text for h in draft.hits]):
        checks["no_place"] = True
        failed.append("place")
    return v


def _weighed(draft: Draft, v: Verified | None, kind: str, checks: dict, failed: list, config,
             generator, audit: bool) -> float | None:
    """The model's certainty and the judge: each against its threshold, or (`decision =
    "score"`, where the certainty is known and the judge asks its usual questions) weighed
    together with the retrieval strength. Returns the judge's time in ms, where it was asked."""
    confidence = draft.confidence
    scored = config.decision == "score" and confidence is not None and config.judge in WEIGHTS
    if confidence is not None:
        checks["confidence"] = round(confidence, 4)
        if confidence < config.min_confidence and not scored:
            failed.append("unsure")
    # An answer whose every word the model gave at least `judge_below` is not judged (faster;
    # off by default: on the development samples it let wrong answers through, docs/eval.md,
    # "The refusal trade-off").
    below = config.judge_below
    sure = confidence is not None and below < 1.0 and confidence >= below
    if sure and v is not None and config.judge:
        checks["sure"] = True
    if v is None or not config.judge or not (audit or not (failed or sure)):
        return None
    t = time.perf_counter()
    p_yes = _judge(draft, v, checks, config, generator, audit or scored)
    judge_ms = round((time.perf_counter() - t) * 1000, 1)
    checks["judge_p_yes"] = round(p_yes, 4)
    passes = p_yes >= config.min_judge
    if scored:
        p = p_right(checks["judge_p_correct"], checks["judge_p_answers"], confidence,
                    draft.strength, kind in LONG_KINDS, config.judge)
        checks["p_right"] = round(p, 4)
        passes = p >= config.min_right
    checks["judge"] = "yes" if passes else "no"
    if checks["judge"] == "no" and not sure:
        failed.append("judge")
    return judge_ms


def _unjudged_no(checks: dict, failed: list) -> None:
    """A "No" whose fact is about another name (`other_subject`: "Did Sam Altman confirm the
    collaboration on Twitter?", answered "No, Michael Dell ... confirmed the collaboration on
    Twitter") stands without the judge, its fact checked against the passages as any answer's:
    the judge reads a "No" as a claim the text does not make, and refused such answers whose
    fact was right (docs/eval.md)."""
    if "judge" in failed and checks.get("other_subject"):
        failed.remove("judge")
        checks["unjudged"] = "a fact about another name"


def _heading_echo(checks: dict, failed: list) -> None:
    """A draft that is nothing but a section heading (`fits.is_heading`: "The Future of AI [1]")
    names a topic, not an answer: an echo, whose second look asks for sentences. Only where
    every other check passed it: one they refuse is refused all the same, and asking again would
    only cost time."""
    if checks.get("heading") and not failed:
        checks["echo"] = True
        failed.append("echo")


def _judge(draft: Draft, v: Verified, checks: dict, config, generator, both: bool) -> float:
    """The judge's verdict, P(yes): two questions, both to be answered yes. Is the answer
    correct according to the cited text, and does that text answer the question at all? With
    the thresholds the second is asked only if the first passes (always when `both`: an audit,
    or both weighed); their verdict is the lower P(yes)."""
    cited = [dated(draft.hits[n - 1]) for n in v.cited]
    if config.judge == 2:
        check = followup_messages(draft.messages, draft.raw, v.text)
    elif config.judge == 3:
        check = in_prompt_messages(draft.messages, v.text)
    else:
        check = judge_messages(draft.question, v.text, cited)
    p_yes = yes_probability(generator, check)
    if both or p_yes >= config.min_judge:
        checks["judge_p_correct"] = round(p_yes, 4)
        second = (in_prompt_answers_messages(draft.messages) if config.judge == 3
                  else answers_messages(draft.question, cited))
        p_answers = yes_probability(generator, second)
        checks["judge_p_answers"] = round(p_answers, 4)
        p_yes = min(p_yes, p_answers)
    return p_yes


def _echoes(answer: str, question: str) -> bool:
    """An answer made only of the question's words ("Nvidia" for "Who is the CEO of Nvidia?"),
    or of a name the question writes in its full form (rag.answer.fits), answers nothing, unless
    the question offers the choice: "formal or informal?", or a list of options ("(Options:
    Sudan; Israel; Egypt; Iran)", "Which of the following ...: A, B or C"), of which an answer
    picking one is an answer. (A yes-or-no question's answer restates it by nature: the caller
    does not ask.)"""
    if re.search(r"\bor\b", question, re.IGNORECASE) or offered_options(question):
        return False
    return content_words(answer) <= content_words(question) or fits.names_itself(answer, question)
