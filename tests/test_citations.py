"""Reading and checking an answer (rag.answer.citations): its `[n]` markers, refusals, which
passage supports which sentence, and names or numbers no passage holds."""

import pytest

from rag.answer.citations import (best_sentence, claims, is_refusal, novel_terms, parse_answer,
                                  verify)
from tests.conftest import hit


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


def test_a_name_only_inside_a_quote_supports_nothing_it_did():
    """A sentence that names someone only inside another's quote does not say what they did:
    "Elon Musk tweeted ..." is not supported by Michael Dell's post that ends "for xAI Elon
    Musk.", while the same sentence supports what Michael Dell did."""
    post = hit(0, "Michael Dell confirmed the collaboration on Twitter, stating, “We’re building "
                  "an AI factory to power Grok for xAI Elon Musk.”")
    said = "Elon Musk tweeted that they are building an AI factory to power Grok [1]."
    v = verify(said, [post], 0.5)
    assert v.text == "" and v.dropped == [said.replace(" [1]", "")]
    assert verify("Yes, Elon Musk confirmed the collaboration on Twitter [1].", [post], 0.5).dropped
    kept = verify("Michael Dell confirmed the collaboration on Twitter [1].", [post], 0.5)
    assert kept.cited == [1] and not kept.dropped
    # named outside the quote too: supported
    both = hit(1, "Elon Musk wrote, “Thanks, Elon Musk is grateful,” about the AI factory.")
    assert verify("Elon Musk wrote about the AI factory [1].", [both], 0.5).cited == [1]
    # another passage that says it outright is the support
    v = verify(said, [post, hit(2, "Elon Musk tweeted that they are building an AI factory to "
                                   "power Grok.")], 0.5)
    assert v.cited == [2] and not v.dropped
    # not a name at all: a sentence's first word, or a noun phrase without a verb
    lower = hit(3, "The system limited the price of “old oil” and “Bricks for Warsaw” began.")
    assert verify("Old oil was limited in price [1].", [lower], 0.5).cited == [1]
    assert verify("Bricks for Warsaw [1].", [lower], 0.5).cited == [1]


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


def test_a_list_s_separator_before_its_marker_is_left_out():
    """"GPUs, AI chips, [2]" (the model's comma after its last item, or markers taken out from
    between the items) reads "GPUs, AI chips [2]"."""
    for said in ("GPUs, AI chips, [2]", "GPUs [2], AI chips [2],", "GPUs, AI chips,,, [2]"):
        assert verify(said, PASSAGES, 0.5).text == "GPUs, AI chips [2]"


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


def test_a_number_a_passage_spells_out_is_held_by_its_figure():
    sources = ["How many seats did the SNP take?", "The SNP took eight seats and twenty-one votes."]
    assert novel_terms("The SNP took 8 seats [1].", sources) == []
    assert novel_terms("It got 21 [1].", sources) == []
    assert novel_terms("The SNP took 9 seats [1].", sources) == ["9"]


def test_a_bare_figure_is_shown_as_its_passage_writes_it():
    from rag.answer.citations import number_as_written

    spelled = ["The SNP took eight seats from the Liberal Democrats."]
    assert number_as_written("8", spelled) == "eight"
    assert number_as_written("9", spelled) is None  # not what the passage says
    assert number_as_written("8", ["It took 8 seats, eight in all."]) is None  # the figure is there
    assert number_as_written("8 seats", spelled) is None  # only a bare figure
    assert number_as_written("25", ["twenty-five people came"]) == "twenty-five"


def test_an_initial_does_not_end_a_listed_name():
    assert claims("George Washington, Dwight D. Eisenhower, John F. Kennedy [1].") == [
        ("George Washington, Dwight D. Eisenhower, John F. Kennedy.", [1])]
    # nor does a month, a title or a country's initials end a sentence
    assert claims("It predicts the Ravens and 49ers playing on Feb. 11 [1].") == [
        ("It predicts the Ravens and 49ers playing on Feb. 11.", [1])]
    assert claims("Dr. Fields said so [1]. The U.S. Senate agreed [2].") == [
        ("Dr. Fields said so.", [1]), ("The U.S. Senate agreed.", [2])]
    # nor initials of several letters before a capital ("3 p.m. ET" was cut into "3 p.m" and
    # "ET [2]", each shown with its own marker)
    assert claims("The outage lasted until 3 p.m. ET [2]. It ended.") == [
        ("The outage lasted until 3 p.m. ET.", [2]), ("It ended.", [])]
    assert claims("It rained. Then it stopped [2].") == [("It rained.", []),
                                                           ("Then it stopped.", [2])]


def test_a_name_with_accents_or_an_ampersand_is_one_word():
    # "Jürgen" was read as "J" and "rgen", and "AT&T" as two stopwords: an answer naming either
    # had no words to support and was refused although its passage named it.
    hits = [hit("c1", "Jurgen Klopp will step down as Liverpool manager."),
            hit("c2", "AT&T said the outage hit customers across the US.")]
    assert verify("Jürgen Klopp [1]", hits, 0.5).cited == [1]
    assert verify("AT&T [1]", hits, 0.5).cited == [2]
    assert verify("Thomas Müller [1]", hits, 0.5).cited == []


def test_novel_names_with_accents_are_found():
    sources = ["Who will replace the Liverpool manager?", "Jürgen Klopp will step down."]
    assert novel_terms("He is replaced by Xabi Alonso [1].", sources) == ["Xabi", "Alonso"]
    assert novel_terms("Jurgen Klopp's successor is Zoë Müller [1].", sources) == ["Zoë", "Müller"]
    assert novel_terms("Jürgen Klopp [1].", sources) == []


@pytest.mark.parametrize("option,sentence,loose_share", [
    ("Mexico", "The case prompted an appeal from the Mexican government.", 1.0),
    ("At a nightclub", "The run-in occurred at a Cornwall night club in the 1980s.", 1.0),
    ("Israel", "Israeli forces entered the city.", 1.0),
    ("Intel", "Its artificial intelligence models need chips.", 0.0),
    ("Skateboarding and handball", "The figure skater was banned for four years.", 0.0),
    ("France", "The French government said so.", 0.0),  # another word, not another ending
])
def test_an_option_may_be_held_in_another_form_only_where_asked(option, sentence, loose_share):
    """An offered option's words in another form count (`loose`, for multiple-choice answers);
    an answer's own words are held as written."""
    assert best_sentence(option, sentence)[1] == 0.0
    assert best_sentence(option, sentence, loose=True)[1] == loose_share
    v = verify(option, [hit(1, sentence)], 0.5, loose=True)
    assert bool(v.cited) == (loose_share >= 0.5)
