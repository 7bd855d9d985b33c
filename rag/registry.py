"""Models and runtimes by name, and the plugins that add them.

Three registers: embedders and generators by model name (a plugin's own models, the test suite's
fakes), and runtimes by name (what runs a packaged or local generator: "llama.cpp",
"transformers", "openai"). A plugin is a module named in RAG_PLUGINS (comma-separated): importing
it registers what it brings with `register_embedder`, `register_generator` or `register_runtime`.
The runtimes shipped here register the same way, one module each (rag.answer.runtimes), imported
by name when first asked for, so that a runtime's libraries load only where it is used. A model
registered by name wins over any runtime; the configuration chooses among them (rag.config).
Each model is loaded once per process. Left out: discovering plugins by package metadata.
"""

from __future__ import annotations

import importlib
import os
from typing import Callable

from rag.config import RUNTIMES
from rag.models import choices

_EMBEDDERS: dict[str, Callable[..., object]] = {}
_GENERATORS: dict[str, Callable[..., object]] = {}
_RUNTIMES: dict[str, Callable[..., object]] = {}
# The runtimes shipped here, by the module that registers each when imported.
RUNTIME_MODULES = {"llama.cpp": "rag.answer.runtimes.llamacpp",
                   "transformers": "rag.answer.runtimes.transformers_lm",
                   "openai": "rag.answer.runtimes.openai_api"}
_LOADED: dict[tuple, object] = {}  # one instance of each model per process


def register_embedder(name: str, factory: Callable[..., object]) -> None:
    _EMBEDDERS[name] = factory


def register_generator(name: str, factory: Callable[..., object]) -> None:
    _GENERATORS[name] = factory


def register_runtime(name: str, factory: Callable[..., object]) -> None:
    """`factory(model, threads=, url=, prefill=, cache_mb=)` returns a generator of `model` run
    this way (rag.answer.runtimes.generator.Generator); it takes the options it uses and ignores
    the others."""
    _RUNTIMES[name] = factory


def runtime_factory(name: str) -> Callable[..., object]:
    """The factory of the runtime `name`: a shipped one (imported now), or a plugin's."""
    if name not in _RUNTIMES:
        load_plugins()
        if name in RUNTIME_MODULES:
            importlib.import_module(RUNTIME_MODULES[name])
    if name not in _RUNTIMES:
        from rag.errors import ConfigError
        known = list(RUNTIMES) + sorted(set(_RUNTIMES) - set(RUNTIMES))
        raise ConfigError(f"runtime={name!r} is not one of {', '.join(known)}")
    return _RUNTIMES[name]


def runtimes() -> set[str]:
    """The names of the runtimes that can be asked for: shipped or registered by a plugin."""
    return set(RUNTIME_MODULES) | set(_RUNTIMES)


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
    (rag.index.query_encoder), or `base` itself for "torch" and for what the export does not
    reproduce (models other than BERT with mean pooling, the test fakes)."""
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
    at `url`), a plugin's runtime, or "auto": the local runtime set-up found answering here
    (rag.models.choices), else llama.cpp. A generator a plugin registered as `name` wins."""
    if runtime == "auto":
        runtime = choices.runtime(name) or "llama.cpp"
    key = ("generator", name, runtime, url, prefill, cache_mb)
    if key not in _LOADED:
        load_plugins()
        if name in _GENERATORS:
            _LOADED[key] = _GENERATORS[name]()
        else:
            _LOADED[key] = runtime_factory(runtime)(name, threads=threads, url=url,
                                                    prefill=prefill, cache_mb=cache_mb)
    return _LOADED[key]
