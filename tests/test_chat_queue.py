"""The chat's waiting line, through Gradio's own protocol: while the one answer slot is busy a
question waits with its place in the line (updated as the line moves), and past `max_queue` the
asker is told at once that the server is busy, rather than left on an open connection.

A real `rag serve` with the fake models; its generator ("fake-held", tests/fake_hold.py) starts
each answer only when the test lets it, so "busy" lasts exactly as long as the test needs. One
client is gradio_client (what a script uses); the other is a headless Chromium (what a person
sees), skipped where Debian's chromium is not installed. With a remote generator (a held
OpenAI-compatible server in the test) several answers run at once. Left out: the API's line
(tests/test_queue.py) and load over minutes (bench/load.py).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.live_server import launch_chromium, seeded_server

gradio_client = pytest.importorskip("gradio_client")
from gradio_client.utils import QueueError, Status  # noqa: E402

QUESTION = "Who confirmed the collaboration on Twitter?"
MAX_QUEUE = 3  # one answered, two waiting


@pytest.fixture
def held(tmp_path_factory):
    """(server, release): `release(n)` lets the first n answers start."""
    hold = tmp_path_factory.mktemp("hold") / "released"
    hold.write_text("0")

    def release(n: int) -> None:
        tmp = hold.with_suffix(".tmp")
        tmp.write_text(str(n))
        tmp.replace(hold)  # whole, so the server never reads half a number

    for server in seeded_server(tmp_path_factory, "chatq", "fake-held", env={
            "RAG_PLUGINS": "tests.fakes,tests.fake_hold", "RAG_FAKE_HOLD": str(hold),
            "RAG_MAX_QUEUE": str(MAX_QUEUE)}):
        try:
            yield server, release
        finally:
            release(1000)  # nothing left waiting when the server stops


def wait_for(what: str, check, timeout: float = 30.0):
    """Poll `check()` until it returns something true; fail saying `what` never happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"{what} within {timeout:.0f} s")


def client(server):
    return gradio_client.Client(server.url, verbose=False, download_files=False,
                                analytics_enabled=False)


def last_message(outputs) -> str:
    """The text of the chat's last message in a result (content: a list of text parts)."""
    chat = outputs[0]
    content = chat[-1]["content"] if chat else ""
    return content if isinstance(content, str) else " ".join(p.get("text", "") for p in content)


def test_waiting_clients_are_told_their_place_and_past_the_limit_to_retry(held):
    server, release = held
    users = [client(server) for _ in range(MAX_QUEUE + 2)]
    first = users[0].submit(QUESTION, api_name="/respond")
    wait_for("the first question being answered",
             lambda: first.status().code in (Status.PROCESSING, Status.ITERATING))
    second = users[1].submit(QUESTION, api_name="/respond")
    s = wait_for("the second question given its place",
                 lambda: (u := second.status()).code == Status.IN_QUEUE and u.rank is not None
                 and u)
    assert (s.rank, s.queue_size) == (0, 1)  # first in line, behind the one being answered
    third = users[2].submit(QUESTION, api_name="/respond")
    s = wait_for("the third question given its place",
                 lambda: (u := third.status()).code == Status.IN_QUEUE and u.rank == 1 and u)
    assert s.queue_size == 2

    # The line is full: the next asker is told so at once, not kept waiting.
    t0 = time.monotonic()
    fourth = users[3].submit(QUESTION, api_name="/respond")
    with pytest.raises(QueueError, match="try again"):
        fourth.result(timeout=20)
    assert time.monotonic() - t0 < 20
    with httpx.Client(base_url=server.url, timeout=20) as http:  # the same, without a client
        r = http.post("/gradio_api/queue/join", json={
            "data": [QUESTION, None], "fn_index": first_fn_index(http),
            "session_hash": "plainhttp01"})
        assert r.status_code == 503 and "Queue is full" in r.json()["detail"]
        # Gradio's direct route would skip the line: it is closed.
        r = http.post("/gradio_api/run/respond", json={"data": [QUESTION, None]})
        assert r.status_code == 404 and "join the queue" in r.json()["detail"]

    release(1)  # the first answer finishes: the line moves up
    s = wait_for("the third question moved up to first in line",
                 lambda: (u := third.status()).code == Status.IN_QUEUE and u.rank == 0 and u)
    assert s.queue_size == 1
    release(1000)
    for job in (first, second, third):
        assert "Michael Dell" in last_message(job.result(timeout=60))
    # Room again: the one turned away asks again and is answered.
    assert "Michael Dell" in last_message(users[3].predict(QUESTION, api_name="/respond"))


def first_fn_index(http) -> int:
    config = http.get("/config").json()
    return next(d["id"] for d in config["dependencies"] if d.get("api_name") == "respond")


@pytest.mark.browser
def test_a_person_in_the_browser_sees_the_place_and_a_busy_message(held):
    server, release = held
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed (scripts/setup --test installs it)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            pages = []
            for _ in range(MAX_QUEUE + 1):
                page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                page.goto(server.url)
                page.wait_for_selector("#question textarea", timeout=30_000)
                pages.append(page)

            def ask(page, waits_for: str) -> None:
                page.fill("#question textarea", QUESTION)
                page.click("#ask")
                page.wait_for_function("text => document.querySelector('#chat').innerText"
                                       ".includes(text)", arg=waits_for, timeout=30_000)

            ask(pages[0], "…")  # being answered (held before its first word)
            ask(pages[1], "queue: 1/1")
            ask(pages[2], "queue: 2/2")
            for page in pages[1:3]:
                assert "Waiting for a turn" in page.inner_text("#chat")
            ask(pages[3], "Not answered: the server is busy")
            busy = pages[3]
            busy.wait_for_selector("text=This application is currently busy", timeout=10_000)
            assert busy.input_value("#question textarea") == QUESTION  # kept, to ask again

            release(1)
            pages[2].wait_for_function("() => document.querySelector('#chat').innerText"
                                       ".includes('queue: 1/1')", timeout=30_000)
            release(1000)
            for page in pages[:3]:
                page.wait_for_function("() => document.querySelector('#timings').innerText"
                                       ".includes('total')", timeout=30_000)
                assert "Michael Dell" in page.locator("#chat [data-testid='bot']").last.inner_text()
        finally:
            browser.close()


class HeldRemote(BaseHTTPRequestHandler):
    """An OpenAI-compatible generator server that starts each streamed answer only when the test
    lets it (`gate`), counting the answers it holds at once; the judge is answered at once."""

    gate = threading.Semaphore(0)
    holding = 0
    most = 0
    count = threading.Lock()

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        if not body.get("stream"):  # the judge: "yes"
            top = [{"token": "yes", "logprob": -0.01}, {"token": "no", "logprob": -5.0}]
            out = json.dumps({"choices": [{"message": {"content": "yes"}, "logprobs": {
                "content": [{"token": "yes", "logprob": -0.01, "top_logprobs": top}]}}]})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out.encode())
            return
        with HeldRemote.count:
            HeldRemote.holding += 1
            HeldRemote.most = max(HeldRemote.most, HeldRemote.holding)
        HeldRemote.gate.acquire(timeout=60)
        with HeldRemote.count:
            HeldRemote.holding -= 1
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        piece = {"choices": [{"delta": {"content": "Michael Dell [1]."}}]}
        self.wfile.write(f"data: {json.dumps(piece)}\n\ndata: [DONE]\n\n".encode())


@pytest.fixture
def remote(tmp_path_factory):
    """A server whose generator is remote (`runtime = "openai"`), and the held remote."""
    gen = ThreadingHTTPServer(("127.0.0.1", 0), HeldRemote)
    threading.Thread(target=gen.serve_forever, daemon=True).start()
    try:
        for server in seeded_server(tmp_path_factory, "chatr", "stand-in", env={
                "RAG_RUNTIME": "openai", "RAG_MAX_QUEUE": str(MAX_QUEUE),
                "RAG_GENERATOR_URL": f"http://127.0.0.1:{gen.server_address[1]}/v1"}):
            yield server
    finally:
        HeldRemote.gate.release(1000)
        gen.shutdown()


def test_with_a_remote_generator_the_chat_answers_several_at_once(remote):
    """A stateless replica in front of vLLM and its kind must not hold the chat to one answer at
    a time: with `max_queue` 3, three answers are with the remote server together, three more
    questions wait their turn, and the next asker is told the server is busy."""
    users = [client(remote) for _ in range(2 * MAX_QUEUE + 1)]
    jobs = [u.submit(QUESTION, api_name="/respond") for u in users[:MAX_QUEUE]]
    wait_for("three questions with the remote generator at once",
             lambda: HeldRemote.holding == MAX_QUEUE)
    waiting = [u.submit(QUESTION, api_name="/respond") for u in users[MAX_QUEUE:2 * MAX_QUEUE]]

    def places() -> list[int]:
        now = [w.status() for w in waiting]
        return sorted(u.rank for u in now if u.code == Status.IN_QUEUE and u.rank is not None)

    wait_for("three more questions given their places", lambda: places() == [0, 1, 2])
    with pytest.raises(QueueError, match="try again"):
        users[-1].submit(QUESTION, api_name="/respond").result(timeout=20)
    HeldRemote.gate.release(2 * MAX_QUEUE)
    for job in (*jobs, *waiting):
        assert "Michael Dell" in last_message(job.result(timeout=60))
    assert HeldRemote.most == MAX_QUEUE
