"""Embedding through any OpenAI-compatible `POST /v1/embeddings` (TEI, vLLM, Infinity, another
`rag serve`): the `Embedder` protocol over HTTP.

Texts go in batches, a few batches in flight at once; a refused or failed request (connection
error, timeout, 429, 5xx) is retried with exponential backoff, honouring `Retry-After`, and a
request the server rejects outright (another 4xx) fails at once with its message. Vectors are
normalised here to unit length, whatever the server does, because the index searches by inner
product.

The index records the model's name, its dimension and a fingerprint: the vectors of a few fixed
texts (`FINGERPRINT_TEXTS`). An endpoint that later returns different vectors for them (another
model behind the same name, other weights, another pooling) is refused with `EmbedderChanged`
rather than silently mixing two vector spaces. Vectors are compared by cosine, not bit for bit:
a GPU server batching differently moves the last digits, not the direction.

Chunking counts tokens: with the model's tokenizer when it is on this machine (the packaged
embedder's is), else by an estimate that errs long (characters / 3), so chunks stay within the
model's window. Left out: token-id inputs, the `dimensions` parameter, client-side caching.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from rag.errors import EmbedderChanged, EmbedderUnavailable

FINGERPRINT_TEXTS = (
    "The quick brown fox jumps over the lazy dog.",
    "Photosynthesis turns light, water and carbon dioxide into sugar and oxygen.",
    "Die Zentralbank hob den Leitzins um 0,25 Prozentpunkte an.",
)
MIN_FINGERPRINT_COSINE = 0.99
_EXPECTED: dict[str, dict] = {}  # model name -> the embedder info an opened index recorded


class RemoteEmbedder:
    dtype = "remote"

    def __init__(self, name: str, url: str, batch: int = 64, in_flight: int = 4,
                 retries: int = 6, timeout: float = 120.0, backoff: float = 0.5,
                 api_key: str | None = None):
        import os

        self.name = name
        self.url = url.rstrip("/")
        self.batch = batch
        self.in_flight = in_flight
        self.retries = retries
        self.timeout = timeout
        self.backoff = backoff
        self.api_key = api_key if api_key is not None else os.environ.get("RAG_EMBED_KEY")
        self._tokenizer = _local_tokenizer(name)
        self.max_tokens = int(getattr(self._tokenizer, "model_max_length", 512) or 512)
        if self.max_tokens > 8192:  # tokenizers without a limit report 1e30
            self.max_tokens = 512
        self._fingerprint = self._request(list(FINGERPRINT_TEXTS))
        self.dim = int(self._fingerprint.shape[1])

    # ---- the Embedder protocol ---------------------------------------------------------------
    def embed(self, texts: list[str], batch_size: int = 0, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        step = batch_size or self.batch
        parts = [texts[i:i + step] for i in range(0, len(texts), step)]
        with ThreadPoolExecutor(max(1, min(self.in_flight, len(parts)))) as pool:
            out = list(pool.map(self._request, parts))
        vecs = np.concatenate(out)
        if vecs.shape[1] != self.dim:
            raise EmbedderChanged(f"the embedding endpoint {self.url} now returns vectors of "
                                  f"dimension {vecs.shape[1]}, not {self.dim}")
        return vecs

    def count_tokens(self, text: str) -> int:
        if self._tokenizer is not None:
            return len(self._tokenizer(text, add_special_tokens=True, truncation=False,
                                       verbose=False)["input_ids"])
        return len(text) // 3 + 2

    def info(self) -> dict:
        return {"name": self.name, "dim": self.dim, "max_tokens": self.max_tokens,
                "weights_sha256": None, "dtype": self.dtype, "url": self.url,
                "fingerprint": np.round(self._fingerprint, 5).tolist()}

    # ---- the fingerprint ---------------------------------------------------------------------
    def check(self, recorded: dict, where: str) -> None:
        """Refuse when this endpoint's vectors of the fixed texts are not `recorded`'s."""
        want = np.asarray(recorded.get("fingerprint") or [], dtype=np.float32)
        if want.shape != self._fingerprint.shape:
            raise EmbedderChanged(
                f"{where} was embedded by {recorded.get('name')} with {want.shape[-1] if want.size else '?'} "
                f"dimensions; the endpoint {self.url} serves {self.name} with {self.dim}: point "
                f"embed_url at the endpoint it was built with, or rebuild with `rag index PATH "
                f"--rebuild`")
        cos = np.sum(want * self._fingerprint, axis=1)
        if float(cos.min()) < MIN_FINGERPRINT_COSINE:
            raise EmbedderChanged(
                f"the endpoint {self.url} returns other vectors for {self.name!r} than the ones "
                f"{where} was built with (cosine {float(cos.min()):.3f} on a fixed text, at "
                f"least {MIN_FINGERPRINT_COSINE} expected): another model or other weights "
                "behind the same name. Point embed_url at the endpoint the index was built "
                "with, or rebuild it with `rag index PATH --rebuild`")

    # ---- HTTP --------------------------------------------------------------------------------
    def _request(self, texts: list[str]) -> np.ndarray:
        import httpx

        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body = {"model": self.name, "input": texts, "encoding_format": "float"}
        last = ""
        for attempt in range(self.retries + 1):
            wait = self.backoff * 2 ** attempt
            try:
                r = httpx.post(self.url + "/embeddings", json=body, headers=headers,
                               timeout=self.timeout)
            except httpx.HTTPError as e:
                last = f"{type(e).__name__}: {e}"
            else:
                if r.status_code == 200:
                    return _vectors(r, len(texts), self.url)
                last = f"HTTP {r.status_code}: {_message(r)}"
                if r.status_code != 429 and r.status_code < 500:
                    raise EmbedderUnavailable(f"the embedding endpoint {self.url} refused the "
                                              f"request ({last})")
                after = r.headers.get("retry-after", "")
                if after.replace(".", "", 1).isdigit():
                    wait = max(wait, float(after))
            if attempt < self.retries:
                time.sleep(min(wait, 30.0))
        raise EmbedderUnavailable(f"the embedding endpoint {self.url} failed {self.retries + 1} "
                                  f"times ({last}); is it running? (embed_url)")


def expect(info: dict) -> None:
    """Remember what an opened index recorded for its remote embedder (rag.index.store calls this),
    so that `for_index` checks the endpoint against it."""
    _EXPECTED[info["name"]] = info


def for_index(name: str, url: str = "") -> RemoteEmbedder:
    """The embedder for questions and uploads of an index built through an endpoint: `url`, else
    the `embed_url` setting, else the endpoint the index recorded; checked against its
    fingerprint."""
    from rag.config import load_config
    from rag.errors import ConfigError

    recorded = _EXPECTED.get(name, {})
    url = url or load_config().embed_url or recorded.get("url", "")
    if not url:
        raise ConfigError(f"the index was embedded by {name!r} through an endpoint: set embed_url "
                          "to an OpenAI-compatible API base that serves it")
    emb = RemoteEmbedder(name, url)
    if recorded:
        emb.check(recorded, "the index")
    return emb


def _vectors(r, n: int, url: str) -> np.ndarray:
    try:
        data = sorted(r.json()["data"], key=lambda d: d["index"])
        vecs = np.asarray([d["embedding"] for d in data], dtype=np.float32)
    except (ValueError, KeyError, TypeError) as e:
        raise EmbedderUnavailable(f"the embedding endpoint {url} answered something that is "
                                  f"not an OpenAI embeddings response ({e})") from None
    if vecs.ndim != 2 or len(vecs) != n:
        raise EmbedderUnavailable(f"the embedding endpoint {url} returned {len(vecs)} vectors "
                                  f"for {n} texts")
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return np.ascontiguousarray(vecs / np.where(norms > 0, norms, 1.0), dtype=np.float32)


def _message(r) -> str:
    try:
        d = r.json()
        return str((d.get("error") or {}).get("message") or d.get("detail") or d)[:300]
    except ValueError:
        return r.text[:300]


def _local_tokenizer(name: str):
    """The model's own tokenizer when it is on this machine (packaged or a local folder)."""
    try:
        from transformers import AutoTokenizer

        from rag.models.weights import embedder_path
        return AutoTokenizer.from_pretrained(embedder_path(name), local_files_only=True)
    except Exception:  # noqa: BLE001 - any failure means: estimate instead
        return None
