"""Thumbs up/down on answers, appended to `<index>/feedback.jsonl`, one JSON object a line.

Each line holds the time, the rating, the question, what was searched, the answer and its
citations (chunk ids and supporting sentences), so a rating can be judged later without the
index version it was given on. Left out: reading or aggregating the file (it is plain JSONL).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from rag.types import Answer

_LOCK = threading.Lock()  # whole lines only, even with several users rating at once


def record(index_dir: str | Path, answer: Answer, liked: bool) -> Path:
    path = Path(index_dir) / "feedback.jsonl"
    d = answer.to_dict()
    entry = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "rating": "up" if liked else "down",
        "question": d["question"],
        "search_query": d["search_query"],
        "answer": d["answer"],
        "refused": d["refused"],
        "citations": [{k: c[k] for k in ("n", "chunk_id", "title", "support", "page")}
                      for c in d["citations"]],
    }
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    with _LOCK, open(path, "a", encoding="utf-8") as f:
        f.write(line)
    return path
