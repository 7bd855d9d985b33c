"""The web chat and the HTTP API over `rag.pipeline`, served together by one process.

    ui.render    pure functions: an answer, its sources, timings and index facts as escaped HTML
    ui.uploads   checking, storing and indexing files added from the browser
    ui.feedback  thumbs up/down appended to <index>/feedback.jsonl
    ui.chat      the Gradio Blocks app (built, not launched, so tests can drive it)
    ui.api       the FastAPI routes: /api/health, /api/ask, /v1/chat/completions
    ui.server    both on one FastAPI app, run by uvicorn (`rag serve`)

Nothing here retrieves, prompts or checks citations: that is the library's job. Importing this
package imports nothing heavy; `rag` never imports `ui` at module level.
"""
