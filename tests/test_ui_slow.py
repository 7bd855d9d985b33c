"""The chat with the real models: `rag serve --sources seeds` builds the index itself, then a
question about the seed article is answered in Chromium with a highlighted cited sentence.

Set RAG_SCREENSHOT=docs/screenshot.png to save what the page shows (that is how the README's
screenshot is made).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import SEEDS
from tests.live_server import launch_chromium, start_server

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.slow, pytest.mark.browser]
if not Path("/usr/bin/chromium").exists():
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)


def test_real_models_answer_with_a_highlighted_cited_source(tmp_path):
    srv = start_server(tmp_path / "index", tmp_path / "serve.log", generator="qwen2.5-coder-1.5b",
                       sources=[str(SEEDS)], fake=False, timeout=240)
    try:
        with playwright_api.sync_playwright() as p:
            browser = launch_chromium(p)
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            outside = []
            page.on("request", lambda r: r.url.startswith((srv.url, "data:", "blob:"))
                    or outside.append(r.url))
            page.goto(srv.url)
            page.wait_for_selector("#question textarea", timeout=30_000)
            page.fill("#question textarea", "Who confirmed the collaboration on Twitter?")
            page.click("#ask")
            page.wait_for_function(
                "() => document.querySelector('#timings').innerText.includes('total')",
                timeout=300_000)  # the CPU may be shared: a minute or more is possible
            answer = page.locator("#chat [data-testid='bot']").last.inner_text()
            assert "Dell" in answer and "[" in answer
            assert page.locator("#sources mark").count() >= 1
            assert outside == []
            if os.environ.get("RAG_SCREENSHOT"):
                page.screenshot(path=os.environ["RAG_SCREENSHOT"])
            browser.close()
    finally:
        srv.stop()
