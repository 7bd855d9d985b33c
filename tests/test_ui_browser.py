"""The chat in a real headless Chromium against a real `rag serve` with the fake models.

The generator is "fake-slow" (a delay per word), so streaming and the stop button can be seen.
Tests share one server and run in order; the upload tests add articles to its index.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from tests.live_server import launch_chromium, seeded_server

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")
if not Path("/usr/bin/chromium").exists():
    pytest.skip("Debian's chromium is not installed (scripts/setup --test installs it)",
                allow_module_level=True)

QUESTION = "Who confirmed the collaboration on Twitter?"
BOT = "#chat [data-testid='bot']"
WRITER = "browser-writer-token-42"  # adding articles is off without a writer token (ui.access)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from seeded_server(tmp_path_factory, "ui", "fake-slow", env={"RAG_WRITE_TOKEN": WRITER})


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.requests = []
    pg.on("request", lambda r: pg.requests.append(r.url))
    pg.goto(server.url)
    pg.wait_for_selector("#question textarea", timeout=30_000)
    yield pg
    ctx.close()


def ask(page, question: str, turn: int, timeout: float = 30_000) -> str:
    """Ask and wait for the answer of the given (1-based) turn to finish; returns its text."""
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function(
        """([sel, n]) => document.querySelectorAll(sel).length === n
             && document.querySelector('#timings').innerText.includes('total')""",
        arg=[BOT, turn], timeout=timeout)
    return page.locator(BOT).nth(turn - 1).inner_text()


def full_answer(server, question: str) -> str:
    r = httpx.post(server.url + "/api/ask", json={"question": question}, timeout=60)
    return r.json()["answer"]


def test_answer_streams_in_with_highlighted_cited_source(page, server):
    page.fill("#question textarea", QUESTION)
    page.click("#ask")
    seen = set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        texts = page.locator(BOT).all_inner_texts()
        if texts:
            seen.add(texts[-1].strip())
        if "total" in page.inner_text("#timings"):
            break
        time.sleep(0.05)
    final = page.locator(BOT).last.inner_text().strip()
    partial = [s for s in seen if s and s not in ("…", final) and final.startswith(s[:10])]
    assert partial, f"no partial answer was ever shown before {final!r}"
    assert "Dell" in final and "[" in final
    src = page.locator("#sources")
    mark = src.locator("mark").first.inner_text()
    assert "Dell" in mark and mark in src.inner_text()
    assert "2024-06-20" in src.inner_text()
    n = final.split("[", 1)[1].split("]", 1)[0]
    assert page.locator(f"#sources #source-{n}").count() == 1  # the marker's passage is there
    assert page.locator("#sources details.uncited").count() == 1
    assert "total" in page.inner_text("#timings")
    outside = [u for u in page.requests if not u.startswith((server.url, "data:", "blob:"))]
    assert outside == [], f"the page called out: {outside}"


def test_follow_up_is_rewritten_and_shows_what_was_searched(page):
    ask(page, "Who is the CEO of Dell Technologies?", 1)
    ask(page, "What did it build with Nvidia?", 2)
    searched = page.inner_text("#sources .searched")
    assert "Searched for" in searched and "What did it build" not in searched
    # Every [n] that is still a link leads to a passage in the panel (the first answer's do not:
    # the panel now shows the second answer's sources).
    hrefs = page.eval_on_selector_all("#chat a.cite", "els => els.map(e => e.getAttribute('href'))")
    missing = [h for h in hrefs if page.locator(f"#sources {h}").count() == 0]
    assert not missing, missing
    first = page.locator(BOT).nth(0)
    assert first.locator("a.cite").count() == 0 and first.locator(".cite").count() >= 1


def test_refusal_looks_like_one_and_shows_what_was_searched(page):
    text = ask(page, "What is the recipe for sourdough bread with rye flour?", 1)
    assert "The articles don't say" in text
    assert page.locator(f"{BOT} .refusal").count() == 1
    assert page.locator("#sources .source").count() >= 1 or "No passages" in page.inner_text(
        "#sources")
    if page.locator("#sources .source").count():  # why it was refused, in words
        why = page.inner_text("#sources .refused-why")
        assert "These were searched" in why and len(why) > len("These were searched:")


def test_stop_button_really_stops(page, server):
    whole = full_answer(server, QUESTION)
    page.fill("#question textarea", QUESTION)
    page.click("#ask")
    page.wait_for_function("sel => { const m = document.querySelectorAll(sel); "
                           "return m.length && m[m.length-1].innerText.length > 12 }",
                           arg=BOT, timeout=30_000)
    page.click("#stop")
    page.wait_for_function("() => document.querySelector('#timings').innerText.includes('total')",
                           timeout=30_000)
    shown = page.locator(BOT).last.inner_text()
    assert "(stopped)" in shown
    assert len(shown.replace("(stopped)", "").strip()) < len(whole) - 20


def test_feedback_is_saved_with_question_answer_and_citations(page, server):
    ask(page, QUESTION, 1)
    fb = Path(server.index) / "feedback.jsonl"
    before = fb.read_text().count("\n") if fb.exists() else 0
    page.locator(f"{BOT} ~ * button[aria-label='Like'], #chat button[aria-label='Like']").last.click()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (not fb.exists() or fb.read_text().count("\n") == before):
        time.sleep(0.1)
    entry = json.loads(fb.read_text().splitlines()[-1])
    assert entry["rating"] == "up" and entry["question"] == QUESTION
    assert "Dell" in entry["answer"] and entry["citations"][0]["support"]


def upload(page, path: Path) -> str:
    page.click("#add-articles button, #add-articles .label-wrap")
    page.set_input_files("#upload input[type=file]", str(path))
    # The file list shows a name's stem and its extension apart.
    page.wait_for_function("name => document.querySelector('#upload').innerText.includes(name)",
                           arg=path.stem, timeout=20_000)
    page.fill("#writer-token input", WRITER)
    page.click("#add")
    page.wait_for_function(
        "() => /Added|⚠|Nothing/.test(document.querySelector('#upload-status').innerText)",
        timeout=30_000)
    return page.inner_text("#upload-status")


def test_uploaded_article_can_be_asked_about_and_its_script_never_runs(page, tmp_path):
    title = page.title()
    art = tmp_path / "Zorblatt report (draft).txt"
    art.write_text(
        "title: The Zorblatt bakery <b>news</b>\n\n"
        "The Zorblatt Institute opened a quantum bakery <script>document.title='pwned';"
        "window.__pwned=1</script> in Reykjavik. "
        "Its oven <img src=x onerror=\"window.__pwned=2\"> costs ${window.__pwned=3} "
        "{{constructor}} [link](javascript:window.__pwned=4) crowns.\n")
    status = upload(page, art)
    assert "upload-Zorblatt_report_draft.txt" in status and "1 added" in status
    assert "**2** articles" in page.inner_html("#facts") or "2</strong> articles" in \
        page.inner_html("#facts")
    text = ask(page, "What did the Zorblatt Institute open in Reykjavik?", 1)
    assert "Zorblatt" in text and "<script>document.title='pwned';" in text
    src = page.inner_text("#sources")
    assert "<script>document.title='pwned';" in src and "<img src=x onerror=" in src
    assert "${window.__pwned=3}" in src and "{{constructor}}" in src
    assert page.evaluate("window.__pwned") is None
    assert page.title() == title
    assert page.locator("#sources script, #sources img, #chat .message script").count() == 0


def test_bad_uploads_are_refused_per_file(page, server, tmp_path):
    bad = tmp_path / "payload.exe"
    bad.write_bytes(b"MZ\x00\x00")
    empty = tmp_path / "empty.md"
    empty.write_text("")
    page.click("#add-articles button, #add-articles .label-wrap")
    # The browser already refuses the .exe (file_types); the server checks again (test_ui_render).
    page.set_input_files("#upload input[type=file]", [str(bad), str(empty)])
    page.wait_for_function("() => document.querySelector('#upload').innerText.includes('empty')",
                           timeout=20_000)
    page.fill("#writer-token input", WRITER)
    page.click("#add")
    page.wait_for_function("() => document.querySelector('#upload-status').innerText.includes('⚠')",
                           timeout=30_000)
    status = page.inner_text("#upload-status")
    assert "upload-empty.md: empty file" in status
    stored = sorted(p.name for p in (Path(server.index) / "uploads").iterdir())
    assert stored == ["upload-Zorblatt_report_draft.txt"]  # nothing bad is kept


def test_uploaded_pdf_is_cited_to_its_page_and_opens_there(page, server, tmp_path):
    from corpora.documents import pdf_bytes

    filler = "The island council met to discuss the ferry timetable and the price of diesel. "
    pdf = tmp_path / "Skerry chronicle.pdf"
    pdf.write_bytes(pdf_bytes(
        [[filler * 3], [filler, "Agnes Moray was the last keeper of the Skerry lighthouse."]],
        heading="Skerry Island Chronicle"))
    status = upload(page, pdf)
    assert "upload-Skerry_chronicle.pdf" in status and "1 added" in status
    text = ask(page, "Who was the last keeper of the Skerry lighthouse?", 1)
    assert "Agnes Moray" in text
    link = page.locator("#sources .source a.page").first
    assert link.inner_text() == "p. 2"
    href = link.get_attribute("href")
    assert href == "api/files/upload-Skerry_chronicle.pdf#page=2"
    r = page.request.get(server.url + "/" + href.split("#")[0])
    assert r.status == 200 and r.headers["content-type"] == "application/pdf"
    assert r.body().startswith(b"%PDF-")
