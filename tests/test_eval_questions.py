"""The three question-set formats, read from tiny fixtures, and the fixed random sample."""

from __future__ import annotations

import json

import pytest

from rag.errors import QuestionError
from rag.evaluate.questions import EvalQuestion, load_questions
from rag.evaluate.sample import draw


def _jsonl(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_project_jsonl(tmp_path):
    qs = load_questions(_jsonl(tmp_path / "q.jsonl", [
        {"id": "a", "question": " Who? ", "answers": ["X", " "], "evidence_ids": ["doc.txt"]},
        "",
        {"id": "b", "question": "Why?", "answers": [], "evidence_ids": []}]))
    assert qs.kind == "jsonl" and qs.articles is None and not qs.retrieval_only
    a, b = qs.questions
    assert (a.id, a.question, a.answers, a.evidence_ids) == ("a", "Who?", ("X",), ("doc.txt",))
    assert a.answerable and not b.answerable and b.qrels() == {}


@pytest.mark.parametrize("row, why", [
    ("{not json", "not JSON"),
    ({"id": "", "question": "q"}, "non-empty"),
    ({"id": "a", "question": "q", "answers": "X"}, "lists of text"),
])
def test_project_jsonl_errors_name_the_line(tmp_path, row, why):
    path = _jsonl(tmp_path / "q.jsonl", [{"id": "ok", "question": "q"}, row])
    with pytest.raises(QuestionError, match=rf"q.jsonl:2: .*{why}"):
        load_questions(path)


def test_duplicate_ids_are_refused(tmp_path):
    with pytest.raises(QuestionError, match="twice"):
        load_questions(_jsonl(tmp_path / "q.jsonl", [{"id": "a", "question": "q"}] * 2))


def squad_fixture(tmp_path):
    data = {"version": "v2.0", "data": [{"title": "Big_Cats", "paragraphs": [
        {"context": "Lions live in Africa. They hunt in prides.",
         "qas": [{"id": "q1", "question": "Where do lions live?", "is_impossible": False,
                  "answers": [{"text": "Africa", "answer_start": 14},
                              {"text": "Africa", "answer_start": 14},
                              {"text": "in Africa", "answer_start": 11}]},
                 {"id": "q2", "question": "Where do lions sleep?", "is_impossible": True,
                  "answers": [], "plausible_answers": [{"text": "Africa", "answer_start": 14}]}]},
        {"context": "Tigers live in Asia and swim well.",
         "qas": [{"id": "q3", "question": "Where do tigers live?", "is_impossible": False,
                  "answers": [{"text": "Asia", "answer_start": 15}]}]}]}]}
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(data))
    return path


def test_squad(tmp_path):
    qs = load_questions(squad_fixture(tmp_path))
    assert qs.kind == "squad"
    assert [a.id for a in qs.articles] == ["Big_Cats/p000", "Big_Cats/p001"]
    assert qs.articles[0].title == "Big Cats" and qs.articles[1].text.startswith("Tigers")
    q1, q2, q3 = qs.questions
    assert q1.answers == ("Africa", "in Africa")  # duplicates dropped, order kept
    assert q1.evidence_ids == ("Big_Cats/p000",) and q3.evidence_ids == ("Big_Cats/p001",)
    assert not q2.answerable and q2.evidence_ids == ()  # impossible: a refusal is right


def test_squad_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"data": [{"title": "T", "paragraphs": [{"qas": []}]}]}))
    with pytest.raises(QuestionError, match="not a SQuAD 2.0 file"):
        load_questions(bad)


def beir_fixture(tmp_path):
    root = tmp_path / "beir"
    (root / "qrels").mkdir(parents=True)
    _jsonl(root / "corpus.jsonl", [
        {"_id": "d1", "title": "Cats", "text": "Cats purr when content.", "metadata": {}},
        {"_id": "d2", "title": "", "text": "Dogs bark at strangers.", "metadata": {}},
        {"_id": "d3", "title": "Birds", "text": "Birds sing at dawn.", "metadata": {}}])
    _jsonl(root / "queries.jsonl", [{"_id": "1", "text": "Why do cats purr?"},
                                    {"_id": "2", "text": "When do birds sing?"},
                                    {"_id": "3", "text": "Unjudged query"}])
    (root / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\n1\td1\t1\n2\td3\t2\n2\td2\t0\n")
    return root


def test_beir(tmp_path):
    qs = load_questions(beir_fixture(tmp_path))
    assert qs.kind == "beir" and qs.retrieval_only
    assert [a.id for a in qs.articles] == ["d1", "d2", "d3"]
    assert qs.articles[0].text == "Cats\n\nCats purr when content."  # title embedded, as BEIR does
    assert [q.id for q in qs.questions] == ["1", "2"]  # only judged queries
    assert qs.questions[1].qrels() == {"d3": 2}  # graded; a zero is not relevant


def test_beir_missing_file(tmp_path):
    root = beir_fixture(tmp_path)
    (root / "qrels" / "test.tsv").unlink()
    with pytest.raises(QuestionError, match="test.tsv is missing"):
        load_questions(root)


def test_sample_is_fixed_and_nested(tmp_path):
    qs = load_questions(squad_fixture(tmp_path)).questions * 1
    pool = [EvalQuestion(str(i), f"q{i}", ("a",) if i % 3 else ()) for i in range(30)]
    a, b = draw(pool, 8, seed=1), draw(pool, 8, seed=1)
    assert [q.id for q in a] == [q.id for q in b] and len(a) == 8
    assert [q.id for q in a] != [q.id for q in draw(pool, 8, seed=2)]
    assert [int(q.id) for q in a] == sorted(int(q.id) for q in a)  # the set's own order
    assert {q.id for q in a} <= {q.id for q in draw(pool, 15, seed=1)}  # a larger limit extends
    bal = draw(pool, 10, seed=3, balanced=True)
    assert sum(q.answerable for q in bal) == 5
    assert draw(qs, None) == qs
    with pytest.raises(QuestionError):
        draw(pool, 0)
    with pytest.raises(QuestionError, match="balanced"):
        draw(pool, 30, balanced=True)  # only 10 unanswerable


def test_skip_draws_a_sample_disjoint_from_the_test_sample():
    pool = [EvalQuestion(str(i), f"q{i}", ("a",) if i % 2 else ()) for i in range(40)]
    for balanced in (False, True):
        test = draw(pool, 10, seed=0, balanced=balanced)
        dev = draw(pool, 10, seed=0, balanced=balanced, skip=10)
        assert len(dev) == 10 and not {q.id for q in test} & {q.id for q in dev}
        # together they are exactly the larger draw
        assert {q.id for q in test} | {q.id for q in dev} == {
            q.id for q in draw(pool, 20, seed=0, balanced=balanced)}
    assert sum(q.answerable for q in draw(pool, 10, seed=0, balanced=True, skip=10)) == 5
    with pytest.raises(QuestionError, match="after --skip"):
        draw(pool, 10, balanced=True, skip=36)
    with pytest.raises(QuestionError, match="--skip"):
        draw(pool, 5, skip=-1)
    with pytest.raises(QuestionError, match="leaves no question"):
        draw(pool, 5, skip=40)
