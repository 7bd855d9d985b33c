"""Model factories by name. The real adapters are the defaults; others (local models, the test
suite's fakes) register under a name, just like real models, and are chosen by configuration."""

from __future__ import annotations

import importlib
import os
from typing import Callable

from rag.models import choices

_EMBEDDERS: dict[str, Callable[..., object]] = {}
_GENERATORS: dict[str, Callable[..., object]] = {}
_LOADED: dict[tuple, object] = {}  # one instance of each model per process


def register_embedder(name: str, factory: Callable[..., object]) -> None:
    _EMBEDDERS[name] = factory


def register_generator(name: str, factory: Callable[..., object]) -> None:
    _GENERATORS[name] = factory


def load_plugins() -> None:
    """Import the modules named in RAG_PLUGINS (comma-separated); each registers its models."""
    for mod in filter(None, (m.strip() for m in os.environ.get("RAG_PLUGINS", "").split(","))):
        importlib.import_module(mod)


def embedder(name: str, dtype: str = "auto", threads: int = 0, url: str = ""):
    """The embedder `name` in precision `dtype`: "int8" (its ONNX export, rag.index.query_encoder),
    "bfloat16", "float32", or "auto": the one set-up measured fastest here (rag.models.choices), or
    where nothing was measured, int8 where the export reproduces the model, else bf16 where the
    CPU computes it natively, else fp32 (bf16 emulated is slow). With `url`, or `dtype`
    "remote" (an index built through an endpoint), the model served by an OpenAI-compatible
    embeddings endpoint (rag.index.remote_embedder), whatever is registered here under its name."""
    if url or dtype == "remote":
        key = ("embedder", name, "remote", url)
        if key not in _LOADED:
            from rag.index import remote_embedder
            _LOADED[key] = remote_embedder.RemoteEmbedder(name, url) if url \
                else remote_embedder.for_index(name)
        return _LOADED[key]
    key = ("embedder", name, dtype)
    if key not in _LOADED:
        load_plugins()
        if name in _EMBEDDERS:
            _LOADED[key] = _EMBEDDERS[name]()
        elif dtype == "auto" and (measured := choices.embedder_dtype(name)):
            _LOADED[key] = embedder(name, measured, threads)
        elif dtype in ("auto", "int8"):
            from rag.index.query_encoder import OnnxEmbedder, exportable

            base = embedder(name, "float32", threads)
            if exportable(base):
                _LOADED[key] = OnnxEmbedder(base, threads=threads or None)
            elif dtype == "int8":
                from rag.errors import ConfigError
                raise ConfigError(f"embedder_dtype = \"int8\" needs a BERT-style model with mean "
                                  f"pooling; {name!r} is not one: use \"auto\", \"bfloat16\" "
                                  "or \"float32\"")
            else:
                from rag.models.weights import cpu_has_bf16
                _LOADED[key] = embedder(name, "bfloat16" if cpu_has_bf16() else "float32",
                                        threads)
        else:
            from rag.index.embedders import SentenceTransformerEmbedder
            _LOADED[key] = SentenceTransformerEmbedder(name, dtype=dtype, threads=threads or None)
    return _LOADED[key]


def query_encoder(base, kind: str = "onnx-int8", threads: int = 0):
    """What embeds questions for an index embedded by `base`: its int8 ONNX export
    (rag.index.query_encoder), or `base` itself for "torch" and for what the export does not reproduce
    (models other than BERT with mean pooling, the test fakes)."""
    from rag.index.embedders import SentenceTransformerEmbedder
    from rag.index.query_encoder import exportable

    if kind == "torch" or not isinstance(base, SentenceTransformerEmbedder) or not exportable(base):
        return base
    key = ("query_encoder", base.name, base.info().get("weights_sha256"), kind)
    if key not in _LOADED:
        from rag.index.query_encoder import OnnxQueryEncoder
        _LOADED[key] = OnnxQueryEncoder(base, threads=threads or None)
    return _LOADED[key]


def generator(name: str, threads: int = 0, runtime: str = "auto", url: str = "",
              prefill: str = "auto", cache_mb: int = 512):
    """The generator `name` run by `runtime`: "llama.cpp", "transformers", "openai" (a server
    at `url`), or "auto": the local runtime set-up found answering here (rag.models.choices), else
    llama.cpp."""
    if runtime == "auto":
        runtime = choices.runtime(name) or "llama.cpp"
    key = ("generator", name, runtime, url,
           (prefill, cache_mb) if runtime == "llama.cpp" else None)
    if key not in _LOADED:
        load_plugins()
        if name in _GENERATORS:
            _LOADED[key] = _GENERATORS[name]()
        elif runtime == "openai":
            from rag.answer.runtimes.llamacpp import OpenAIGenerator
            _LOADED[key] = OpenAIGenerator(name, url)
        elif runtime == "llama.cpp":
            from rag.answer.runtimes.llamacpp import LlamaCppGenerator
            _LOADED[key] = LlamaCppGenerator(name, threads=threads or None, prefill=prefill,
                                               cache_mb=cache_mb)
        else:
            from rag.answer.runtimes.llamacpp import TransformersGenerator
            _LOADED[key] = TransformersGenerator(name, threads=threads or None)
    return _LOADED[key]
