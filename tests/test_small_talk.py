"""A greeting, thanks or goodbye (rag.answer.small_talk): a reply of its own, not "The articles
don't say.", and a question that comes with it is still answered."""

import pytest

from rag.answer.small_talk import reply


@pytest.mark.parametrize("message, starts", [
    ("hi", "Hello!"), ("Hi there!", "Hello!"), ("Good morning", "Hello!"),
    ("thanks!", "You're welcome."), ("ok, thank you so much.", "You're welcome."),
    ("bye", "Goodbye!"),
    ("hi, who founded xAI?", None), ("Thanks, but who is the CEO?", None),
    ("High", None), ("Hiring?", None), ("this", None),
])
def test_what_is_small_talk(message, starts):
    said = reply(message)
    assert (said is None) if starts is None else said.startswith(starts)


def test_the_pipeline_replies_without_searching_or_generating(fake_pipeline):
    calls = fake_pipeline.generator.calls
    events = list(fake_pipeline.stream("thanks!", history=[
        {"role": "user", "content": "Who is the CEO of Dell Technologies?"},
        {"role": "assistant", "content": "Michael Dell [1]"}]))
    assert [e["type"] for e in events] == ["passages", "token", "answer"]
    a = events[-1]["answer"]
    assert a.text.startswith("You're welcome.") and a.refused and not a.citations
    assert not a.passages and fake_pipeline.generator.calls == calls
    b = fake_pipeline.ask("hi, who is the CEO of Dell Technologies?")
    assert not b.refused and "Michael Dell" in b.text
