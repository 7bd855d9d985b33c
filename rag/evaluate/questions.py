"""Question sets in three formats, read into one shape: `QuestionSet` (questions, and the articles
that come with the set, if any).

- The project's JSONL: one `{"id", "question", "answers", "evidence_ids"}` a line; an empty
  `answers` list means that refusing is the right answer. Optional: `items` (a list question's
  items, every one needed), `reference` (a full answer, for token F1) and `kind` (a label that
  the figures are broken down by). Articles come from `--articles`/`--index`.
- SQuAD 2.0 JSON: every paragraph becomes an article with the stable id `TITLE/pNNN` (its index in
  the article); a question's evidence is its paragraph when it is answerable, and an
  `is_impossible` question expects a refusal (and has no evidence).
- A BEIR folder (`corpus.jsonl`, `queries.jsonl`, `qrels/test.tsv`): corpus documents become
  articles (id = `_id`, text = title, blank line, text, as BEIR embeds them), the queries judged in
  the test qrels become questions with graded relevance. Retrieval only: there are no answers.

Malformed input raises `QuestionError` naming the file (and line): figures computed on a silently
shortened question set could not be trusted. Left out: BEIR's train/dev qrels, SQuAD 1.1.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import QuestionError
from rag.types import Article


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    answers: tuple[str, ...] = ()  # empty: the right answer is a refusal
    evidence_ids: tuple[str, ...] = ()  # relevant article ids; empty: no retrieval figures
    relevance: dict = field(default_factory=dict)  # article id -> graded relevance (> 0)
    items: tuple[str, ...] = ()  # a list question's items: a right answer names every one
    reference: str = ""  # a full reference answer, scored by token F1 beside `answers`
    kind: str = ""  # what the set says it asks (why, list, yes-no ...); empty: not said

    @property
    def answerable(self) -> bool:
        return bool(self.answers)

    def qrels(self) -> dict[str, int]:
        return self.relevance or {a: 1 for a in self.evidence_ids}


@dataclass(frozen=True)
class QuestionSet:
    kind: str  # "jsonl", "squad", "beir"
    source: str
    questions: list[EvalQuestion]
    articles: list[Article] | None = None  # the set's own articles (SQuAD, BEIR)
    retrieval_only: bool = False


def load_questions(path: str | Path) -> QuestionSet:
    p = Path(path)
    if p.is_dir():
        return load_beir(p)
    if not p.is_file():
        raise QuestionError(f"no question set at {p}: give a .jsonl file, a SQuAD 2.0 .json file "
                            "or a BEIR folder")
    if p.suffix.lower() == ".json":
        return load_squad(p)
    return load_jsonl(p)


def load_jsonl(path: Path) -> QuestionSet:
    questions: list[EvalQuestion] = []
    seen: set[str] = set()
    for n, line in enumerate(_read(path).splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise QuestionError(f"{where}: not JSON ({e.msg})") from None
        if not isinstance(obj, dict):
            raise QuestionError(f"{where}: expected an object with id, question, answers, "
                                "evidence_ids")
        qid, text = str(obj.get("id") or "").strip(), obj.get("question")
        if not qid or not isinstance(text, str) or not text.strip():
            raise QuestionError(f'{where}: needs a non-empty "id" and "question"')
        answers, evidence = obj.get("answers", []), obj.get("evidence_ids", [])
        if not _str_list(answers) or not _str_list(evidence):
            raise QuestionError(f'{where}: "answers" and "evidence_ids" must be lists of text')
        if qid in seen:
            raise QuestionError(f"{where}: question id {qid!r} appears twice")
        seen.add(qid)
        items, reference, kind = obj.get("items", []), obj.get("reference", ""), obj.get("kind", "")
        if not _str_list(items) or not isinstance(reference, str) or not isinstance(kind, str):
            raise QuestionError(f'{where}: "items" must be a list of text, "reference" and "kind" '
                                "text")
        questions.append(EvalQuestion(qid, text.strip(), tuple(a for a in answers if a.strip()),
                                      tuple(evidence), items=tuple(i for i in items if i.strip()),
                                      reference=reference.strip(), kind=kind.strip()))
    if not questions:
        raise QuestionError(f"{path}: no questions in it")
    return QuestionSet("jsonl", str(path), questions)


def load_squad(path: Path) -> QuestionSet:
    try:
        data = json.loads(_read(path))["data"]
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise QuestionError(f"{path}: not a SQuAD 2.0 file (a JSON object with \"data\"): {e}") \
            from None
    articles: list[Article] = []
    questions: list[EvalQuestion] = []
    try:
        for doc in data:
            title = str(doc["title"])
            for pi, para in enumerate(doc["paragraphs"]):
                aid = f"{title}/p{pi:03d}"
                articles.append(Article(aid, title.replace("_", " "), para["context"].strip()))
                for qa in para["qas"]:
                    impossible = bool(qa.get("is_impossible", False))
                    answers = () if impossible else tuple(dict.fromkeys(
                        a["text"] for a in qa["answers"] if a["text"].strip()))
                    if not impossible and not answers:
                        raise QuestionError(f"{path}: question {qa['id']} is answerable but has "
                                            "no answers")
                    questions.append(EvalQuestion(str(qa["id"]), qa["question"].strip(), answers,
                                                  () if impossible else (aid,)))
    except (KeyError, TypeError) as e:
        raise QuestionError(f"{path}: not a SQuAD 2.0 file (missing {e})") from None
    if not questions:
        raise QuestionError(f"{path}: no questions in it")
    return QuestionSet("squad", str(path), questions, articles)


def load_beir(folder: Path) -> QuestionSet:
    corpus, queries, qrels = folder / "corpus.jsonl", folder / "queries.jsonl", \
        folder / "qrels" / "test.tsv"
    for f in (corpus, queries, qrels):
        if not f.is_file():
            raise QuestionError(f"{folder} is not a BEIR folder: "
                                f"{f.relative_to(folder)} is missing")
    articles = []
    for n, obj in _jsonl(corpus):
        if "_id" not in obj or not str(obj.get("text") or obj.get("title") or "").strip():
            raise QuestionError(f"{corpus}:{n}: needs \"_id\" and some text")
        title = str(obj.get("title") or "").strip()
        text = str(obj.get("text") or "").strip()
        articles.append(Article(str(obj["_id"]), title, f"{title}\n\n{text}".strip()))
    texts = {str(obj["_id"]): obj.get("text", "") for _, obj in _jsonl(queries) if "_id" in obj}
    judged: dict[str, dict[str, int]] = {}
    with qrels.open(newline="", encoding="utf-8") as fh:
        for n, row in enumerate(csv.reader(fh, delimiter="\t"), 1):
            if n == 1 and row and row[0] == "query-id":
                continue
            if not row:
                continue
            try:
                qid, did, score = row[0], row[1], int(row[2])
            except (IndexError, ValueError):
                raise QuestionError(f"{qrels}:{n}: expected query-id, corpus-id, score") from None
            if score > 0:
                judged.setdefault(qid, {})[did] = score
    missing = [q for q in judged if not str(texts.get(q) or "").strip()]
    if missing:
        raise QuestionError(f"{qrels}: queries {missing[:5]} are not in {queries.name}")
    questions = [EvalQuestion(q, texts[q].strip(), (), tuple(rel), rel)
                 for q, rel in judged.items()]
    if not questions:
        raise QuestionError(f"{qrels}: no judged queries")
    return QuestionSet("beir", str(folder), questions, articles, retrieval_only=True)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise QuestionError(f"cannot read {path}: {e}") from None


def _jsonl(path: Path):
    for n, line in enumerate(_read(path).splitlines(), 1):
        if line.strip():
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise QuestionError(f"{path}:{n}: not JSON ({e.msg})") from None
            if not isinstance(obj, dict):
                raise QuestionError(f"{path}:{n}: expected a JSON object")
            yield n, obj


def _str_list(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)
