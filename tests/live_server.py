"""A real `rag serve` in a subprocess on a free loopback port (ui.child), and a headless
Chromium, for the UI and API tests. Fast tests serve the fake models (RAG_PLUGINS=tests.fakes);
slow ones the real.

Left out: fixtures themselves (each test module scopes its own server, since some tests change
the index they serve).
"""

from __future__ import annotations

from pathlib import Path

from ui.child import LiveServer, start

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-default-apps"]


def start_server(index: str | Path, log: Path, generator: str = "fake-extractive",
                 sources: list[str] | None = None, fake: bool = True,
                 timeout: float = 90, env: dict | None = None, args: list[str] = (),
                 headers: dict | None = None, launcher: list[str] | None = None) -> LiveServer:
    """Run `rag serve` (ui.child.start) with `generator`, the fake models unless `fake` is off,
    and wait until /api/health answers; fails with the server's log if not. `env` and `args` are
    added to the server's; `headers` go with the health check (a token); `launcher` runs the
    module instead of `python -m` (tests/net_audit.py, under strace)."""
    child_env = {"RAG_GENERATOR": generator}
    if fake:
        child_env.update(RAG_PLUGINS="tests.fakes", RAG_EMBEDDER="fake-hash",
                         RAG_CHUNK_TOKENS="60")
    child_env.update(env or {})
    return start(index, log, sources, timeout, child_env, args, headers, launcher)


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def browser_pdf_bytes(html: str) -> bytes:
    """A page printed to PDF by Chromium, as a reader saves a news page: the page title as a
    running header, "Page N of M" as the footer."""
    from playwright.sync_api import sync_playwright

    small = "font-size:8px;width:100%;text-align:center"
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page()
            page.set_content(html)
            return page.pdf(
                format="A4", display_header_footer=True,
                header_template=f"<div style='{small}'><span class='title'></span></div>",
                footer_template=f"<div style='{small}'>Page <span class='pageNumber'></span> of "
                                "<span class='totalPages'></span></div>",
                margin={"top": "60px", "bottom": "60px", "left": "50px", "right": "50px"})
        finally:
            browser.close()


def seeded_server(tmp_path_factory, name: str, generator: str, **kwargs):
    """A server over a fresh fake-model index of seeds/, stopped when the caller's scope ends;
    `kwargs` go to `start_server`."""
    from rag import registry
    from rag.index.chunking import ChunkParams
    from rag.index.indexing import sync
    from tests.conftest import SEEDS

    root = tmp_path_factory.mktemp(name)
    sync([SEEDS], root / "index", registry.embedder("fake-hash"), ChunkParams(60, 1))
    srv = start_server(root / "index", root / "serve.log", generator=generator, **kwargs)
    try:
        yield srv
    finally:
        srv.stop()
