"""Connections that hold a worker without asking anything: uvicorn (h11 or httptools) arms its
keep-alive timer only once a response has finished, so a client that connects and sends nothing, or
half a request line and then nothing, or its headers a byte at a time, would keep its socket (an
open file) for ever. The protocols here give every request a deadline for its headers and a cap on
their size, then close the connection."""

from __future__ import annotations

import asyncio
from typing import ClassVar

import h11
from uvicorn.protocols.http.auto import AutoHTTPProtocol
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class HeaderDeadline(asyncio.Protocol):
    """Close a connection whose next request's headers are not all in within `header_timeout`
    seconds (from the connection, or from the end of the previous response), or that sends more
    than `max_header_bytes` of them."""

    header_timeout: ClassVar[float] = 10.0
    max_header_bytes: ClassVar[int] = 65536
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    timeout_keep_alive_task: asyncio.TimerHandle | None
    _deadline: asyncio.TimerHandle | None = None
    _header_bytes = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        waiting = self._deadline is not None
        self._header_bytes += len(data)
        super().data_received(data)
        if waiting and self._deadline is not None and self._header_bytes > self.max_header_bytes:
            self._cut_off()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_bytes = 0
        self._deadline = self.loop.call_later(self.header_timeout, self._cut_off)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _rearm_when_idle(self) -> None:
        """After a response: the next request's clock starts when keep-alive waiting does (not
        while a pipelined request is already being answered)."""
        if self.timeout_keep_alive_task is not None:
            self._arm()

    def _cut_off(self) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self.transport.close()


class HttpToolsDeadline(HeaderDeadline, HttpToolsProtocol):
    """uvicorn's httptools protocol with a header deadline."""

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._rearm_when_idle()


class H11Deadline(HeaderDeadline, H11Protocol):
    """uvicorn's h11 protocol with a header deadline."""

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:  # a request line and headers came in
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._rearm_when_idle()


def header_deadline(header_timeout: float, max_header_bytes: int) -> type[asyncio.Protocol]:
    """The protocol uvicorn would pick (`http="auto"`), with these limits, for `uvicorn.Config(http=...)`."""
    base: type[HeaderDeadline] = HttpToolsDeadline if AutoHTTPProtocol is HttpToolsProtocol else H11Deadline
    limits = {"header_timeout": header_timeout, "max_header_bytes": max_header_bytes}
    return type(base.__name__, (base,), limits)
