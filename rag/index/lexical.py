"""BM25 over the chunks, beside the vectors: finds names, numbers and rare terms that a small
embedding model blurs.

Built with bm25s (sparse-matrix BM25, Lucene's scoring) on lower-cased word tokens without English
stop words, Snowball-stemmed (PyStemmer) so that "chips" finds "chip". The BM25 statistics (IDF,
average length) are global, so each index version rebuilds this part from the stored chunk texts
when it is written: in step with the vectors, and quick next to embedding the same chunks.

Left out: phrase and field queries.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rag.text import stemmer


def tokenize(texts: list[str]) -> list[list[str]]:
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=stemmer(), return_ids=False,
                          show_progress=False)


class Bm25:
    """A BM25 index whose rows are FAISS ids, so results join the dense ones directly."""

    def __init__(self, model, fids: np.ndarray):
        self.model = model
        self.fids = fids

    @classmethod
    def build(cls, fids: list[int], texts: list[str]) -> "Bm25":
        import bm25s

        model = bm25s.BM25()
        if texts:
            model.index(tokenize(texts), show_progress=False)
        return cls(model, np.asarray(fids, dtype=np.int64))

    def save(self, folder: Path) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "fids.npy", self.fids)
        if len(self.fids):
            self.model.save(str(folder), show_progress=False)
        return sorted(p for p in folder.iterdir() if p.is_file())

    @classmethod
    def load(cls, folder: Path) -> "Bm25":
        import bm25s

        fids = np.load(folder / "fids.npy")
        if not len(fids):
            return cls(bm25s.BM25(), fids)
        model = bm25s.BM25.load(str(folder), mmap=True, show_progress=False)
        return cls(model, fids)

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """(faiss id, BM25 score) of the best k chunks; chunks sharing no term are left out."""
        if not len(self.fids) or k <= 0:
            return []
        terms = tokenize([query])[0]
        if not terms:
            return []
        scores = self.model.get_scores(terms)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(self.fids[i]), float(scores[i])) for i in top if scores[i] > 0]


def describe() -> dict:
    return {"library": "bm25s", "method": "lucene", "k1": 1.5, "b": 0.75,
            "tokens": "lowercase words, English stop words removed, Snowball stemmed"}
