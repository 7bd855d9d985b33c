"""The API's waiting line: clients at once are each told their place, and past the limit get a
503 with Retry-After, not a connection held open without a word (a real server, fake models);
and bench/load.py, which loads that line and the chat's together. The chat's own line is
tests/test_chat_queue.py."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.live_server import seeded_server
from ui.queue import Full, Gate

QUESTION = "Who confirmed the collaboration on Twitter?"


def test_the_gate_gives_places_and_refuses_past_its_limit():
    g = Gate(2)
    assert g.enter() == 1 and g.enter() == 2
    with pytest.raises(Full, match="retry in about 10 s") as e:
        g.enter()
    assert e.value.retry_after == 10  # no answer timed yet: a guess
    g.leave(6.0, place=2)  # 6 s from the second place: about 3 s an answer
    assert g.retry_after() == 3 and g.enter() == 2


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from seeded_server(tmp_path_factory, "queue", "fake-slow", env={"RAG_MAX_QUEUE": "3"})


def test_clients_past_the_limit_are_told_to_retry(server):
    def ask(_):
        with httpx.Client(base_url=server.url, timeout=60) as c:
            return c.post("/api/ask", json={"question": QUESTION})

    with ThreadPoolExecutor(8) as pool:
        rs = list(pool.map(ask, range(8)))
    ok = [r for r in rs if r.status_code == 200]
    busy = [r for r in rs if r.status_code == 503]
    assert len(ok) + len(busy) == 8 and 1 <= len(ok) and busy
    assert {int(r.headers["x-queue-position"]) for r in ok} <= {1, 2, 3}
    for r in busy:
        assert int(r.headers["retry-after"]) >= 1
        assert "retry in about" in r.json()["detail"]
    with httpx.Client(base_url=server.url, timeout=60) as c:
        assert c.get("/api/health").json()["queue"] == {"inside": 0, "limit": 3}
        with c.stream("POST", "/v1/chat/completions", json={
                "stream": True, "messages": [{"role": "user", "content": QUESTION}]}) as r:
            lines = [ln for ln in r.iter_lines() if ln]
        assert lines[0] == ": queue position 1" and r.headers["x-queue-position"] == "1"
        assert lines[-1] == "data: [DONE]"
        assert c.get("/api/health").json()["queue"]["inside"] == 0  # a stream leaves its place


def test_the_load_script_finds_no_errors_and_reports_latency(server):
    """On the chat (Gradio's queue protocol) and the API at once, more clients than either line
    holds: some answered, some told to retry, none failed, hung or told nothing."""
    import re
    import subprocess
    import sys

    from tests.conftest import ROOT

    r = subprocess.run([sys.executable, str(ROOT / "bench" / "load.py"), server.url,
                        "--target", "both", "--clients", "8", "--seconds", "6", "--every", "2",
                        "--timeout", "60", "--chat-retry", "1"],
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    for target in ("chat", "api"):
        done = re.search(rf"^{target}: (\d+) answered, (\d+) told to retry, 0 errors, 0 hung",
                         r.stdout, re.M)
        assert done, r.stdout
        assert int(done[1]) >= 1 and int(done[2]) >= 1, r.stdout  # 8 clients, a line of 3
        assert re.search(rf"^{target}: latency of answers: p50 \d", r.stdout, re.M), r.stdout
        assert f"{target}: places given on arrival: {{1: " in r.stdout
        assert re.search(rf"^{target}: .*answered without a place: 0$", r.stdout, re.M)
    assert "server RSS: start" in r.stdout


def test_the_load_script_only_loads_loopback():
    import subprocess
    import sys

    from tests.conftest import ROOT

    r = subprocess.run([sys.executable, str(ROOT / "bench" / "load.py"), "http://example.org"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "only loopback" in r.stderr
