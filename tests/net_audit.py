"""Run `python -m MODULE ARGS...` with an audit hook that records, one JSON line each in LOG, every
socket connect, sendto and name lookup that does not stay on this machine:

    python tests/net_audit.py LOG MODULE [ARGS...]

Loopback addresses and Unix sockets are allowed (the server's own port, a llama.cpp child);
anything else is written to LOG with the Python stack that asked for it, so a test can fail on it
and say who did it. Left out: blocking the call (the test fails instead, with the culprit named),
and connections made by native code without Python (strace or a network namespace sees those).
"""

from __future__ import annotations

import ipaddress
import json
import runpy
import sys
import traceback

LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", ""}
EVENTS = {"socket.connect", "socket.sendto", "socket.getaddrinfo", "socket.gethostbyname",
          "socket.gethostbyname_ex", "socket.gethostbyaddr", "socket.getnameinfo"}


def _local(host) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").lower()
    if host in LOCAL_NAMES:
        return True
    try:
        addr = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False  # a name: looking it up may ask a DNS server
    return addr.is_loopback or addr.is_unspecified


def _host_of(event: str, args: tuple):
    if event in ("socket.connect", "socket.sendto"):
        address = args[1] if event == "socket.connect" else args[-1]
        if isinstance(address, (str, bytes)):  # a Unix socket path
            return None
        return address[0] if isinstance(address, tuple) and address else None
    return args[0] if args else None


def main() -> None:
    log_path, module, *rest = sys.argv[1:]
    log = open(log_path, "a", buffering=1, encoding="utf-8")

    def hook(event: str, args: tuple) -> None:
        if event not in EVENTS:
            return
        try:
            host = _host_of(event, args)
            if _local(host):
                return
            stack = "".join(traceback.format_stack(limit=12)[:-1])
            log.write(json.dumps({"event": event, "host": repr(host), "stack": stack}) + "\n")
        except Exception:  # noqa: BLE001 - an audit hook must never break the program
            pass

    sys.addaudithook(hook)
    sys.argv = [module, *rest]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
