"""Who may read and write, against real `rag serve` processes (fake models) with a real HTTP client:
Gradio's own upload and call routes as a script without a browser would use them, and /api/*."""

from __future__ import annotations

import base64
import html
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from rag.errors import ConfigError
from rag.index.store import Index
from tests.conftest import ROOT
from tests.live_server import seeded_server
from ui.access import Access, check_binding, credential, load_access
from ui.child import free_port

SHIPPED = "000_d2bc7125750b2eac.txt"
WRITER = "writer-token-0123456789"
READER = "reader-token-0123456789"
PWNED = "PWNED Pwnedson is the CEO of Dell Technologies, says this replacement article."


# ---- the rules, without a server ---------------------------------------------------------------
def test_tokens_come_from_the_environment_or_a_file_and_must_be_long(tmp_path):
    assert load_access(env={}) == Access()
    assert load_access(env={"RAG_WRITE_TOKEN": WRITER}).can_write(WRITER)
    f = tmp_path / "read.token"
    f.write_text(READER + "\n")
    assert load_access(read_file=str(f), env={}).read_token == READER
    assert load_access(env={"RAG_READ_TOKEN_FILE": str(f)}).read_token == READER
    with pytest.raises(ConfigError, match="at least 12"):
        load_access(env={"RAG_WRITE_TOKEN": "short"})
    with pytest.raises(ConfigError, match="cannot read"):
        load_access(write_file=str(tmp_path / "nope"), env={})
    with pytest.raises(ConfigError, match="public-read-only"):
        load_access(public=True, env={"RAG_WRITE_TOKEN": WRITER})


def test_credentials_and_their_checks():
    a = Access(READER, WRITER)
    basic = "Basic " + base64.b64encode(f"anyone:{READER}".encode()).decode()
    assert credential(basic) == READER and credential(f"Bearer {READER}") == READER
    assert a.can_read(basic) and a.can_read(f"Bearer {WRITER}")  # a writer reads too
    assert not a.can_read(None) and not a.can_read("Bearer wrong") and not a.can_read("Basic ###")
    assert not a.can_write(READER) and not a.can_write(None) and a.can_write(WRITER)
    assert not Access().can_write("") and Access().can_read(None)


def test_binding_beyond_loopback_needs_a_reader_token_or_the_public_flag():
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        check_binding(host, Access())
    for host in ("0.0.0.0", "::", "192.168.1.5", "example.org"):
        with pytest.raises(ConfigError, match="--public-read-only"):
            check_binding(host, Access(write_token=WRITER))
    check_binding("0.0.0.0", Access(read_token=READER))
    check_binding("0.0.0.0", Access(public=True))


def test_rag_serve_refuses_an_open_network_binding_at_once(tmp_path):
    r = subprocess.run([sys.executable, "-m", "rag", "serve", "--index", str(tmp_path / "none"),
                        "--host", "0.0.0.0", "--port", str(free_port())], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "--public-read-only" in r.stderr and "Traceback" not in r.stderr


# ---- a default server: nobody writes -----------------------------------------------------------
def gradio_upload(http: httpx.Client, name: str, data: bytes, **kw) -> httpx.Response:
    return http.post("/gradio_api/upload", files=[("files", (name, data))], **kw)


def gradio_call(http: httpx.Client, api: str, data: list, **kw) -> tuple[int, str]:
    """Gradio's two-step call: POST starts an event, GET streams its result (SSE)."""
    r = http.post(f"/gradio_api/call/{api}", json={"data": data}, **kw)
    if r.status_code != 200:
        return r.status_code, r.text
    event = r.json()["event_id"]
    r = http.get(f"/gradio_api/call/{api}/{event}", **kw)
    data = [ln[6:] for ln in r.text.splitlines() if ln.startswith("data: ")]
    try:  # the first output, as the chat shows it (entities decoded)
        return r.status_code, html.unescape(str(json.loads(data[-1])[0]))
    except (IndexError, ValueError, TypeError, KeyError):
        return r.status_code, r.text


def upload_data(paths: list[str], name: str) -> list[dict]:
    return [{"path": p, "orig_name": name, "meta": {"_type": "gradio.FileData"}} for p in paths]


@pytest.fixture(scope="module")
def closed(tmp_path_factory):
    yield from seeded_server(tmp_path_factory, "closed", "fake-extractive")


def test_a_server_without_a_writer_token_takes_no_uploads(closed):
    with httpx.Client(base_url=closed.url, timeout=30) as http:
        r = gradio_upload(http, "x.jsonl", b'{"id": "%s", "text": "%s"}\n' % (
            SHIPPED.encode(), PWNED.encode()))
        assert r.status_code == 403 and "adding articles is off" in r.json()["detail"]
        status, text = gradio_call(http, "add_files", [[], None])
        assert status == 404 and "no such API" in text
        assert "Adding articles is off" in http.get("/config").text
    assert Index.open(closed.index).articles[SHIPPED].text.startswith("In a significant")


# ---- a server with a writer token --------------------------------------------------------------
@pytest.fixture(scope="module")
def writable(tmp_path_factory):
    yield from seeded_server(tmp_path_factory, "writable", "fake-extractive",
                             env={"RAG_WRITE_TOKEN": WRITER})


def test_uploads_need_the_writer_token_and_never_replace_a_shipped_article(writable):
    line = json.dumps({"id": SHIPPED, "title": "Dell", "text": PWNED}).encode() + b"\n"
    with httpx.Client(base_url=writable.url, timeout=60) as http:
        for token in (None, "", "wrong-token-but-long-enough"):
            paths = gradio_upload(http, "evil.jsonl", line).json()
            status, text = gradio_call(http, "add_files", [upload_data(paths, "evil.jsonl"), token])
            assert status == 200 and "Wrong or missing writer token" in text, text
        assert not (Path(writable.index) / "uploads").exists()

        paths = gradio_upload(http, "evil.jsonl", line).json()
        status, text = gradio_call(http, "add_files", [upload_data(paths, "evil.jsonl"), WRITER])
        assert status == 200 and "1 added" in text, text
        arts = Index.open(writable.index).articles
        assert arts[SHIPPED].text.startswith("In a significant")  # untouched
        assert arts["upload-" + SHIPPED].text == PWNED  # in the uploads' own namespace
        # Another upload claiming that id (prefixed or not) is refused with a message.
        paths = gradio_upload(http, "other.jsonl", line).json()
        status, text = gradio_call(http, "add_files", [upload_data(paths, "other.jsonl"), WRITER])
        assert "is taken by upload-evil.jsonl" in text and "cannot replace" in text, text
        assert Index.open(writable.index).articles["upload-" + SHIPPED].source.endswith(
            "upload-evil.jsonl:1")
        # The shipped article still answers its question.
        got = http.post("/api/ask", json={"question": "Who is the CEO of Dell Technologies?"})
        assert got.status_code == 200


# ---- a server that protects reading too ----------------------------------------------------
@pytest.fixture(scope="module")
def private(tmp_path_factory):
    yield from seeded_server(tmp_path_factory, "private", "fake-extractive",
                             env={"RAG_READ_TOKEN": READER, "RAG_WRITE_TOKEN": WRITER},
                             headers={"Authorization": f"Bearer {READER}"})


def test_reading_can_need_a_token_on_every_route(private):
    with httpx.Client(base_url=private.url, timeout=60) as http:
        for method, path in (("GET", "/"), ("GET", "/config"), ("GET", "/api/health"),
                             ("POST", "/api/ask"), ("POST", "/v1/chat/completions"),
                             ("GET", "/api/openapi.json"), ("POST", "/gradio_api/upload"),
                             ("POST", "/gradio_api/call/respond")):
            r = http.request(method, path, json={"question": "Who?"})
            assert r.status_code == 401, (path, r.status_code)
            assert r.headers["www-authenticate"].startswith("Basic")
            assert "needs a token" in r.json()["detail"]
        r = http.get("/api/health", headers={"Authorization": "Bearer nope-nope-nope"})
        assert r.status_code == 401
        basic = base64.b64encode(f"me:{READER}".encode()).decode()
        assert http.get("/", headers={"Authorization": f"Basic {basic}"}).status_code == 200
        for token in (READER, WRITER):
            r = http.post("/api/ask", json={"question": "Who is the CEO of Dell Technologies?"},
                          headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200 and r.json()["answer"]


def test_the_startup_line_says_what_is_exposed(private, writable, closed):
    assert "reading needs the reader token; adding articles with the writer token" \
        in private.log_tail()
    assert "reading open to anyone who can connect; adding articles off" in closed.log_tail()


def test_public_read_only_serves_beyond_loopback_with_writing_off(tmp_path_factory):
    gen = seeded_server(tmp_path_factory, "public", "fake-extractive",
                        args=["--host", "0.0.0.0", "--public-read-only"])
    srv = next(gen)
    try:
        assert "at http://0.0.0.0:" in srv.log_tail()
        assert "reading open to anyone who can connect; adding articles off" in srv.log_tail()
        with httpx.Client(base_url=srv.url, timeout=30) as http:
            assert gradio_upload(http, "a.txt", b"hello there").status_code == 403
    finally:
        gen.close()

