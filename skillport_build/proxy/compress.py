"""Content-encoding of the big catalog answers: zstd or gzip, whichever the client accepts.

Only the answers made from the signed catalog are compressed — the skill lists, a skill's detail,
the Claude Code marketplace, the discovery index — never a page or an answer that carries a secret
(a token, a session, a CSRF field): compressing secrets next to text a requester chooses lets them
be guessed from the answer's length (BREACH). What is compressed is the exact JSON the proxy would
send otherwise, so a signed record inside it decodes to the bytes its signature covers.

Answers are mostly the same body object, cached per audience (Proxy.answer), so the encoded bytes
are kept too, keyed by the body itself (a hit compares the whole body, never only a hash).
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict
from collections.abc import Callable

import zstandard
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PATHS = frozenset(
    {
        "/api/skills",
        "/claude-code/marketplace.json",
        "/.well-known/skills/index.json",
        "/.well-known/agent-skills/index.json",
    }
)
MINIMUM = 1024  # bytes: below this the headers cost more than compression saves
KEPT_BYTES = 64 * 1024 * 1024  # encoded answers kept, all encodings together
ZSTD_LEVEL, GZIP_LEVEL = 3, 5
ENCODERS: dict[str, Callable[[bytes], bytes]] = {
    "zstd": lambda body: zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(body),
    "gzip": lambda body: gzip.compress(body, GZIP_LEVEL, mtime=0),
}


def chosen(accept_encoding: str) -> str | None:
    """The encoding to answer with: zstd, else gzip, among those accepted with a q above 0."""
    accepted: dict[str, float] = {}
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        accepted[name.strip()] = q
    for name in ENCODERS:
        if accepted.get(name, accepted.get("*", 0.0)) > 0:
            return name
    return None


def compressible(path: str) -> bool:
    """Whether the answer at `path` is one of the catalog answers (see the module's docstring)."""
    return path in PATHS or (path.startswith("/api/skills/") and not path.endswith("/link"))


class Encoded:
    """Encoded bodies by (encoding, body), least recently used dropped past `limit` bytes."""

    def __init__(self, limit: int = KEPT_BYTES) -> None:
        self.limit = limit
        self._items: OrderedDict[tuple[str, int, int], tuple[bytes, bytes]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def encode(self, encoding: str, body: bytes) -> bytes:
        """`body` encoded (from the cache when this very body was encoded before)."""
        key = (encoding, hash(body), len(body))  # bytes keep their hash: O(1) for a cached body
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and (hit[0] is body or hit[0] == body):
                self._items.move_to_end(key)
                return hit[1]
        encoded = ENCODERS[encoding](body)
        with self._lock:
            if key not in self._items and len(encoded) <= self.limit:
                self._items[key] = (body, encoded)
                self._size += len(encoded)
            while self._size > self.limit:
                _, (_, dropped) = self._items.popitem(last=False)
                self._size -= len(dropped)
        return encoded


class Compress:
    """ASGI middleware: encode the catalog answers for clients that accept zstd or gzip."""

    def __init__(self, app: ASGIApp, minimum: int = MINIMUM) -> None:
        self.app, self.minimum = app, minimum
        self.encoded = Encoded()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not compressible(scope["path"]):
            await self.app(scope, receive, send)
            return
        encoding = chosen(Headers(scope=scope).get("accept-encoding", ""))
        start: Message | None = None
        parts: list[bytes] = []

        async def sending(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            parts.append(message.get("body", b""))
            if message.get("more_body"):
                return
            await self._answer(start, b"".join(parts), encoding, send)

        await self.app(scope, receive, sending)

    async def _answer(self, start: Message, body: bytes, encoding: str | None, send: Send) -> None:
        headers = MutableHeaders(scope=start)
        if start["status"] == 200 and "content-encoding" not in headers:
            headers.add_vary_header("Accept-Encoding")
            if encoding is not None and len(body) >= self.minimum:
                body = self.encoded.encode(encoding, body)
                headers["Content-Encoding"] = encoding
                headers["Content-Length"] = str(len(body))
        await send(start)
        await send({"type": "http.response.body", "body": body})
