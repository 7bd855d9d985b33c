"""The runtimes' shared interface (rag.answer.runtimes.generator) and how runtimes are registered
by name, as plugins are (rag.registry). The runtimes themselves run in the slow tests."""

from rag import registry
from rag.answer.judge import answers_messages, judge_messages
from rag.answer.prompt import build_messages, piece_ends
import numpy as np

from rag.answer.runtimes.generator import AnswerStart, Pieced, marker_tokens, refusal_tokens
from rag.config import load_config
from tests.conftest import hit


def test_marker_tokens_are_the_ones_that_open_a_citation():
    vocab = ["[", " [", "[[", "[1", "Dell", " Dell", "]", "a[", "\n["]
    assert marker_tokens(lambda i: vocab[i], len(vocab)) == [0, 1, 2, 3, 8]


def test_a_barred_refusal_may_not_go_on_after_the():
    """The second look's decoding: after "The", no word a refusal goes on with; after any other
    first token, and without `bar`, nothing more is barred than the opening marker."""
    vocab = {"The": [0], "the": [1], "THE": [2], " articles": [3], " article": [4],
             " passages": [5], " passage": [6], " text": [7], " provided": [8]}
    first, then = refusal_tokens(lambda t: vocab.get(t, [99]))
    assert first == {0, 1, 2} and then == [3, 4, 5, 6, 7, 8]
    n_prompt, markers = 4, [9]
    barred = AnswerStart(n_prompt, markers, None, None, (first, then))
    opening = barred([5, 5, 5, 5], np.zeros(12))
    assert opening[9] == -np.inf and np.isfinite(opening[:9]).all()
    after_the = barred([5, 5, 5, 5, 0], np.zeros(12))
    assert np.isinf(after_the[3:9]).all() and np.isfinite(after_the[[0, 1, 2, 9, 10]]).all()
    assert np.isfinite(barred([5, 5, 5, 5, 10], np.zeros(12))).all()  # "Nvidia ...": free
    free = AnswerStart(n_prompt, markers, None, None)
    assert np.isfinite(free([5, 5, 5, 5, 0], np.zeros(12))).all()


def test_the_prompt_names_its_pieces_and_stays_text():
    """The runtime is handed where each passage ends (`Pieced`); the text is unchanged."""
    user = build_messages("Who?", [hit(0, "Alpha one.\n\nAlpha two."), hit(1, "Beta.")])[1]
    assert isinstance(user["content"], Pieced) and isinstance(user["content"], str)
    assert list(user["content"].piece_ends) == piece_ends(user["content"])
    for messages in (judge_messages("Who?", "Alpha [1]", ["Alpha one.", "Beta."]),
                     answers_messages("Who?", ["Alpha one.", "Beta."])):
        content = messages[1]["content"]
        assert list(content.piece_ends) == piece_ends(content) != []
    assert Pieced("plain").piece_ends == () and Pieced("x", [1]) == "x"


def test_a_plugin_registers_a_runtime_that_the_configuration_can_name(monkeypatch):
    made = []

    def load(name, url="", **_):
        made.append((name, url))
        return object()

    monkeypatch.setitem(registry._RUNTIMES, "test-echo", load)
    assert load_config(runtime="test-echo").runtime == "test-echo"
    generator = registry.generator("some-model", runtime="test-echo", url="http://x/v1")
    assert made == [("some-model", "http://x/v1")]
    assert registry.generator("some-model", runtime="test-echo", url="http://x/v1") is generator
    monkeypatch.delitem(registry._LOADED, next(k for k in registry._LOADED if "test-echo" in k))


def test_the_shipped_runtimes_register_when_first_asked_for():
    assert {"llama.cpp", "transformers", "openai"} <= registry.runtimes()
    generator = registry.runtime_factory("openai")("served-model", url="http://127.0.0.1:9/v1")
    assert generator.info() == {"name": "served-model", "runtime": "openai",
                                "url": "http://127.0.0.1:9/v1"}
