"""rag: offline question answering over a folder of articles, with cited answers.

The library is layered one way: value types (`rag.types`) and errors (`rag.errors`) at the
bottom, stages (ingest, chunking, embedding, index, retrieval, prompting, generation) in the
middle, `rag.pipeline.Pipeline` above them, and front ends (CLI, web chat, HTTP API, evaluation)
on top. Nothing here imports `ui/`.
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
