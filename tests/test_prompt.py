"""The prompt (rag.answer.prompt): numbered passages with title, text and date, the rules for
each answer style, the pieces later prompts may share, and passages trimmed around the sentences
the question is about."""

import pytest

from rag.answer.prompt import REFUSAL, STYLES, build_messages, piece_ends, standalone
from tests.conftest import hit


def test_prompt_numbers_passages_with_title_and_date():
    msgs = build_messages(" Who? ", [hit(0, "Alpha.", "First", "2024-01-02"), hit(1, "Beta.", "Second")])
    assert msgs[0]["role"] == "system" and REFUSAL in msgs[0]["content"]
    user = msgs[1]["content"]
    assert "[1] First\nAlpha.\n(Published 2024-01-02.)" in user and "[2] Second\nBeta." in user
    assert user.index("[1]") < user.index("[2]") < user.index("Question: Who?")


def test_prompts_end_a_piece_after_each_passage():
    """The points where llama.cpp keeps its cache for later prompts (rag.answer.runtimes.prompt_cache):
    after each passage, whatever blank lines a passage holds, for the answer and the judge."""
    from rag.answer.judge import judge_messages

    passages = [hit(0, "Alpha one.\n\nAlpha two."), hit(1, "Beta."), hit(2, "Gamma.")]
    user = build_messages("Who?", passages)[1]["content"]
    ends = piece_ends(user)
    assert [user[e:e + 3] for e in ends] == ["[2]", "[3]", "Que"]
    assert user[:ends[0]].endswith("Alpha two.\n\n")
    judged = judge_messages("Who?", "Alpha [1]", ["Alpha one.\n\nAlpha two."])[1]["content"]
    assert [judged[e:e + 9] for e in piece_ends(judged)] == ["Question:"]


def test_the_answer_style_picks_the_rules():
    short = build_messages("Who?", [hit(0, "Alpha.")], style="short")[0]["content"]
    sentence = build_messages("Who?", [hit(0, "Alpha.")], style="sentence")[0]["content"]
    assert "shortest phrase" in short and "one or two sentences" in sentence
    assert REFUSAL in short and REFUSAL in sentence


def test_the_examples_style_shows_worked_examples_in_the_system_turn_only():
    """The examples are read once with the system turn; the user turn holds the real passages."""
    msgs = build_messages("Who?", [hit(0, "Alpha.")], style="examples")
    system, user = msgs[0]["content"], msgs[1]["content"]
    assert system.startswith(STYLES["short"]) and "Lake Vostok" in system
    assert system.count(f"Answer: {REFUSAL}") >= 1 and "Lake Vostok" not in user
    assert user.startswith("Passages:\n[1] T\nAlpha.")


def test_a_trimmed_prompt_keeps_the_sentences_the_question_is_about():
    from rag.answer.prompt import window

    text = ("Dell sells laptops. Its headquarters are in Round Rock. Michael Dell founded it in "
            "1984. The company also builds servers. Nvidia supplies the GPUs for them.")
    assert window("Who founded Dell, and when?", text, 1) == "Michael Dell founded it in 1984."
    assert window("Who supplies the GPUs for the servers?", text, 2) == (
        "The company also builds servers. Nvidia supplies the GPUs for them.")
    assert window("anything", text, 0) == text and window("anything", text, 9) == text


def test_a_trimmed_passage_centres_on_the_best_scored_sentence_and_drops_headings():
    from rag.answer.prompt import passage_sentences, window

    text = ("Nvidia's Crucial Role\n\nNvidia makes GPUs. Its value rose on AI demand. The GPUs "
            "train models.\n\nWhat is Grok?\n\nGrok is a chatbot. It is generative.")
    spans = passage_sentences(text)
    assert [text[a:b] for a, b in spans][:2] == ["Nvidia makes GPUs.",
                                                 "Its value rose on AI demand."]
    assert len(spans) == 5  # the two headings are not sentences
    scores = [0.1, 0.2, 0.3, 0.9, 0.2]  # e.g. embedding similarities; "Grok is a chatbot." best
    assert window("Why?", text, 3, scores) == (
        "The GPUs train models. Grok is a chatbot. It is generative.")
    assert window("Why?", text, 2, scores) == "The GPUs train models. Grok is a chatbot."
    assert window("Why?", text, 1, [0.9, 0, 0, 0, 0]) == "Nvidia makes GPUs."


MUSK = [{"role": "user", "content": "Who founded xAI?"},
        {"role": "assistant", "content": "Elon Musk [1]"}]


@pytest.mark.parametrize("question, rewritten, searched", [
    # a rewrite that asks what was asked is taken
    ("Is it similar to ChatGPT?", "Is Grok similar to ChatGPT?", "Is Grok similar to ChatGPT?"),
    ("And when was it published?", "When was the article published?",
     "When was the article published?"),
    ("Tell me more about it.", "Tell me more about xAI.", "Tell me more about xAI."),
    ("And Nvidia?", "What will Nvidia provide?", "What will Nvidia provide?"),
    ("What about Dell?", "What will Dell provide?", "What will Dell provide?"),
    ("And Nvidia?", "Nvidia will provide GPUs.", "And Nvidia?"),
    # one that answers, changes the question word or holds a template is not: the last answer,
    # a name alone, takes the place of the one "he", "his" or "her"; else the question stands
    ("What else is he known for?", "Elon Musk is known for his work in AI.",
     "What else is Elon Musk known for?"),
    ("Which company does he run?", "Who does Elon Musk run?", "Which company does Elon Musk run?"),
    ("What is his startup called?", "", "What is Elon Musk's startup called?"),
    ("Who works with her?", "", "Who works with Elon Musk?"),
    ("When was it published?", "It was published on [insert date].", "When was it published?"),
    ("Did he and his company sign it?", "", "Did he and his company sign it?"),  # two: unsure
    ("Okay.", "", "Okay."),  # nothing to rewrite: as asked, never empty
])
def test_a_follow_up_is_searched_as_a_question_that_asks_what_was_asked(question, rewritten,
                                                                         searched):
    assert standalone(question, rewritten, MUSK) == searched


def test_a_follow_up_after_an_answer_in_sentences_keeps_its_pronoun():
    history = [{"role": "user", "content": "What is Grok?"},
               {"role": "assistant", "content": "Grok is a generative AI model [1]."}]
    assert standalone("Who makes him?", "", history) == "Who makes him?"
    for said in ("Yes [1]", "No.", None):  # a verdict, or nothing, is no name
        history[-1]["content"] = said
        assert standalone("How old is he?", "", history) == "How old is he?"
