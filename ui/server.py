"""One server for the chat and the API: a FastAPI app with the Gradio chat mounted at `/`, and
the indexed PDFs that citations link to (ui.files).

`create_app(config)` opens the pipeline once (the generator is loaded before the first request,
so every user shares one model) and returns the app; `serve()` runs it with uvicorn. Gradio's
analytics, its version check, server-side rendering (a Node process) and monitoring are off, and
its fonts are its own local ones, so the page makes no call beyond this server.
Left out: TLS and authentication (serve on loopback, or behind a proxy that has them).
"""

from __future__ import annotations

import os

# Before gradio is imported anywhere: no telemetry, no version check, no Hub lookups.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

MAX_UPLOAD = "50mb"  # Gradio refuses bigger uploads outright; ui.uploads holds the real limits


def create_app(config, pipeline=None):
    import gradio as gr
    from fastapi import FastAPI

    from rag.pipeline import Pipeline
    from ui.api import build_router
    from ui.chat import CSS, build_chat
    from ui.files import build_files_router

    pipeline = pipeline or Pipeline.open(config, load_generator=True)
    app = FastAPI(title="rag", docs_url="/api/docs", redoc_url=None, openapi_url="/api/openapi.json")
    app.include_router(build_router(pipeline))
    app.include_router(build_files_router(pipeline))
    blocks = build_chat(pipeline)
    blocks.queue(default_concurrency_limit=None)
    app = gr.mount_gradio_app(app, blocks, path="/", footer_links=[], ssr_mode=False,
                              enable_monitoring=False, mcp_server=False, pwa=False,
                              max_file_size=MAX_UPLOAD, css=CSS, show_error=True)
    app.state.pipeline = pipeline
    return app


def serve(config, host: str = "127.0.0.1", port: int = 7860) -> None:
    import uvicorn

    app = create_app(config)
    f = app.state.pipeline.facts()
    print(f"rag: serving {f['articles']} articles ({f['chunks']} chunks) from {config.index} "
          f"at http://{host}:{port}/  (API: /api/ask, /v1/chat/completions)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=3)
