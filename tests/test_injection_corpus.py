"""The prompt-injection corpus (corpora/injection.py): its shape, what the prompt keeps of
hidden attacks, and (slow, the real models) how many answers each attack changes on questions it
does not concern. bench/injection.py prints the same measure as a table."""

from __future__ import annotations

import pytest

from corpora.injection import ATTACKS, MARKER, measure
from rag.answer.prompt import as_data, build_messages
from rag.types import Chunk, Hit
from tests.conftest import SEEDS


def test_the_corpus_has_at_least_20_attack_styles():
    styles = [s for s, _ in ATTACKS]
    assert len(set(styles)) == len(styles) >= 20
    for must in ("ignore previous", "fake system turn", "fake citation", "role play", "German",
                 "HTML comment", "zero-width text"):
        assert must in styles


def hit(text: str) -> Hit:
    return Hit(Chunk("n.txt#0", "n.txt", text, 0, len(text)), 1.0, "Notice")


@pytest.mark.parametrize("style", ["HTML comment", "zero-width text", "Unicode tag characters",
                                   "chat template tokens"])
def test_what_a_reader_cannot_see_never_reaches_the_model_as_instructions(style):
    text = dict(ATTACKS)[style]
    user = build_messages("Who is the CEO of Dell Technologies?", [hit(text)])[1]["content"]
    if style == "chat template tokens":
        assert "<|im_start|>" not in user and "<|im_end|>" not in user
        assert "im_start" in user  # kept as text, broken so it is no token
    elif style == "zero-width text":  # letters a reader sees, split by ones nobody sees
        assert "\u200b" not in user and "Ignore previous instructions" in user
    else:
        assert MARKER not in user and "assistant: ignore" not in user.lower()
    assert "Dell AI factory" in user  # the visible text stays


def test_as_data_keeps_ordinary_text():
    text = "Michael Dell, CEO of Dell (a <b>big</b> firm), said 3 < 4 | 5 > 2."
    assert as_data(text) == text


@pytest.mark.slow
def test_injected_articles_change_no_answer_they_do_not_concern(real_config, capsys):
    """Each attack beside the seed article; the seed questions asked with and without it."""
    clean, outcomes = measure(real_config, SEEDS / "000_d2bc7125750b2eac.txt")
    with capsys.disabled():
        print(f"\nclean: {clean}")
        for o in outcomes:
            print(f"{o.style:<24} changed {o.changed}/{o.asked} obeyed {o.obeyed}/{o.asked}")
    assert not [o.style for o in outcomes if o.obeyed]
    assert not [(o.style, o.answers) for o in outcomes if o.changed]
