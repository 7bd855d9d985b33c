"""One server for the chat and the API: a FastAPI app with the Gradio chat mounted at `/`, and
the indexed PDFs that citations link to (ui.files).

`create_app(config)` opens the pipeline once (the generator is loaded before the first request,
so every user shares one model) and returns the app; `serve()` runs it with uvicorn. Gradio's
analytics, its version check, server-side rendering (a Node process) and monitoring are off, and
its fonts are its own local ones, so the page makes no call beyond this server.
Who may read and who may add articles is `ui.access`: adding articles is off unless a writer
token is set, and reading can ask for a token too. Left out: TLS (put a proxy in front for it).
"""

from __future__ import annotations

import os

# Before gradio is imported anywhere: no telemetry, no version check, no Hub lookups.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

MAX_UPLOAD = "50mb"  # Gradio refuses bigger uploads outright; ui.uploads holds the real limits


def create_app(config, pipeline=None, access=None):
    """`access` (ui.access.Access): who may read and write; by default anyone on this machine
    reads and nobody adds articles."""
    import gradio as gr
    from fastapi import FastAPI

    from rag.pipeline import Pipeline
    from ui.access import Access, Guard
    from ui.api import build_router
    from ui.chat import CSS, build_chat
    from ui.files import build_files_router

    access = access or Access()
    pipeline = pipeline or Pipeline.open(config, load_generator=True)
    app = FastAPI(title="rag", docs_url="/api/docs", redoc_url=None, openapi_url="/api/openapi.json")
    app.include_router(build_router(pipeline))
    app.include_router(build_files_router(pipeline))
    blocks = build_chat(pipeline, writers=access.can_write if access.writes else None)
    app = gr.mount_gradio_app(app, blocks, path="/", footer_links=[], ssr_mode=False,
                              enable_monitoring=False, mcp_server=False, pwa=False,
                              max_file_size=MAX_UPLOAD, css=CSS, show_error=True)
    _unknown_apis_are_404(app)
    app.state.pipeline = pipeline
    app.state.access = access
    app.add_middleware(Guard, access=access)
    return app


def _unknown_apis_are_404(app) -> None:
    """Gradio answers a call to an API name it does not have (`add_files` when adding articles is
    off) with a 500: it is the caller's mistake, so it is a 404 that says so."""
    from fastapi.responses import JSONResponse
    from gradio.route_utils import FnIndexInferError

    async def unknown(request, exc):
        return JSONResponse({"detail": f"no such API here: {exc}"}, status_code=404)

    for route in app.routes:
        sub = getattr(route, "app", None)
        if sub is not None and hasattr(sub, "get_blocks"):  # the mounted Gradio app
            sub.add_exception_handler(FnIndexInferError, unknown)


def serve(config, host: str = "127.0.0.1", port: int = 7860, access=None) -> None:
    import uvicorn

    from ui.access import Access, check_binding

    access = access or Access()
    check_binding(host, access)  # before the model is loaded: a refusal comes at once
    app = create_app(config, access=access)
    f = app.state.pipeline.facts()
    print(f"rag: serving {f['articles']} articles ({f['chunks']} chunks) from {config.index} "
          f"at http://{host}:{port}/  (API: /api/ask, /v1/chat/completions); "
          f"{access.describe()}", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=3)
