"""rag: offline question answering over a folder of articles, with cited answers.

Two flows, each a folder: an article into the index (`rag.read`: files into articles, then
`rag.index`: chunks, vectors, BM25 and the store), and a question into a checked answer
(`rag.retrieval`, then `rag.answer`: prompt, runtimes, checks and the refusal decision).
`rag.sync` and `rag.pipeline` run them as configured; value types (`rag.types`), errors, text
and file helpers sit below, models by name (`rag.registry`, `rag.models`) beside, and the front
ends (CLI, evaluation) on top. Nothing here imports `ui/` (docs/architecture.md).
"""

import os

# Models load from local files only: a missing one must fail loudly, never hang on a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# onnxruntime (the int8 query encoder) otherwise sends usage events to Microsoft from its native
# code: DNS lookups of mobile.events.data.microsoft.com, seen under strace (docs/serve.md).
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

__version__ = "0.1.0"
