"""A yes-or-no question a passage answers with "not" (rag.answer.denial): "No" with that sentence
quoted and cited, where the model itself would not answer."""

from rag.answer.denial import answer_text, denied
from rag.pipeline import Pipeline
from tests.conftest import hit
from tests.test_refusal import RefusesYesOrNo

MONA_LISA = hit(1, "Protesters hurled soup at the Mona Lisa on Sunday. The painting was not "
                   "damaged as it is protected by a glass casing.")


def test_a_sentence_that_says_not_to_the_question():
    q = "Was the painting damaged when protesters threw soup at it?"
    assert denied(q, [hit(1, "It rained."), MONA_LISA]) == (
        2, "The painting was not damaged as it is protected by a glass casing.")
    # "un-" says it too; so does "n't"
    grok = hit(1, "While the specific details of Grok remain undisclosed, it is expected soon.")
    assert denied("Have the specific details of Grok been disclosed?", [grok]) is not None
    assert denied("Did the painting survive?", [hit(1, "The painting didn't survive the fire.")])
    assert answer_text(2, "It was not.") == "No: “It was not.” [2]"


def test_no_denial_without_a_negation_of_the_question_s_words():
    # a negation of another word ("did not comment" is no "not" to the release)
    assert denied("Did Apple release a new phone?",
                  [hit(1, "Apple did not comment on whether it will release a new phone.")]) is None
    # too few of the question's words: about something else
    assert denied("Was the Mona Lisa damaged by the soup thrown by activists in Paris?",
                  [hit(1, "No one was damaged.")]) is None
    # the question says "not" itself
    assert denied("Was the painting not damaged?", [MONA_LISA]) is None
    assert denied("Was the painting damaged?", [hit(1, "The painting was damaged.")]) is None
    # the word said both with and without "not"; "not only"; "unless" is no "un-" + "less"
    assert denied("Did Apple release a phone?", [hit(1, "No phone was released by Samsung, but "
                                                        "Apple released a phone.")]) is None
    assert denied("Did Nvidia build the factory?",
                  [hit(1, "Nvidia did not only build the factory, it ran it.")]) is None
    assert denied("Did Tesla make less money?",
                  [hit(1, "Tesla made money unless the market fell.")]) is None
    # a sentence is whole across initials
    assert denied("Was the U.S. Senate involved?", [hit(1, "The U.S. Senate was not involved.")]
                  ) == (1, "The U.S. Senate was not involved.")
    # a quotation's "not" is its speaker's
    assert denied("Did Drake bet on the 49ers to win the Super Bowl?",
                  [hit(1, 'Drake bet on the Chiefs to win the Super Bowl against the 49ers, with '
                          'the caption "I can\'t bet against the swifties."')]) is None


def test_the_pipeline_says_no_where_the_model_would_not(fake_pipeline):
    pipe = Pipeline(fake_pipeline.index, fake_pipeline.embedder, fake_pipeline.config,
                    RefusesYesOrNo("Sure!", "unused"))
    events = list(pipe.stream("Have the specific details of Grok been disclosed?"))
    a = events[-1]["answer"]
    assert [e["type"] for e in events][-2:] == ["second_look", "answer"]
    assert not a.refused and a.text.startswith("No: “") and "undisclosed" in a.text
    assert a.citations and a.citations[0].support in a.citations[0].hit.chunk.text
    assert a.checks["first_refused_by"] == "model" and a.checks["refused_by"] is None
    # nothing says "not" to it: the model's refusal stands
    b = pipe.ask("Is Grok being developed by OpenAI?")
    assert b.refused and b.checks["refused_by"] == "model"
