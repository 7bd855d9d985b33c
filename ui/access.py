"""Who may read and who may change the articles: tokens, the reading guard, the binding rule.

    RAG_WRITE_TOKEN, or a file named by RAG_WRITE_TOKEN_FILE / `--write-token-file`:
        adding articles (the chat's "Add articles") is on, for whoever gives this token;
        without it adding articles is off, and the upload routes answer 403
    RAG_READ_TOKEN, or a file named by RAG_READ_TOKEN_FILE / `--read-token-file`:
        every route asks for it: `Authorization: Bearer TOKEN`, or HTTP Basic with any user name
        and the token as password (what a browser's own login prompt sends); the writer token
        reads too

Tokens come from the environment or a file, never from the command line, where `ps` would show
them to every user of the machine. They are compared in constant time. A server bound beyond
loopback must protect reading, or be told `--public-read-only`, which also turns writing off.
Left out: user accounts, sessions and TLS (put a proxy in front for those).
"""

from __future__ import annotations

import base64
import hmac
import ipaddress
import json
import os
from dataclasses import dataclass
from pathlib import Path

from rag.errors import ConfigError

MIN_TOKEN_CHARS = 12
DRAIN_BYTES = 1024 * 1024
# Gradio's routes that store a file or start adding articles: closed when writing is off.
UPLOAD_PATHS = ("/gradio_api/upload", "/upload")


@dataclass(frozen=True)
class Access:
    read_token: str | None = None
    write_token: str | None = None
    public: bool = False  # --public-read-only: reading open to anyone who reaches the server

    @property
    def writes(self) -> bool:
        return self.write_token is not None

    def can_write(self, token: str | None) -> bool:
        return self.writes and _same(token, self.write_token)

    def can_read(self, authorization: str | None) -> bool:
        if self.read_token is None:
            return True
        given = credential(authorization)
        return _same(given, self.read_token) or (self.writes and _same(given, self.write_token))

    def describe(self) -> str:
        """What the startup line says is exposed."""
        read = "needs the reader token" if self.read_token else "open to anyone who can connect"
        write = "with the writer token" if self.writes else "off"
        return f"reading {read}; adding articles {write}"


def credential(authorization: str | None) -> str | None:
    """The token in an Authorization header: Bearer TOKEN, or Basic's password."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2]
    return None


def _same(given: str | None, token: str | None) -> bool:
    if not given or not token:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), token.encode("utf-8"))


def load_access(read_file: str | None = None, write_file: str | None = None,
                public: bool = False, env: dict | None = None) -> Access:
    """The tokens from the environment or files; ConfigError for a missing, empty or short one."""
    env = os.environ if env is None else env
    read = _token("read", env, read_file)
    write = _token("write", env, write_file)
    if public and write:
        raise ConfigError("--public-read-only serves the articles to anyone and lets nobody change "
                          "them: unset RAG_WRITE_TOKEN (or drop --write-token-file), or drop "
                          "--public-read-only")
    return Access(read, write, public)


def _token(kind: str, env, path: str | None) -> str | None:
    name = f"RAG_{kind.upper()}_TOKEN"
    path = path or env.get(f"{name}_FILE")
    if path:
        try:
            token = Path(path).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"cannot read the {kind} token file {path}: {e}") from None
        where = path
    else:
        token = (env.get(name) or "").strip()
        where = name
        if not token:
            return None
    if len(token) < MIN_TOKEN_CHARS:
        raise ConfigError(f"the {kind} token in {where} is {len(token)} characters; use at least "
                          f"{MIN_TOKEN_CHARS} (for example `python -c \"import secrets; "
                          "print(secrets.token_urlsafe())\"`)")
    return token


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


def check_binding(host: str, access: Access) -> None:
    """Refuse to open an unprotected server beyond this machine unless told it is public."""
    if is_loopback(host) or access.read_token or access.public:
        return
    raise ConfigError(
        f"--host {host} serves beyond this machine, and reading is not protected: set "
        "RAG_READ_TOKEN (or --read-token-file) to ask for a token, or pass --public-read-only to "
        "serve the articles to anyone who can connect, with adding articles off")


class Guard:
    """ASGI middleware: every request needs the reader token (when one is set), the upload
    routes are closed while writing is off."""

    def __init__(self, app, access: Access):
        self.app = app
        self.access = access

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if not self.access.can_read(headers.get("authorization")):
            return await _refuse(scope, receive, send, 401, "this server needs a token: send "
                                 "`Authorization: Bearer TOKEN` (or log in with the token as "
                                 "password)", {"www-authenticate": 'Basic realm="rag", '
                                                                   'charset="UTF-8"'})
        path = scope.get("path", "")
        if not self.access.writes and path.rstrip("/") in UPLOAD_PATHS:
            return await _refuse(scope, receive, send, 403, "adding articles is off on this "
                                 "server: its operator can turn it on with a writer token "
                                 "(docs/serve.md)")
        return await self.app(scope, receive, send)


async def _refuse(scope, receive, send, status: int, message: str,
                  extra: dict | None = None) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    # A body left unread makes the server reset the connection before the client reads the
    # answer; a small one is read and dropped (a large one may still see the reset).
    left = DRAIN_BYTES
    while left > 0:
        message_in = await receive()
        left -= len(message_in.get("body", b""))
        if message_in["type"] != "http.request" or not message_in.get("more_body"):
            break
    body = json.dumps({"detail": message, "error": {"message": message,
                                                    "type": "authentication_error"}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
