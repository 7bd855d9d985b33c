"""A running `rag serve` answers from what `rag index` (another process) wrote, without a restart,
and a question already under way when the index changes is answered, not dropped."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import httpx
import pytest

from tests.conftest import ROOT
from tests.live_server import seeded_server

NEW = ("The Zorblatt Institute opened a quantum bakery in Reykjavik on Tuesday, its director "
       "Ingrid Halvorsen said.\n")
QUESTION = "Who is the director of the Zorblatt Institute?"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from seeded_server(tmp_path_factory, "live", "fake-slow")


def rag_index(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), RAG_PLUGINS="tests.fakes",
               RAG_EMBEDDER="fake-hash", RAG_CHUNK_TOKENS="60")
    return subprocess.run([sys.executable, "-m", "rag", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_server_sees_what_rag_index_wrote_and_drops_nothing_in_flight(server, tmp_path):
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "zorblatt.txt").write_text(NEW)
    with httpx.Client(base_url=server.url, timeout=120) as http:
        assert http.get("/api/health").json()["articles"] == 1
        before = http.post("/api/ask", json={"question": QUESTION}).json()
        assert before["refused"]

        in_flight: dict = {}

        def ask_slowly():
            with httpx.Client(base_url=server.url, timeout=120) as c:
                in_flight["r"] = c.post("/api/ask", json={
                    "question": "Who confirmed the collaboration on Twitter?"})

        t = threading.Thread(target=ask_slowly)
        t.start()
        r = rag_index("index", str(folder), "--index", server.index)  # while it is answered
        assert r.returncode == 0, r.stderr
        t.join(120)
        assert in_flight["r"].status_code == 200 and "Dell" in in_flight["r"].json()["answer"]

        after = http.post("/api/ask", json={"question": QUESTION}).json()
        assert not after["refused"] and "Ingrid Halvorsen" in after["answer"]
        assert http.get("/api/health").json()["articles"] == 2

        r = rag_index("remove", "zorblatt.txt", "--index", server.index)
        assert r.returncode == 0, r.stderr
        assert http.get("/api/health").json()["articles"] == 1
        assert http.post("/api/ask", json={"question": QUESTION}).json()["refused"]
    assert "Traceback" not in server.log_tail(100_000)


def test_a_new_version_that_does_not_load_leaves_the_old_one_serving(fake_pipeline, tmp_path):
    from pathlib import Path

    root = Path(fake_pipeline.index.path)
    before = fake_pipeline.facts()["articles"]
    (root / "v-999999").mkdir()
    (root / "v-999999" / "manifest.json").write_text("{broken")
    live = (root / "CURRENT").read_text()
    (root / "CURRENT").write_text("v-999999\n")
    try:
        assert not fake_pipeline.refresh()
        assert fake_pipeline.facts()["articles"] == before
        assert fake_pipeline.ask("Who confirmed the collaboration on Twitter?").citations
    finally:
        (root / "CURRENT").write_text(live)
