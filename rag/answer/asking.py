"""Asking: what a question may be (`validate_question`, `valid_k`), what kind of answer it asks
for, read from its wording alone (`kind_of`), and a draft answer put in that kind's shape
(`yes_no_sentence`, with `other_subject`; `possessor`), and whether it asks about the article as a
whole (`about_the_article`). The options a question offers are read in rag.answer.options.

- "choice": the question lists options to pick from ("(Options: Sudan; Israel; Egypt)", "A) Sudan
  B) Israel", "on Twitter or on Facebook?"); the answer is one of them, as the user wrote it
  (rag.answer.options).
- "yes-no": it opens with a verb ("Is", "Did", "Has" ...) and offers no "or", or it asks "True
  or false: ...", or it ends in a tag (", right?", ", isn't it?"): the answer is yes or no (true
  or false, for "True or false") with the fact that decides it.
- "explain": why, how (not how many, how much ...), explain, describe, what caused, a summary,
  who or what a bare name is ("Who is Michael Dell?"), "tell me about ...": one to three
  sentences.
- "list": "which companies", "name three", "list": every item the passages give.
- "fact": everything else (who, when, where, how many, what): a name, date, number or a few words.

The rule looks at the question's last sentence, the one that asks: a quiz question often opens
with a sentence of context ("A temple opened this week. Where is it?"); and at the question
inside a request ("Can you tell me who founded xAI?", "Could you explain why ...?": `unwrapped`),
which opens with a verb as a yes-or-no question does. A yes-or-no answer is
one sentence that opens with its verdict. Left out: questions in other languages than English
(they are "fact", the short answer, which still cites).
"""

from __future__ import annotations

import re
from typing import Callable

from rag.answer.options import offered_options, without_options
from rag.errors import QuestionError
from rag.text import ABBREVIATION, QUOTED, STOPWORDS, stem, words

KINDS = ("fact", "choice", "yes-no", "list", "explain")

_AUX = ("is are was were am do does did has have had can could will would should shall may might "
        "must isn't aren't wasn't weren't don't doesn't didn't hasn't haven't hadn't can't "
        "couldn't won't wouldn't shouldn't").split()
_HOW_MUCH = "many much long old far big large often tall high fast deep soon wide heavy".split()
_EXPLAIN = re.compile(r"^(?:why|explain|describe|in what ways?|what (?:caused|causes|led to|leads "
                      r"to|drove|prompted|is the reason|was the reason|are the reasons|were the "
                      r"reasons|reasons?|impact|effects?|happened))\b")
_LIST = re.compile(r"^(?:list|name (?:all|the|some|two|three|four|five|six)|(?:which|what) (?:two|"
                   r"three|four|five|six|seven|several)\b|what are (?:the |some )?(?:\w+ ){0,2}\w+s\b"
                   r"|what are (?:some of )?(?:\w+ ){0,2}\w+['’]s (?:\w+ ){0,2}\w+s$)")
# A word that opens a question: after "Plan B." it starts a new sentence all the same.
_ASKS = re.compile(r"(?:Who|Whom|Whose|What|When|Where|Why|How|Which|Is|Are|Was|Were|Do|Does|Did|"
                   r"Has|Have|Had|Can|Could|Will|Would|Should)\b")


def asking_part(question: str) -> str:
    """The sentence that asks: the last one with a question mark, options left out, and the
    question inside a request (`unwrapped`). A full stop after an initial or abbreviation
    (rag.text.ABBREVIATION: "Commission v. Edith Cresson", "George W. Bush", "the U.S.
    government") ends no sentence, unless a question opens after it."""
    q = without_options(question).strip(" ()")
    parts: list[str] = []
    for part in (p.strip() for p in re.split(r"(?<=[.?!])\s+", q)):
        if parts and ABBREVIATION.search(parts[-1]) and not _ASKS.match(part):
            parts[-1] += " " + part
        elif part:
            parts.append(part)
    asks = [p for p in parts if p.endswith("?")]
    return unwrapped((asks[-1] if asks else parts[-1] if parts else q).strip())


_WH_CLAUSE = r"(?=(?:why|how|what|which|who|whom|whose|when|where)\b)"
# A question asked as a request: "Can you tell me who founded xAI?", "Do you know when it was
# published?", "Does the article say who the CEO is?", "I'd like to know why ...". It opens
# with a verb as a yes-or-no question does, but asks the question inside it.
_ASKS_INSIDE = re.compile(
    r"^(?:please,?\s+)?(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?(?:tell|show)\s+(?:me|us)"
    r"|(?:do|does|did)\s+(?:you|the\s+(?:articles?|passages?|text|story|stories|sources?))\s+"
    r"(?:know|say|tell|mention|state|show|explain)(?:\s+(?:me|us))?"
    r"|i(?:'d|\s+would)\s+like\s+to\s+know|i\s+(?:want|need)\s+to\s+know|i\s+wonder"
    r"|(?:please\s+)?tell\s+(?:me|us))\s+" + _WH_CLAUSE, re.IGNORECASE)
# "Can you explain why ...?", "Could you list the ...?", "Please describe ...": the request's
# own verb says the kind of answer.
_ASKS_FOR = re.compile(r"^(?:please,?\s+)?(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?)?"
                       r"(?=(?:explain|describe|list|name|summari[sz]e)\b)", re.IGNORECASE)
# "Tell me about Grok.", "Can you tell me more about xAI?": a description.
_ABOUT = re.compile(r"^(?:please,?\s+)?(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?)?"
                    r"tell\s+(?:me|us)\s+(?:(?:a\s+bit|a\s+little|more|something)\s+)?about\s+",
                    re.IGNORECASE)


def unwrapped(asked: str) -> str:
    """The question a request asks ("Can you tell me who founded xAI?" asks "who founded
    xAI?"; "Could you explain why ...?" asks "explain why ...?"; "Tell me about Grok." asks
    "describe Grok."), or the sentence as it is. "Do you know if ...?" and "Does the article
    say that ...?" stay as they are: yes-or-no questions."""
    if _ABOUT.match(asked):
        return "describe " + _ABOUT.sub("", asked, count=1)
    m = _ASKS_INSIDE.match(asked) or _ASKS_FOR.match(asked)
    return asked[m.end():] if m else asked


# "True or false: Dell builds the racks.", "Dell builds the racks, right?": a statement to
# confirm, asked without the verb that opens a yes-or-no question.
_TRUE_OR_FALSE = re.compile(r"\s*true\s+or\s+false\b", re.IGNORECASE)
_TAG = re.compile(r",\s*(?:right|correct|true|(?:is|are|was|were|do|does|did|has|have|had|can|"
                  r"could|will|would|should)n['’]?t\s+\w+)\s*\?\s*$", re.IGNORECASE)


def true_or_false(question: str) -> bool:
    """Whether the question asks "True or false: ...", whose verdict is true or false."""
    return bool(_TRUE_OR_FALSE.match(question))


def _to_confirm(question: str) -> bool:
    """Whether the question is a statement to confirm ("True or false: ...", "..., right?")."""
    return true_or_false(question) or bool(_TAG.search(question))


# Not "may" or "might": "Theresa May is ..." would be split at a name.
_CONFIRM_AUX = r"is|are|was|were|will|would|can|could|has|have|had|should"
# The statement a "True or false" or a tag question asks to confirm, split at its first verb:
# "Elon Musk | is | the CEO of Dell".
_STATEMENT = re.compile(rf"(?P<subject>\S+(?:\s+\S+){{0,6}}?)\s+(?P<aux>{_CONFIRM_AUX})\s+"
                        r"(?P<rest>.+)", re.IGNORECASE)


def as_question(question: str) -> str | None:
    """A statement to confirm as the yes-or-no question it asks, for the rules that read one
    ("True or false: Elon Musk is the CEO of Dell." is "Is Elon Musk the CEO of Dell?", "Grok is
    made by xAI, right?" is "Is Grok made by xAI?"; with no such verb, "Is it true that ...?");
    None for any other question."""
    if not _to_confirm(question):
        return None
    said = _TAG.sub("", _TRUE_OR_FALSE.sub("", question, count=1)).strip(" \t\n:?,.-–—")
    if not said:
        return None
    m = _STATEMENT.fullmatch(said)
    if not m:
        return f"Is it true that {said}?"
    subject = m.group("subject")
    if subject.split()[0] in ("The", "A", "An", "This", "That", "These", "Those", "Its"):
        subject = subject[0].lower() + subject[1:]
    return f"{m.group('aux').capitalize()} {subject} {m.group('rest')}?"


def in_true_or_false(text: str) -> str:
    """A yes-or-no answer's verdict as "True or false" asks for it: "Yes, ..." is "True, ..."."""
    return re.sub(r"^(\W*)(yes|no)\b", lambda m: m.group(1) + (
        "True" if m.group(2).lower() == "yes" else "False"), text, count=1, flags=re.IGNORECASE)


def kind_of(question: str) -> str:
    """One of KINDS (see the module docstring)."""
    if _to_confirm(question):
        return "yes-no"
    if offered_options(question):
        return "choice"
    asked = asking_part(question).replace("’", "'")
    asked = re.sub(r"\b(what|who)'s\b", r"\1 is", asked, flags=re.IGNORECASE)  # "What's Grok?"
    if (_SUMMARY.search(asked) or _DEFINE.match(asked) or _DEFINE_BARE.match(asked)
            or _DESCRIBE.match(asked) or _BARE_NAME.match(asked) or _TWO_QUESTIONS.match(asked)):
        # a summary, who or what a name is, a description, two questions in one: a few sentences
        return "explain"
    q = asked.lower().rstrip("?")
    # "According to X, why ...", "In Ford's report, were ...": the question starts after a
    # leading phrase.
    starts = [q] + [q.split(",", 1)[1].strip()] if "," in q else [q]
    for part in starts:
        words = part.split()
        if words and words[0] in _AUX:
            # "Is it Dell or Nvidia?" asks which; "Is it true or not?" asks yes or no
            return "fact" if re.search(r"\bor\b(?! (?:not|no|false)\b)", part) else "yes-no"
    words = re.findall(r"[a-z0-9'-]+", q)
    wh = next((i for i, w in enumerate(words) if w in _WH), None)
    if wh is None:
        return "list" if _LIST.search(q) else "fact"
    rest = " ".join(words[wh:])
    if _EXPLAIN.search(rest):
        return "explain"
    if words[wh] == "how" and (wh + 1 >= len(words) or words[wh + 1] not in _HOW_MUCH):
        return "explain"
    # Only a question that opens with its wh-phrase can have a verb right after it: in
    # "Saudi Arabia restrained what groups?" the phrase is an object.
    opens = wh == 0 or words[wh - 1] in _STOP_HEAD or f", {words[wh]} " in q
    names = _cased_after(question) if opens else None
    if _LIST.search(rest) or (words[wh] in ("which", "what")
                              and _plural_head(words[wh + 1:], names)):
        return "list"
    return "fact"


# "Who is Michael Dell?", "What is xAI?": who or what a bare name is. The short answer rules
# answer it with the name itself ("Michael Dell [1]"), which the echo check refuses.
_NAMED = r"(?:[A-Z]|[a-z]+[A-Z])[\w&.'\-]*(?:\s+(?:[A-Z][\w&.'\-]*|of|and|de))*"
# "Who is Nvidia's CEO?" asks for a person in a role, not who a name is: a possessive after
# "who" makes it a fact question ("What is Dell's AI Factory?" still asks what a name is).
_DEFINE = re.compile(rf"(?:(?i:what)|(?i:who)(?!.*\w['’]s\s)) (?:(?i:is|are|was|were) {_NAMED}\s*"
                     rf"\??|{_NAMED} (?i:is|are|was|were)\s*[.?]?)$")
# "what is grok", typed without capitals: a word or two after "is", no article, pronoun,
# question word, possessive or participle among them (those ask for a fact: "What is the CEO's
# name?", "Who is he?", "What is colonialism's antithesis?", "What is required?").
_NOT_DEFINED = "|".join(("the a an this that these those it its he she they him her them his their "
                         "there here you your my our we us i me one what which who whom whose when "
                         "where why how not no so").split())
_BARE_WORD = rf"(?!(?:{_NOT_DEFINED})\b)[a-z][\w&.\-]*(?<!ed)"
_DEFINE_BARE = re.compile(rf"(?i:who|what) (?i:is|are|was|were) {_BARE_WORD}(?: {_BARE_WORD})?"
                          r"\s*\??$")
# "Grok?", "Michael Dell?": a name alone asks what it is.
_BARE_NAME = re.compile(r"(?!(?i:who|whom|whose|what|when|where|why|how|which|is|are|was|were|do|"
                        r"does|did|has|have|had|can|could|will|would|should|may|might)\b)"
                        rf"(?=(?:\S+\s+){{0,3}}\S+$){_NAMED}\s*\?$")
# "Who founded xAI and what is Grok?": a short answer would answer the first question alone.
# Not "... T-cells and what species?", one question whose answer fills the blank.
_TWO_QUESTIONS = re.compile(r"^(?:who|what|when|where|why|how|which)\b.*\w\s+and\s+"
                            r"(?:who|what|when|where|why|how)(?:\s+\w|\s*\?$)", re.IGNORECASE)
# "Explain how ...", "Describe Grok." ("Tell me about Grok.", `unwrapped`).
_DESCRIBE = re.compile(r"(?i:explain|describe)\b")


def _cased_after(question: str) -> set[str]:
    """The asking sentence's words written with a capital where they do not open it: names."""
    asked = asking_part(question).replace("’", "'")
    return {w.lower() for w in re.findall(r"(?<=\s)[A-Z][\w'-]*", asked)}


_WH = frozenset("why how what which who whom whose when where".split())
_STOP_HEAD = frozenset("of in for to on at by with from about as than that whose".split())


def _plural_head(words: list[str], names: set[str] | None = None) -> bool:
    """Whether the noun phrase after "which"/"what" holds a plural noun ("which major US
    airlines fly ...", "which six places"): its first three words, up to a preposition or a
    verb. Where the question opens with the phrase (`names` given: the words it writes with a
    capital, which a verb may take as its object), a word in "-s" that what follows it shows to
    be a verb ends the phrase: "which company makes ChatGPT", "what happens to the plugs",
    "what meets every month"."""
    for i, w in enumerate(words[:3]):
        if w in _STOP_HEAD or w in _AUX or w.endswith("ed"):
            return False
        if _plural(w):
            after = words[i + 1] if i + 1 < len(words) else ""
            return not (names is not None and after
                        and (after in _VERB_OBJECT or after in names or after[0].isdigit()))
    return False


# Words that follow a verb, not a plural noun: "makes the", "happens to", "meets every".
_VERB_OBJECT = frozenset("the a an to that every each its his her their this these those it "
                         "them him if when after before up out into".split())


def _plural(word: str) -> bool:
    w = word.strip(",.?")
    return (len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is", "'s"))
            and w not in ("news", "does", "was", "has", "this", "its", "series", "species"))


# Words that open a sentence only because it starts there: lower-cased after "Yes, " or "No, ".
_PLAIN_OPENERS = frozenset("The It Its This That These There They He She According In A An As "
                           "On At By".split())
# "The articles say X", "According to the articles, X", "The passage confirms that X": the
# clause X is the fact. "The articles confirm the collaboration ..." names no clause: the words
# after such a verb are its object, and they stay with it. In "the article [1] states that" the
# marker goes with the words (the citation check cites the sentence again from the passage that
# supports it, rag.answer.citations.verify).
_SAYS = re.compile(r"^(?:the |this |according to the )?(?:articles?|passages?|text)(?:\s*\[\d+\])*"
                   r"(?:,\s*|\s+(?:says?|states?):?\s+(?:that\s+)?|\s+(?:mentions?|shows?|"
                   r"reports?|confirms?|indicates?|suggests?)\s+that\s+)", re.IGNORECASE)


def yes_no_sentence(text: str, lean: Callable[[], str | None],
                    recheck: Callable[[str], str | None] | None = None) -> str:
    """A yes-or-no answer as one sentence that opens with its verdict: "Yes. It was ..."
    becomes "Yes, it was ...", and one that does not say it ("The articles say that ...")
    gets the verdict `lean()` gives ("Yes" or "No": the one the model itself leans to); where
    `lean()` gives None the answer stays as written. A "Yes" with a fact after it takes the
    verdict `recheck(fact)` gives, where it gives one (rag.answer.refusal: the fact's own)."""
    said = re.match(r"\W*(yes|no)\b[\s.,:;!-]*(.*)", text, re.IGNORECASE | re.DOTALL)
    if said:  # "Yes." as a sentence of its own would be dropped with no words to check
        word, text = said.group(1).capitalize(), said.group(2).strip()
    else:
        word = lean()
        if word is None:
            return text
    text = _SAYS.sub("", text, count=1)  # "Yes, the articles say that X" says "Yes, X"
    first = re.match(r"\W*(\w+)", text)
    if first and first.group(1) in _PLAIN_OPENERS:
        text = text[0].lower() + text[1:]
    if word == "Yes" and text and recheck is not None:
        word = recheck(text) or word
    return f"{word}, {text}" if text else word


# A name as a question or an answer writes it: capitalised words (or figures), with the small
# words a name may hold between them ("Bank of America", "Ludwig van Beethoven").
_NAME = (r"(?:[A-Z][\w&.\-]*|\d[\w\-]*)(?:\s+(?:[A-Z][\w&.\-]*|\d[\w\-]*|(?:of|and|de|van|von|"
         r"der|la|le)\b(?=\s+[A-Z])))*")
_ASKED_NAME = re.compile(rf"(?:[^,]*,\s*)?((?i:{'|'.join(_AUX)}))\s+({_NAME})(?!'s)"
                         r"\s+(.*)")
_FACT_NAME = re.compile(rf"[\"“]?({_NAME})(?![\w'])")
_NAME_GLUE = frozenset("the of and de van von der la le".split())


def other_subject(question: str, fact: str) -> str | None:
    """The name a "Yes" draft's fact opens with where the question asks the same thing of another
    name: "Did Elon Musk confirm the collaboration on Twitter?" drafted "Yes, Michael Dell ...
    confirmed the collaboration" gives "Michael Dell", and the answer is "No" (a swapped name is
    the commonest near-miss a yes-or-no question makes, and the drafts say "Yes" to it).

    Only where nothing suggests the two are one: the names share no word, the fact's name is not
    in the question whole (a word of it may be: "Michael Dell, CEO of Dell Technologies, ..."
    answers "Is Elon Musk the CEO of Dell Technologies?"), the question's name is nowhere in the
    fact outside its quotes ("Biden, the US president, signed" answers "Did the US president
    sign?"), and the question's next word, its verb or noun, is in the fact ("confirm" in
    "confirmed"), so that the fact is about the same act. None otherwise, for a name written
    with "'s" ("Musk's startup"), and for one after "the", which an institution's other names
    take too ("the GOP", "the Republican Party")."""
    asked = _ASKED_NAME.match(asking_part(question).replace("’", "'"))
    said = _FACT_NAME.match(fact.replace("’", "'"))
    if not asked or not said or said.group(1).split()[0] in _PLAIN_OPENERS:
        return None
    name, rest = asked.group(2), asked.group(3)
    theirs, ours = _name_words(said.group(1)), _name_words(name)
    outside = set(words(QUOTED.sub(" ", fact)))
    if not theirs or theirs & ours or theirs <= set(words(question)) or ours & outside:
        return None
    act = next((w for w in words(rest) if w not in STOPWORDS), None)
    if act is None or not set(stem([act])) & set(stem(words(fact))):
        return None
    return said.group(1)


def asked_subject(question: str) -> tuple[str, str, str] | None:
    """A yes-or-no question that opens with a name, in three: its verb, the name and the rest.
    "Is Tesla developing Grok?" gives ("Is", "Tesla", "developing Grok?"). None for a question
    that opens otherwise, or with a name written with "'s" ("Is Musk's startup ...?")."""
    asked = _ASKED_NAME.match(asking_part(question).replace("’", "'"))
    return (asked.group(1), asked.group(2), asked.group(3)) if asked else None


def _name_words(name: str) -> set[str]:
    return set(words(name)) - _NAME_GLUE


# A question about an article as a whole: its summary, or what it is about.
_WRITING = r"(?:article|story|text|document|piece|post|report|page|file)s?"
_SUMMARY = re.compile(rf"\b(?:summari[sz]e|summary|overview|tl;?dr|gist|(?:main|key) (?:points?|"
                      rf"ideas?|takeaways?|facts?)|what(?:'s| is) (?:it|this|that) about|what "
                      rf"(?:is|are) (?:this|these|the) {_WRITING} about|what do(?:es)? "
                      rf"(?:this|these|the) {_WRITING} (?:say|cover|discuss))\b", re.IGNORECASE)
_THE_ARTICLE = re.compile(rf"\b(?:this|these|the|that) {_WRITING}\b", re.IGNORECASE)
_PUBLISHED = re.compile(r"\bwhen (?:was (?:it|this|that)|(?:it|this|that) was) "
                        r"(?:published|written)\b", re.IGNORECASE)
# Words a question about the article as a whole asks with, which name no topic in it. Its
# summary, or what the index knows of it (its date, title, source); not its author, which the
# index does not hold and a model would guess from the names in it.
_ABOUT_ARTICLE = frozenset("""article story text document piece post report page file articles
    stories texts documents pieces posts reports pages files
    summarize summarise summary overview tldr tl dr gist main key point points idea ideas
    takeaway takeaways fact facts say says cover covers discuss discusses published publish
    date dated title called named source give tell please briefly short sentence sentences few
    two three brief quick what when which me us can could would you it one""".split())


def about_the_article(question: str) -> str | None:
    """"summary" where the question asks for an article's summary or what it is about ("What is
    this article about?", "Summarize the article."), "whole" where it asks something else of
    "the article" itself ("When was the article published?"), None otherwise: where it also
    names a topic ("Summarize what the article says about Grok") the topic is searched as
    usual. Such a question shares no words with any passage, so a search finds nothing close
    enough; the pipeline answers it from the article itself where the index holds one."""
    asked = asking_part(question).replace("’", "'")
    summary = bool(_SUMMARY.search(asked))
    if not (summary or _THE_ARTICLE.search(asked) or _PUBLISHED.search(asked)):
        return None
    topic = [w for w in words(asked) if w not in STOPWORDS and w not in _ABOUT_ARTICLE]
    if topic:
        return None
    return "summary" if summary else "whole"


def asks_whose(question: str) -> bool:
    """Whether the question asks whose something is: "Whose startup is developing Grok?"."""
    return bool(re.match(r"(?:[^,]*,\s*)?whose\b", asking_part(question), re.IGNORECASE))


_POSSESSOR = r"((?:[A-Z][\w&.\-]*\s+){0,3}[A-Z][\w&.\-]*)['’]s\s+"


def possessor(answer: str, passages: list[str]) -> str | None:
    """A "whose" question's short answer with its owner, where a passage writes the answer right
    after a name's "'s": "xAI" becomes "Elon Musk (xAI)" ("Elon Musk’s xAI startup"). The drafts
    answer "Whose startup ...?" with the startup; the owner is the answer, and the thing owned,
    after it, shows the passage it comes from. None where the answer is no short span, already
    has an owner, or no passage, or more than one owner, is found."""
    span = answer.strip().rstrip(".")
    if not span or len(span.split()) > 6 or re.search(r"['’]s\b", span):
        return None
    owners = {m.group(1) for text in passages
              for m in re.finditer(_POSSESSOR + re.escape(span) + r"(?!\w)", text)}
    owners = {o for o in owners if o.split()[0] not in _PLAIN_OPENERS}
    return f"{owners.pop()} ({span})" if len(owners) == 1 else None


MAX_QUESTION_CHARS = 2000


def validate_question(question) -> str:
    """The question, stripped, if it is text a model can read: Unicode, not empty, not longer
    than MAX_QUESTION_CHARS; else a QuestionError that says what to fix."""
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


def valid_k(k) -> int:
    """`k`, the passages put in the prompt, if it is a whole number from 1 to 50."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 50:
        raise QuestionError(f"k must be a whole number from 1 to 50, not {repr(k)[:40]}")
    return k
