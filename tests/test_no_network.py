"""Nothing phones home, at the socket level: a real `rag serve` used as a person would (the page,
the chat, the API) opens no socket beyond loopback and looks up no name.

Two witnesses: an audit hook in the server's Python (tests/net_audit.py: every connect and name
lookup Python makes, with the stack that made it), and, where strace is installed, strace on the
whole process tree, which also sees native code (onnxruntime's telemetry was found that way).
The fast test serves the fake models; the slow one the real ones (onnxruntime, llama.cpp, torch).
"""

from __future__ import annotations

import ipaddress
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, SEEDS
from tests.live_server import start_server
from ui.child import LiveServer

STRACE = shutil.which("strace")
INET = re.compile(r"(connect|sendto|sendmsg)\(.*sa_family=AF_INET6?,\s*sin6?_port=htons\((\d+)\),"
                  r".*?(?:inet_addr|inet_pton\(AF_INET6?,)\(?\"([^\"]+)\"")


def audited_server(tmp: Path, fake: bool) -> tuple[LiveServer, Path, Path | None]:
    netlog, trace = tmp / "net.jsonl", (tmp / "strace.log" if STRACE else None)
    launcher = [sys.executable, str(ROOT / "tests" / "net_audit.py"), str(netlog)]
    if trace:
        launcher = [STRACE, "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(trace),
                    *launcher]
    kw = {} if fake else {"generator": "qwen2.5-coder-1.5b", "fake": False, "timeout": 600}
    srv = start_server(tmp / "index", tmp / "serve.log", sources=[str(SEEDS / SEEDED)],
                       launcher=launcher, **kw)
    return srv, netlog, trace


SEEDED = "000_d2bc7125750b2eac.txt"


def use_it(url: str, timeout: float) -> None:
    """What a person does: open the page, ask in the chat, ask through the API."""
    with httpx.Client(base_url=url, timeout=timeout) as http:
        assert http.get("/").status_code == 200
        assert http.get("/config").status_code == 200
        r = http.post("/api/ask", json={"question": "Who is the CEO of Dell Technologies?"})
        assert r.status_code == 200, r.text
        r = http.post("/v1/chat/completions", json={"messages": [
            {"role": "user", "content": "Which startup is developing Grok?"}]})
        assert r.status_code == 200, r.text
        event = http.post("/gradio_api/call/respond", json={
            "data": ["Who confirmed the collaboration on Twitter?", None]}).json()["event_id"]
        assert "event: complete" in http.get(f"/gradio_api/call/respond/{event}").text


def stop(srv: LiveServer) -> None:
    """strace leaves its tracee running when it is stopped itself: stop the server first."""
    children = subprocess.run(["pgrep", "-P", str(srv.proc.pid)], capture_output=True,
                              text=True).stdout.split()
    for pid in children:
        subprocess.run(["kill", pid], check=False)
    time.sleep(0.5)
    srv.stop()


def outbound(netlog: Path, trace: Path | None) -> list[str]:
    found = []
    if netlog.exists():
        for line in netlog.read_text().splitlines():
            d = json.loads(line)
            found.append(f"python {d['event']} {d['host']}\n{d['stack']}")
    if trace is not None and trace.exists():
        for line in trace.read_text().splitlines():
            m = INET.search(line)
            if m and not ipaddress.ip_address(m.group(3)).is_loopback:
                found.append(f"native {line.strip()}")
    return found


def check_server(tmp: Path, fake: bool, timeout: float) -> None:
    srv, netlog, trace = audited_server(tmp, fake)
    try:
        use_it(srv.url, timeout)
    finally:
        stop(srv)
    if trace is not None:
        assert trace.exists() and "sendto(" in trace.read_text()  # strace saw the replies
    calls = outbound(netlog, trace)
    assert not calls, "outbound calls:\n" + "\n".join(calls[:5])


def test_the_pattern_finds_an_outbound_dns_query():
    line = ('28196 connect(32, {sa_family=AF_INET, sin_port=htons(53), '
            'sin_addr=inet_addr("10.255.255.53")}, 16) = 0')
    assert INET.search(line).group(3) == "10.255.255.53"
    local = line.replace("10.255.255.53", "127.0.0.1")
    assert ipaddress.ip_address(INET.search(local).group(3)).is_loopback


def test_the_audit_hook_reports_a_lookup(tmp_path):
    log = tmp_path / "net.jsonl"
    script = tmp_path / "probe.py"
    # AI_NUMERICHOST: the hook sees the lookup, and no query leaves this machine.
    script.write_text("import socket\ntry:\n    socket.getaddrinfo('example.invalid', 80, "
                      "flags=socket.AI_NUMERICHOST)\nexcept OSError:\n    pass\n"
                      "socket.getaddrinfo('localhost', 80)\n")
    subprocess.run([sys.executable, str(ROOT / "tests" / "net_audit.py"), str(log), "probe"],
                   cwd=tmp_path, env={"PYTHONPATH": str(tmp_path)}, timeout=60, check=True)
    (entry,) = [json.loads(x) for x in log.read_text().splitlines()]
    assert "example.invalid" in entry["host"] and "probe.py" in entry["stack"]


def test_the_served_chat_and_api_make_no_outbound_call(tmp_path):
    check_server(tmp_path, fake=True, timeout=60)


@pytest.mark.slow
def test_the_real_models_make_no_outbound_call(tmp_path):
    check_server(tmp_path, fake=False, timeout=600)
