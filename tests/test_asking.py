"""The kind of answer a question asks for (rag.answer.asking) and how an answer is scored for each
kind (rag.evaluate.metrics.is_right), by hand."""

from __future__ import annotations

import pytest

from rag.answer.asking import asking_part, kind_of
from rag.answer.options import offered_options, pick_option, without_options
from rag.answer.prompt import EXPLAIN, LIST, SHORT, YES_NO, build_messages, style_for
from rag.evaluate.metrics import is_right, outcomes
from rag.evaluate.questions import EvalQuestion


@pytest.mark.parametrize("question, kind", [
    ("Which country was attacked this week? (Options: Sudan; Israel; Egypt; Iran)", "choice"),
    ("Is Grok being developed by OpenAI?", "yes-no"),
    ("Did Dell's shares rise after the announcement?", "yes-no"),
    ("Is the tone formal or informal?", "fact"),  # offers the choice: a short answer
    ("Why is Dell's involvement important for the AI factory?", "explain"),
    ("How does the new law change rents?", "explain"),
    ("What caused the outage at the airport?", "explain"),
    ("How many GPUs does the factory use?", "fact"),
    ("How much did the deal cost?", "fact"),
    ("Which companies are building the AI factory?", "list"),
    ("Name three countries that joined the pact.", "list"),
    ("What are the main risks of the plan?", "list"),
    # a plural after an owner's name: "Tesla [1]" was the whole answer to the first
    ("What are Elon Musk's other ventures?", "list"),
    ("What are some of Dell's products?", "list"),
    ("What are Nvidia's GPUs well-suited for?", "fact"),  # the plural is no head here
    ("Who founded xAI?", "fact"),
    ("When will the factory open?", "fact"),
    # who or what a bare name is: a sentence, not the name again
    ("Who is Michael Dell?", "explain"), ("What is xAI?", "explain"),
    # a person in a role, not who a name is: "Nvidia's CEO is Elon Musk [1]." was shown
    ("Who is Nvidia's CEO?", "fact"), ("Who is Conan O'Brien?", "explain"),
    ("Who is the CEO of Dell?", "fact"), ("What is the CJEU's duty?", "fact"),
    ("Who is he?", "fact"),
    ("Which startup is developing Grok?", "fact"),
    ("What news outlet broke the story?", "fact"),
    # a word in "-s" that takes an object is a verb, not a plural noun
    ("Which company makes ChatGPT, according to the article?", "fact"),
    ("What happens to the lead plugs if the water level drops?", "fact"),
    ("Which treaty provides that the law applies to all territories?", "fact"),
    ("What meets every 3 months?", "fact"),
    ("Which major US airlines fly the Boeing 737 Max?", "list"),
    ("Which countries did the migrants come from?", "list"),
    # the phrase as an object, not at the front: its plural noun stays a noun
    ("Saudi Arabia played a role in restraining what groups?", "list"),
    ("Which industries could these AI developments transform?", "list"),
    # the asking sentence decides, not the context before it
    ("A massive temple opened this week. Where is the temple?", "fact"),
    ("The court ruled on Friday. Why did it rule against the company?", "explain"),
    # a question asked as a request is the question inside it, not a yes-or-no one
    ("Can you tell me who founded xAI?", "fact"), ("Do you know when it opened?", "fact"),
    ("Could you explain why Nvidia's value surged?", "explain"),
    ("Can you list the industries it could transform?", "list"),
    ("Does the article say how much the factory costs?", "fact"),
    ("I'd like to know where Michael Dell confirmed it.", "fact"),
    ("Tell me about Grok.", "explain"), ("Can you tell me more about xAI?", "explain"),
    ("Please tell me what Grok is.", "explain"), ("Do you know who Michael Dell is?", "explain"),
    ("Describe the collaboration.", "explain"),
    ("What's Grok?", "explain"), ("Who's Michael Dell?", "explain"),
    ("For what reason did Nvidia's value surge?", "explain"), ("Who's won the most?", "fact"),
    # typed without capitals: a word or two after "is" ask what they are ...
    ("what is grok", "explain"), ("who is michael dell", "explain"),
    ("What is packet switching?", "explain"),
    # ... but not a pronoun, an article, a possessive or a participle
    ("what is it", "fact"), ("What is required?", "fact"), ("what is the ceo", "fact"),
    ("What is colonialism's antithesis?", "fact"),
    # ... while a request whose question is yes or no stays one
    ("Do you know if Dell is involved?", "yes-no"), ("Can Grok generate images?", "yes-no"),
    ("Does the article say that Dell is involved?", "yes-no"),
    ("Is it true that Dell will supply server racks?", "yes-no"),
    # a name alone asks what it is; two questions in one ask for sentences
    ("Grok?", "explain"),
    ("Michael Dell?", "explain"),
    ("Who founded xAI and what is Grok?", "explain"),
    ("When was the collaboration announced and where?", "explain"),
    ("Hormones released during sleep support T-cells and what species?", "fact"),
    ("What is the role of Dell and Nvidia?", "fact"),
    # a question word alone, or a question in title case, is no name
    ("When?", "fact"),
    ("How Many?", "fact"),
    ("Is It True?", "yes-no"),
    ("Who Won The Election?", "fact"),
    # a sentence that ends in an initial or abbreviation before the question
    ("They mentioned Plan B. Is it working?", "yes-no"),
    ("They met at the U.S. Did it vote?", "yes-no"),
])
def test_kind_of(question, kind):
    assert kind_of(question) == kind


def test_asking_part_leaves_out_context_and_options():
    q = "A storm hit Britain. What was it called? (Options: Hank; Henk)"
    assert asking_part(q) == "What was it called?"
    assert offered_options(q) == ["Hank", "Henk"]


@pytest.mark.parametrize("question, part, kind", [
    ("Did the court rule in Commission v. Edith Cresson that she broke any laws?", None,
     "yes-no"),
    ("What office was held by George W. Bush?", None, "fact"),
    ("When was St. John's Cathedral built?", None, "fact"),
    ("Why did he leave the U.S. Army?", None, "explain"),
    ("J. A. Hobson wanted which races to develop the world?", None, "list"),
    ("Grok is new. Is it public?", "Is it public?", "yes-no"),
])
def test_an_initial_or_abbreviation_does_not_end_the_question(question, part, kind):
    """"v.", "W.", "St." and "U.S." end no sentence: the question read from there on ("Edith
    Cresson broke any laws?") was of the wrong kind."""
    assert asking_part(question) == (part or question) and kind_of(question) == kind


@pytest.mark.parametrize("answer, picked", [
    ("Luke Humphries [1]", "Luke Humphries"),
    ("The winner was Humphries.", "Luke Humphries"),
    ("Queen Margrethe II of Denmark", "Denmark's Queen Margrethe II"),
    ("Oppenheimer [2]", '"Oppenheimer"'),
    ("Roger Federer", None),  # names no option
])
def test_pick_option(answer, picked):
    options = offered_options('Who won? (Options: Luke Humphries; Michael van Gerwen; '
                              'Denmark\'s Queen Margrethe II; "Oppenheimer")')
    assert options[-1] == "Oppenheimer"  # quotes around an option are not part of it
    assert pick_option(answer, options) == (picked.strip('"') if picked else None)


def test_an_option_keeps_the_quotes_inside_it():
    # "“Mona Lisa” by Leonardo da Vinci" was shown as "Mona Lisa” by Leonardo da Vinci [1]"
    assert offered_options("Which was it? (Options: “The Scream” by Edvard Munch; “Mona Lisa” by "
                           "Leonardo da Vinci; “Guernica”)") == [
        "“The Scream” by Edvard Munch", "“Mona Lisa” by Leonardo da Vinci", "Guernica"]


def test_auto_style_follows_the_kind():
    assert style_for("auto", "Why did it close?") == "explain"
    assert style_for("short", "Why did it close?") == "short"
    rules = {"Is it open?": YES_NO, "Which of them? (Options: a b; c d)": SHORT,
             "Which companies are partners?": LIST, "How does it work?": EXPLAIN,
             "Who runs it?": SHORT}
    for question, system in rules.items():
        assert build_messages(question, [], 0, "auto")[0]["content"] == system


def _q(answers, items=(), kind=""):
    return EvalQuestion("x", "q?", tuple(answers), items=tuple(items), kind=kind)


def test_is_right_by_kind():
    yes, no = _q(["Yes"]), _q(["No"])
    assert is_right("No, it is developed by xAI [1].", no)
    assert not is_right("Yes, although no rival was named [1].", no)  # "no" further on
    assert is_right("Yes, it was [2].", yes) and not is_right("It was not.", yes)
    false = _q(["False"])
    assert is_right("False, it is developed by xAI [1].", false)
    assert not is_right("True, although false reports spread [1].", false)
    listed = _q(["Dell and Nvidia"], items=["Dell", "Nvidia"])
    assert is_right("Dell [1], Nvidia [1]", listed)
    assert not is_right("Dell [1]", listed)  # every item is needed
    assert is_right("Michael Dell [1]", _q(["Michael Dell"]))


def test_outcomes_count_by_kind():
    qs = [_q(["Yes"], kind="yes-no"), _q(["Paris"], kind="fact"), _q([], kind="fact"),
          _q(["x"], kind="fact")]
    recs = [{"refused": False, "metrics": {"contains": True}},
            {"refused": False, "metrics": {"contains": False}},
            {"refused": True, "metrics": {}}, {"refused": True, "metrics": {}}]
    o = outcomes(qs, recs)
    assert o["all"] == {"right": 1, "wrong": 1, "refused": 1, "unanswerable_refused": 1,
                        "unanswerable_answered": 0}
    assert o["by_kind"]["fact"]["wrong"] == 1 and o["by_kind"]["yes-no"]["right"] == 1


class _Leaning:
    """A generator that only says how likely each first word is: it leans to `word`."""

    def __init__(self, word):
        self.word, self.asked = word, []

    def word_probabilities(self, messages, words):
        self.asked.append(words)
        return {w: 0.9 if w == self.word else 0.1 for w in words}


def _shaped_by(generator):
    """A yes-or-no draft put in shape, leaning as `generator` does (rag.answer.judge.lean)."""
    from rag.answer.asking import yes_no_sentence
    from rag.answer.judge import lean

    return lambda text: yes_no_sentence(text, lambda: lean(generator, []))


def test_yes_or_no_is_added_from_the_model_s_own_lean():
    no = _Leaning("No")
    shaped = _shaped_by(no)
    assert shaped("The article says Grok is made by xAI [1].") == "No, Grok is made by xAI [1]."
    assert no.asked == [["Yes", "No"]]
    assert shaped("Yes, it is [1].") == "Yes, it is [1]."  # already says it
    assert shaped("Yes, the articles say that Musk visited it [1].") == "Yes, Musk visited it [1]."
    assert shaped("Yes, the article [2] states that Musk visited it.") == "Yes, Musk visited it."
    assert shaped("Yes, the articles say: Musk visited it [1].") == "Yes, Musk visited it [1]."
    assert shaped("Yes, the passage confirms that Dell will [1].") == "Yes, Dell will [1]."
    # "confirm" with an object and no clause: the words after it are no sentence of their own
    assert shaped("Yes The articles confirm the collaboration on Twitter [1].") == \
        "Yes, the articles confirm the collaboration on Twitter [1]."
    assert shaped("No.\n\nThe article names xAI [1].") == \
        "No, the article names xAI [1]."  # one sentence, so that the verdict is kept
    assert _shaped_by(_Leaning("Yes"))("Denmark's queen did [1].") == \
        "Yes, Denmark's queen did [1]."  # a name keeps its capital
    assert len(no.asked) == 1


@pytest.mark.parametrize("question,options", [
    ("Which country was attacked? (Options: Sudan; Israel; Egypt; Iran)",
     ["Sudan", "Israel", "Egypt", "Iran"]),
    ("Who won? Options: Rob Cross, Luke Humphries, Scott Williams",
     ["Rob Cross", "Luke Humphries", "Scott Williams"]),
    ("Which company makes Grok? Choices - xAI / OpenAI", ["xAI", "OpenAI"]),
    # an option may hold a weaker separator than the list's own
    ("Who landed a podcast deal? (Options: William, Prince of Wales; Meghan, Duchess of Sussex)",
     ["William, Prince of Wales", "Meghan, Duchess of Sussex"]),
    ("How many? (Options: 6,000, 6 million, 450)", ["6,000", "6 million", "450"]),
    ("Who is the CEO of Dell Technologies?", []),
    ("What options does the plan give employees?", []),
    # after letters: on one line, on lines of their own, in brackets, lower case
    ("Which country was attacked? A) Sudan B) Israel C) Egypt", ["Sudan", "Israel", "Egypt"]),
    ("Who won?\nA. Rob Cross\nB. Luke Humphries\n", ["Rob Cross", "Luke Humphries"]),
    ("Which company makes Grok? (a) xAI (b) OpenAI", ["xAI", "OpenAI"]),
    ("Which did the U.S. ban? a: TikTok, b: WeChat.", ["TikTok", "WeChat"]),
    # initials, and parts named by letters, are no letters of options
    ("J. A. Hobson wanted which races to develop the world?", []),
    ("What did A. B. Smith propose?", []),
    ("What did J. A. Hobson and B. Smith write?", []),
    ("What do parts A. and B. of the law say?", []),
])
def test_the_options_a_question_offers_are_read(question, options):
    assert offered_options(question) == options
    if options:
        assert kind_of(question) == "choice" and not any(o in without_options(question)
                                                         for o in options)


def test_a_fact_about_another_name_than_the_question_s_is_told_apart():
    """`other_subject`: the name a "Yes" draft's fact opens with where the question asks the same
    act of another name; None wherever the two may be one (a shared word, an alias the fact
    gives, a possessive, "the"), or the fact is about another act."""
    from rag.answer.asking import other_subject

    q = "Did Elon Musk confirm the collaboration on Twitter?"
    dell = "Michael Dell, CEO of Dell Technologies, confirmed the collaboration on Twitter"
    assert other_subject(q, dell) == "Michael Dell"
    # a quote naming the question's name does not make the fact about it
    assert other_subject(q, dell + ', stating, "a Dell AI factory to power Grok for Elon Musk."') \
        == "Michael Dell"
    assert other_subject("Will Nvidia provide the server racks for the AI factory?",
                         "Dell Technologies will be providing server racks [1]") == \
        "Dell Technologies"
    assert other_subject("Did Luke Humphries beat Raymond van Barneveld in the final?",
                         "Littler beat Raymond van Barneveld in the final [2]") == "Littler"
    assert other_subject("According to the article, did Sam Altman confirm it?",
                         "Michael Dell confirmed it [1]") == "Michael Dell"
    # the same name, or part of it
    assert other_subject("Did Michael Dell confirm the collaboration on Twitter?", dell) is None
    assert other_subject("Did Prince Harry travel to London?", "Harry arrived in London") is None
    assert other_subject(q, '"Michael Dell confirmed" it, Elon Musk said') is None
    # a word of the fact's name in the question is not the name: "Dell" of "Dell Technologies"
    assert other_subject("Is Elon Musk the CEO of Dell Technologies?", dell) == "Michael Dell"
    # the fact's name is in the question whole, as its object
    assert other_subject("Is Joe Biden meeting Donald Trump?",
                         "Donald Trump is meeting the president") is None
    # the fact's name is in the question: "X owner Elon Musk" for "Is X helping ...?"
    assert other_subject("Is X helping to pay for the lawsuit against Disney?",
                         "X owner Elon Musk shared her post") is None
    # an alias the fact itself gives, a possessive, "the": maybe the same one
    assert other_subject("Did the US president sign the bill?", "Biden signed the bill") is None
    assert other_subject("Did President Biden sign the bill?",
                         "Joe Biden, the US President, signed the bill") is None
    assert other_subject("Is Musk's startup developing Grok?", "xAI is developing Grok") is None
    assert other_subject("Is Nvidia building the factory?", "Musk's xAI is building it") is None
    assert other_subject("Did the Nevada GOP bar candidates?",
                         "the Republican Party barred candidates") is None
    # another act: the fact does not say what the question asks of anyone
    assert other_subject(q, "Michael Dell posted a photo of the factory") is None
    # no name on one side
    assert other_subject(q, "it was confirmed on Twitter") is None
    assert other_subject("Did the company confirm it?", "Michael Dell confirmed it") is None


def test_a_whose_question_s_answer_gets_its_owner():
    """`possessor`: where a passage writes the short answer right after a name's "'s", the
    owner leads the answer; not where the answer is long, owned already, or owned by more than
    one name, or by none."""
    from rag.answer.asking import asks_whose, possessor

    assert asks_whose("Whose startup is developing Grok?")
    assert asks_whose("According to the article, whose startup is it?")
    assert not asks_whose("Who owns the startup?") and not asks_whose("What is whose?")
    text = ["“Grok,” the AI model being developed by Elon Musk’s xAI startup.",
            "Nvidia's GPUs power it. The Queen's Gambit aired. Dell's GPUs too."]
    assert possessor("xAI", text) == "Elon Musk (xAI)"
    assert possessor("xAI startup.", text) == "Elon Musk (xAI startup)"
    assert possessor("Elon Musk", text) is None  # the owner already
    assert possessor("Elon Musk's xAI", text) is None
    assert possessor("GPUs", text) is None  # two owners: Nvidia and Dell
    assert possessor("Gambit", text) is None  # "The Queen": no name opens with "The"
    assert possessor("Grok", text) is None
    assert possessor("x", ["Tim's xAI"]) is None  # a whole word only
    assert possessor("a model being developed by a startup in the AI race", text) is None


@pytest.mark.parametrize("question, about", [
    ("What is this article about?", "summary"), ("Summarize the article.", "summary"),
    ("Can you give me the key points?", "summary"), ("TL;DR?", "summary"),
    ("What do these articles say?", "summary"), ("When was the article published?", "whole"),
    ("What is the title of the article?", "whole"), ("Who wrote this article?", None),
    ("And when was it published?", "whole"), ("Summarize it in one sentence.", "summary"),
    ("Summarize the article about Grok.", None),
    ("What is Grok?", None), ("Why did the article mention Tesla?", None),
    ("What is the principle about relating spin and space variables?", None),
    ("Do you know when the article was published?", "whole"),
    ("Do you know when it was published?", "whole")])
def test_a_question_about_the_article_as_a_whole(question, about):
    """`about_the_article`: a summary, or something else asked of "the article" itself, with no
    topic of its own to search; a summary is answered in a few sentences ("explain")."""
    from rag.answer.asking import about_the_article

    assert about_the_article(question) == about
    summary = about == "summary" or question.startswith(("Why", "Summarize", "What is Grok"))
    assert (kind_of(question) == "explain") == summary


@pytest.mark.parametrize("question, asked, name", [
    ("Is Grok being developed by OpenAI?", "Who is developing Grok?", {"openai"}),
    ("Is Michael Dell the CEO of Nvidia?", "Who is Michael Dell the CEO of?", {"nvidia"}),
    ("Are the details of Grok public yet?", "Who are the details of Grok?", set()),  # no name
    ("Is Dell a software company?", "Is Dell a software company?", set()),  # nothing left out
])
def test_the_name_a_yes_or_no_question_checks(question, asked, name):
    from rag.answer.detail import tested_name

    assert tested_name(question, asked) == name


def test_an_answer_of_several_says_no_no():
    """"Did Dell partner with Intel?" asked as "Who did Dell partner with?": an answer naming
    several ("Dell and Nvidia") does not rule out the one asked about."""
    from rag.answer.detail import contradicts

    passages = ["Dell partners with Intel, Nvidia and AMD."]
    assert contradicts({"intel"}, "Nvidia [1]", passages)
    assert not contradicts({"intel"}, "Nvidia and AMD [1]", passages)
    assert not contradicts({"intel"}, "Nvidia, AMD [1]", passages)
    assert not contradicts({"googl"}, "Nvidia [1]", passages)  # no passage names Google


@pytest.mark.parametrize("question, asked", [
    ("Is Tesla developing Grok?", "Who is developing Grok?"),
    ("Did Sam Altman confirm the collaboration on Twitter?",
     "Who did confirm the collaboration on Twitter?"),
    ("Is Dell a leader in graphics processing units?",
     "Who is a leader in graphics processing units?"),
    ("Is Grok being developed by OpenAI?", None),  # the name after "by" is the one that acts
    ("Isn't Tesla developing Grok?", None),
    ("Is Elon Musk's xAI developing Grok?", None),
    ("Was the collaboration announced on Facebook?", None),  # no name opens it
])
def test_the_detail_question_of_a_question_that_opens_with_its_name(question, asked):
    from rag.answer.detail import subject_question

    assert subject_question(question) == asked


@pytest.mark.parametrize("question, name, passive", [
    ("Has Grok been fully described in public?", {"grok"}, True),
    ("Was Grok written in Python?", {"grok"}, True),
    ("Is Tesla developing Grok?", {"tesla"}, False),
    ("Is Grok being developed by OpenAI?", {"openai"}, False),  # the name after "by" acts
    ("Is Michael Dell known for his ventures in space exploration?", {"michael", "dell"}, False),
])
def test_a_passive_question_s_subject_is_acted_on(question, name, passive):
    from rag.answer.detail import acted_on

    assert acted_on(question, name) is passive


@pytest.mark.parametrize("question,options,stem", [
    # a list at the end, after ":", "?", a dash or a comma
    ("Which company provides the server racks: Dell, Nvidia, xAI or OpenAI?",
     ["Dell", "Nvidia", "xAI", "OpenAI"], "Which company provides the server racks?"),
    ("Who confirmed it on Twitter - Elon Musk, Michael Dell or Jensen Huang?",
     ["Elon Musk", "Michael Dell", "Jensen Huang"], "Who confirmed it on Twitter?"),
    ("Which AI model will the factory power? Grok, Gemini, or Claude",
     ["Grok", "Gemini", "Claude"], "Which AI model will the factory power?"),
    ("Which company is a leader in GPUs, Dell or Nvidia?", ["Dell", "Nvidia"],
     "Which company is a leader in GPUs?"),
    ("How many GPUs will it use, 1,000 or 10,000?", ["1,000", "10,000"],
     "How many GPUs will it use?"),
    # two alternatives inside a question that asks which: names, figures, or phrases that open
    # with the same small word, which is left out
    ("Was it announced on Twitter or on Facebook?", ["Twitter", "Facebook"], None),
    ("Was it announced on Twitter or on Facebook last week?", ["Twitter", "Facebook"], None),
    ("Did Dell or Nvidia confirm the collaboration?", ["Dell", "Nvidia"], None),
    ("According to the article, did Michael Dell or Elon Musk confirm it?",
     ["Michael Dell", "Elon Musk"], None),
    ("Is Grok a generative AI model or a search engine?",
     ["generative AI model", "search engine"], None),
    ("Did the factory cost $1 billion or $5 billion?", ["$1 billion", "$5 billion"], None),
    ("Was it published in 2023 or 2024?", ["2023", "2024"], None),
    ("Is the Bank of America or Wells Fargo older?", ["Bank of America", "Wells Fargo"], None),
    ("Which is older the British Empire or the Ethiopian Empire?",
     ["British Empire", "Ethiopian Empire"], None),
    # no alternatives: lower case without a shared word, "or not", "or" inside what a wh-question
    # describes, a list that runs on after its "or"
    ("Is the tone formal or informal?", [], None),
    ("Did Nvidia's market value rise or fall?", [], None),
    ("Was Grok made by xAI? Or by OpenAI?", ["xAI", "OpenAI"], None),
    ("Is Grok available or not?", [], None),
    ("Did it cost $1 billion or more?", [], None),
    ("What machine does not define BQP or QMA?", [], None),
    ("Who showed that problems not in P or NP-complete exist?", [], None),
    ("Why did the government, or the army, act?", [], None),
    ("Which company, Dell or Nvidia, makes the GPUs?", [], None),
])
def test_options_written_with_or_are_read(question, options, stem):
    assert offered_options(question) == options
    assert kind_of(question) == ("choice" if options else kind_of(question))
    if stem:  # a list at the end is left out of the question the letters ask
        assert without_options(question) == stem
    elif options:  # alternatives inside it are part of its words
        assert without_options(question) == question


def test_or_not_asks_yes_or_no():
    assert kind_of("Is Grok available or not?") == "yes-no"
    assert kind_of("Was the deal signed, or no?") == "yes-no"
    assert kind_of("Is it true or false that Dell builds the racks?") == "yes-no"
    assert kind_of("Is the tone formal or informal?") == "fact"


@pytest.mark.parametrize("question", [
    "True or false: Dell will provide the server racks.", "True or false? Nvidia makes GPUs.",
    "true or false - Grok is made by xAI", "Dell will provide the server racks, right?",
    "Grok is made by xAI, isn't it?", "Dell and Nvidia built it, didn't they?"])
def test_a_statement_to_confirm_asks_yes_or_no(question):
    assert kind_of(question) == "yes-no"


def test_true_or_false_is_answered_in_its_words():
    from rag.answer.asking import in_true_or_false, true_or_false

    assert true_or_false("True or false: Dell builds the racks.")
    assert not true_or_false("Is it true that Dell builds the racks?")
    assert in_true_or_false("Yes, Dell builds them [1].") == "True, Dell builds them [1]."
    assert in_true_or_false("No. Who builds them? Dell [1]") == "False. Who builds them? Dell [1]"
    assert in_true_or_false("Dell builds them [1].") == "Dell builds them [1]."


@pytest.mark.parametrize("question,asked", [
    ("True or false: Elon Musk is the CEO of Dell Technologies.",
     "Is Elon Musk the CEO of Dell Technologies?"),
    ("True or false? Nvidia's market value has fallen.", "Has Nvidia's market value fallen?"),
    ("True or false: the details of Grok have been made public.",
     "Have the details of Grok been made public?"),
    ("Grok is being developed by xAI, right?", "Is Grok being developed by xAI?"),
    ("Michael Dell is the CEO of Nvidia, isn't he?", "Is Michael Dell the CEO of Nvidia?"),
    ("True or false: Michael Dell confirmed it on Twitter.",
     "Is it true that Michael Dell confirmed it on Twitter?"),
    ("Who is the CEO of Dell Technologies?", None),
    ("Is Grok made by xAI?", None),
])
def test_a_statement_to_confirm_is_asked_as_a_question(question, asked):
    from rag.answer.asking import as_question

    assert as_question(question) == asked
