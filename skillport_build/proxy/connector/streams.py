"""The event streams of `GET /mcp`: a client may hold one open to hear from the server, and the
transport keeps it open for as long as the client does (pinging it), so a caller could hold any
number of sockets for ever. Here each person holds at most `limit` at once (429 beyond), and a
stream that has sent nothing but keep-alive comments for `idle` seconds is ended: the transport is
told the client went away, and the response is finished so the client sees the stream end (it may
reconnect, as the MCP transport lets it)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

import anyio
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class EventStreams:
    """Bound the `GET /mcp` streams per person and end idle ones (inside the bearer check)."""

    def __init__(self, app: ASGIApp, limit: int, idle: float) -> None:
        self.app, self.limit, self.idle = app, limit, idle
        self.open: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        user = scope.get("user")
        if scope["type"] != "http" or scope["method"] != "GET" or not isinstance(user, AuthenticatedUser):
            await self.app(scope, receive, send)
            return
        caller = user.access_token.subject or user.access_token.client_id
        if self.open[caller] >= self.limit:
            await _too_many(self.limit)(scope, receive, send)
            return
        self.open[caller] += 1
        try:
            await self._until_idle(scope, receive, send)
        finally:
            self.open[caller] -= 1
            if self.open[caller] <= 0:
                del self.open[caller]

    async def _until_idle(self, scope: Scope, receive: Receive, send: Send) -> None:
        stream = _Stream(self.idle, time.monotonic())

        async def watched(message: Message) -> None:
            stream.sent(message)
            await send(message)

        async def or_idle() -> Message:
            while (left := stream.left()) > 0:
                with anyio.move_on_after(left):
                    return await receive()
            stream.ended = True
            return {"type": "http.disconnect"}

        await self.app(scope, or_idle, watched)
        if stream.ended and stream.started and not stream.finished:
            await send({"type": "http.response.body", "body": b"", "more_body": False})


@dataclass
class _Stream:
    """What one response has sent, and when it last sent more than a keep-alive comment."""

    idle: float
    active: float
    started: bool = False
    finished: bool = False
    ended: bool = False

    def sent(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        elif message["type"] == "http.response.body":
            self.finished = not message.get("more_body", False)
            if not _only_comments(message.get("body", b"")):
                self.active = time.monotonic()

    def left(self) -> float:
        return self.active + self.idle - time.monotonic()


def _only_comments(body: bytes) -> bool:
    """True for server-sent-event keep-alives (`: ping`): every line empty or a comment."""
    return all(not line or line.startswith(b":") for line in body.splitlines())


def _too_many(limit: int) -> JSONResponse:
    return JSONResponse(
        {
            "error": "too_many_requests",
            "error_description": f"{limit} event streams are open for you already; close one first",
        },
        429,
        headers={"Retry-After": "30"},
    )
