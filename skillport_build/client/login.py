"""`skillport login URL`: sign in with the browser and get a personal token for this computer (or
check a pasted token).

The loopback flow of RFC 8252 with PKCE (RFC 7636): the CLI listens on 127.0.0.1 (a port the system
picks) for one request and opens `URL/cli/login?port=&state=&challenge=`. Once the person has signed
in, the proxy's page links to `http://127.0.0.1:<port>/callback?code=&state=`. The code is worth
nothing without the verifier only this process knows; the two are traded for a token.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlencode, urlsplit

from skillport_build.client.api import Client
from skillport_build.errors import ClientError
from skillport_build.models.api import TokenGrant

TIMEOUT = 300.0
DONE_PAGE = (
    "<!doctype html><meta charset=utf-8><title>skillport</title>"
    "<p>Signed in. You can close this tab and go back to the terminal.</p>"
)
WRONG_PAGE = (
    "<!doctype html><meta charset=utf-8><title>skillport</title>"
    "<p>This sign-in is not the one the waiting skillport command started. Run "
    "<code>skillport login</code> again.</p>"
)


@dataclass(frozen=True)
class Pkce:
    """A PKCE pair: the verifier stays here, the challenge goes to the browser."""

    verifier: str
    challenge: str


def new_pkce() -> Pkce:
    """A fresh verifier and its S256 challenge (base64url, no padding, 43 characters)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return Pkce(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode())


def login_url(base_url: str, port: int, state: str, challenge: str) -> str:
    """The page the person opens to hand this command a code."""
    return f"{base_url}/cli/login?{urlencode({'port': port, 'state': state, 'challenge': challenge})}"


class Callback:
    """A one-shot HTTP server on 127.0.0.1 that waits for the browser to bring the code."""

    def __init__(self, state: str) -> None:
        self.state = state
        self.code: str | None = None
        self._received = threading.Event()
        self._server = HTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def port(self) -> int:
        """The port the system picked."""
        return int(self._server.server_address[1])

    def __enter__(self) -> Callback:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def take(self, path: str) -> tuple[int, str]:
        """Answer one request to the loopback server: the status and the page."""
        parts = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path != "/callback" or self._received.is_set():
            return 404, WRONG_PAGE
        if not secrets.compare_digest(query.get("state", ""), self.state) or not query.get("code"):
            return 400, WRONG_PAGE
        self.code = query["code"]
        self._received.set()
        return 200, DONE_PAGE

    def wait(self, timeout: float) -> str:
        """The code, once the browser brings it; Ctrl-C stops the wait."""
        deadline = time.monotonic() + timeout
        while not self._received.wait(0.2):
            if time.monotonic() > deadline:
                took = f"{round(timeout / 60)} minutes" if timeout >= 60 else f"{timeout:g} seconds"
                raise ClientError(f"no sign-in arrived within {took}; run `skillport login` again")
        assert self.code is not None
        return self.code


def _handler(callback: Callback) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, page = callback.take(self.path)
            body = page.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Referrer-Policy", "no-referrer")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Keep the terminal quiet."""

    return Handler


def browser_login(
    client: Client,
    show: Callable[[str], None],
    open_browser: Callable[[str], object] | None,
    timeout: float = TIMEOUT,
) -> TokenGrant:
    """Sign in through the browser; `show` tells the person the URL, `open_browser` opens it."""
    pkce = new_pkce()
    with Callback(secrets.token_urlsafe(24)) as callback:
        url = login_url(client.base_url, callback.port, callback.state, pkce.challenge)
        show(url)
        if open_browser is not None:
            open_browser(url)
        code = callback.wait(timeout)
    return client.exchange_code(code, pkce.verifier, socket.gethostname())


def check_token(base_url: str, token: str) -> str:
    """Try a pasted token with one small request, so a wrong one is refused before it is saved;
    returns the email it belongs to."""
    with Client(base_url, token) as client:
        return client.whoami().email
