"""How likely a checked draft is to be right (rag.answer.verdict)."""


def test_the_estimated_chance_of_being_right_rises_with_every_signal():
    from rag.answer.verdict import p_right

    base = dict(p_correct=0.8, p_answers=0.8, certainty=0.6, strength=0.5)
    p0 = p_right(**base)
    for key, more in (("p_correct", 0.95), ("p_answers", 0.95), ("certainty", 0.9),
                      ("strength", 0.8)):
        assert p_right(**{**base, key: more}) > p0, key
    assert 0.0 < p_right(0.0, 0.0, 0.0, 0.0) < 1e-3 and p_right(1.0, 1.0, 1.0, 1.0) > 0.999
