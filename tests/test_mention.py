"""Whether the articles mention something (rag.answer.mention): looked up, not generated, and
only where a passage writes the words asked about, in a row."""

import pytest

from rag.answer.mention import answer_text, asked, find, is_name, names
from tests.conftest import hit


@pytest.mark.parametrize("question, topic", [
    ("Does the article mention Tesla?", "Tesla"),
    ("Do any of the articles talk about SpaceX?", "SpaceX"),
    ("Is Tesla mentioned in the article?", "Tesla"),
    ("Are GPUs mentioned?", "GPUs"),
    ("Is there any mention of OpenAI in the articles?", "OpenAI"),
    ("does the text say anything about the CEO of Nvidia", "the CEO of Nvidia"),
    ("Does the article mention Tesla at all?", "Tesla"),
    ("Does the article mention anything about SpaceX?", "SpaceX"),
    # questions about the world, not about the articles' words
    ("Does Dell mention Nvidia?", None),
    ("Did Michael Dell mention Nvidia in his tweet?", None),
    ("Is Grok being developed by OpenAI?", None),
    ("Did the article say who the CEO is?", None),
    ("Does the article mention how much the factory costs?", None),  # asks how much
    ("Is it mentioned?", None),  # a pronoun is no topic
    ("Was the CEO named?", None),  # appointed, not written
    ("Was the bill discussed in the article?", "the bill"),
    ("Is Jensen Huang quoted in the article?", "Jensen Huang"),
    ("Is Jensen Huang quoted?", "Jensen Huang"),
    ("Was Elon Musk interviewed by the article?", "Elon Musk"),
    ("Was he cited for speeding?", None),  # cited by whom: not the articles' words
])
def test_the_topic_asked_about(question, topic):
    assert asked(question) == topic


def test_a_mention_is_the_words_in_a_row_in_one_sentence():
    hits = [hit(1, "Dell will build it. Michael Dell, CEO of Dell Technologies, worked with Nvidia."),
            hit(2, "Musk is known for electric vehicles (Tesla) and space flight.")]
    assert find(hits, "Tesla") == (2, "Musk is known for electric vehicles (Tesla) and space flight.")
    assert find(hits, "an electric vehicle") is not None  # stemmed, "an" left out
    assert find(hits, "the CEO of Dell") == (1, "Michael Dell, CEO of Dell Technologies, worked "
                                                "with Nvidia.")
    # every word is there, but not in a row: no mention of Nvidia's CEO
    assert find(hits, "the CEO of Nvidia") is None
    assert find(hits, "electric cars") is None
    assert answer_text(2, " It is. ") == "Yes: “It is.” [2]"


def test_the_pipeline_looks_a_mention_up_without_the_generator(fake_pipeline):
    calls = fake_pipeline.generator.calls
    events = list(fake_pipeline.stream("Does the article mention Tesla?"))
    assert [e["type"] for e in events] == ["passages", "token", "answer"]
    a = events[-1]["answer"]
    assert not a.refused and a.text.startswith("Yes: “") and "Tesla" in a.text
    assert a.text.endswith(f"[{a.citations[0].n}]") and "Tesla" in a.citations[0].support
    assert a.citations[0].support in a.citations[0].hit.chunk.text
    assert events[0]["search_query"] == a.search_query == "Tesla" and a.checks["mention"] == "Tesla"
    assert fake_pipeline.generator.calls == calls
    audited = fake_pipeline.ask("Is Tesla mentioned in the article?", audit=True)
    assert audited.checks["draft"] == audited.text and audited.checks["lexical"]
    # words no passage writes in a row: answered as any other question, by the generator
    b = fake_pipeline.ask("Does the article mention the CEO of Nvidia?")
    assert "mention" not in b.checks and fake_pipeline.generator.calls > calls


def test_a_name_no_passage_holds_is_not_mentioned(fake_pipeline):
    """No passage of the index holds a word of "Jensen Huang": the articles mention him nowhere,
    so the answer is "No", with nothing to cite, and nothing generated."""
    calls = fake_pipeline.generator.calls
    for question in ("Does the article mention Jensen Huang?",
                     "Is Jensen Huang quoted in the article?"):
        a = fake_pipeline.ask(question)
        assert not a.refused and a.text == "No: the articles don't mention Jensen Huang."
        assert a.checks["absent"] == "Jensen Huang" and not a.citations
    assert fake_pipeline.generator.calls == calls
    # a name the index holds a word of ("Nvidia"), or no name: asked of the model
    for question in ("Is Nvidia Huang mentioned?", "Does the article mention electric cars?"):
        b = fake_pipeline.ask(question)
        assert "absent" not in b.checks and fake_pipeline.generator.calls > calls
        calls = fake_pipeline.generator.calls
    # whether a name the articles hold is quoted is more than whether it is named: the model's
    quoted = fake_pipeline.ask("Is Elon Musk quoted in the article?")
    assert "absent" not in quoted.checks and not quoted.text.startswith("Yes: “")
    assert fake_pipeline.generator.calls > calls
    assert is_name("Does it mention the GPT-4 model?", "the GPT-4 model") is False
    assert is_name("Is the OpenAI deal mentioned?", "the OpenAI deal") is False
    assert is_name("Does the article mention the Super Bowl?", "the Super Bowl")


def test_the_names_a_question_writes():
    assert names("Did Google join the collaboration?") == ["Google"]
    assert names("Why did xAI choose Dell over Hewlett Packard Enterprise?") == [
        "Dell", "Hewlett Packard Enterprise"]
    assert names("Who is Nvidia's CEO? And Dell?") == ["Nvidia", "CEO", "Dell"]
    assert names("Can I learn what Zorblax said?") == ["Zorblax"]


def test_a_quoted_sentence_is_whole_across_initials():
    hits = [hit(1, "Elon Musk posted on X that the U.S. government would act.")]
    assert find(hits, "X") == (1, "Elon Musk posted on X that the U.S. government would act.")


def test_a_refusal_names_what_no_passage_holds(fake_pipeline):
    """Refused either way; the refusal says which name the articles never mention."""
    a = fake_pipeline.ask("Did Google join the collaboration?")
    assert a.refused and a.text == "The articles don't mention Google."
    assert a.checks["unmentioned"] == "Google"
    b = fake_pipeline.ask("What was Nvidia's revenue last quarter?")  # Nvidia is there
    assert b.refused and b.text == "The articles don't say." and "unmentioned" not in b.checks
    # a name the search cannot see (stop words, single letters) is never found missing
    c = fake_pipeline.ask("What did the U.S. Senate of X decide about the Grok factory?")
    assert "U.S" not in c.text and "mention X" not in c.text
