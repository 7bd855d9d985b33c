"""The web chat and the HTTP API over `rag.pipeline`, served together by one process.

    ui.render    pure functions: an answer, its sources, timings and index facts as escaped HTML
    ui.uploads   checking, storing and indexing files added from the browser
    ui.feedback  thumbs up/down appended to <index>/feedback.jsonl
    ui.chat      the Gradio Blocks app (built, not launched, so tests can drive it)
    ui.api       the FastAPI routes: /api/health, /api/ask, /v1/chat/completions, /v1/embeddings
    ui.files     the indexed PDFs that citations link to
    ui.queue     the API's waiting line
    ui.access    who may read and who may add articles
    ui.server    all of it on one FastAPI app, run by uvicorn
    ui.launch    the `rag` command with its `serve` subcommand (`python -m ui`)
    ui.child     a `rag serve` in a child process, for the tests and the benchmarks

Nothing here retrieves, prompts or checks citations: that is the library's job. Importing this
package imports nothing heavy; `rag` never imports `ui`.
"""
