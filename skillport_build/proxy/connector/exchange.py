"""A `POST /mcp` request of the handshake era, answered in the request's own task.

The connector's transport is stateless with JSON answers, so every request of the handshake-era
protocol (the one `initialize` opens) is one exchange: one JSON-RPC request in, one JSON answer out,
no session and no way for the server to ask the client anything. The SDK still serves each such
request the way it serves a session: a fresh transport, a task in its task group, memory streams
in both directions and a dispatcher reading them. That costs more than a search itself (about
1.5 ms of the 2 ms a `search_skills` call may take in the server at 10,000 skills).

`Exchange` serves the same requests straight through the SDK's own single-request entry
(`serve_one`, the one it uses for the stateless protocol era), and answers as the legacy transport
does: the result, or a JSON-RPC error in a 200 answer mapped as the SDK's dispatcher maps it. It
takes only a request the SDK would accept (JSON accepted, a JSON body, one valid JSON-RPC request
that is not `initialize`, no session id, a handshake-era version or none); everything else
(refusals, `initialize`, notifications, batches, GET and DELETE, the newer protocol era) goes on to
the SDK, with any body already read handed on, so the SDK still words every refusal.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio
import pydantic_core
from mcp.server.connection import Connection
from mcp.server.lowlevel.server import Server
from mcp.server.runner import serve_one
from mcp.server.streamable_http import CONTENT_TYPE_JSON, MCP_SESSION_ID_HEADER, check_accept_headers
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.transport_security import RequestBodyLimitMiddleware, TransportSecurityMiddleware
from mcp.shared.dispatcher import CallOptions
from mcp.shared.exceptions import NoBackChannelError
from mcp.shared.inbound import MCP_PROTOCOL_VERSION_HEADER
from mcp.shared.jsonrpc_dispatcher import handler_exception_to_error_data, progress_token_from_params
from mcp.shared.message import MessageMetadata, ServerMessageMetadata
from mcp.shared.transport_context import TransportContext
from mcp_types import (
    DEFAULT_NEGOTIATED_VERSION,
    ErrorData,
    JSONRPCError,
    JSONRPCRequest,
    JSONRPCResponse,
    ProgressToken,
    RequestId,
    jsonrpc_message_adapter,
)
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

VERSION_HEADER = MCP_PROTOCOL_VERSION_HEADER.lower().encode("latin-1")  # as ASGI names headers
SESSION_HEADER = MCP_SESSION_ID_HEADER.lower().encode("latin-1")


@dataclass
class _Context:
    """The SDK's `DispatchContext` for one exchange: no back-channel (a JSON answer carries only the
    result), and notifications or progress have no wire to go on, so they are dropped."""

    transport: TransportContext
    request_id: RequestId
    message_metadata: MessageMetadata
    progress_token: ProgressToken | None = None
    cancel_requested: anyio.Event = field(default_factory=anyio.Event)
    can_send_request: bool = field(default=False, init=False)

    async def send_raw_request(
        self, method: str, params: Mapping[str, Any] | None, opts: CallOptions | None = None
    ) -> dict[str, Any]:
        raise NoBackChannelError(method)

    async def notify(
        self, method: str, params: Mapping[str, Any] | None, opts: CallOptions | None = None
    ) -> None:
        return None

    async def progress(self, progress: float, total: float | None = None, message: str | None = None) -> None:
        return None


def one_exchange(sessions: StreamableHTTPSessionManager) -> ASGIApp:
    """The transport's app with handshake-era requests answered in their own task, inside the
    SDK's body-size limit."""
    return RequestBodyLimitMiddleware(
        Exchange(StreamableHTTPASGIApp(sessions), sessions), sessions.max_request_body_size
    )


class Exchange:
    """In front of the SDK's transport app: serve one handshake-era request in this task."""

    def __init__(self, app: ASGIApp, sessions: StreamableHTTPSessionManager) -> None:
        if not (sessions.stateless and sessions.json_response):
            raise ValueError("one-exchange answers need a stateless transport with JSON responses")
        self.app, self.sessions = app, sessions
        self.security = TransportSecurityMiddleware(sessions.security_settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(reversed(scope["headers"]))  # a repeated header: its first value, as the SDK reads it
        version = headers.get(VERSION_HEADER)
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or SESSION_HEADER in headers
            or (version is not None and version.decode("latin-1") not in HANDSHAKE_PROTOCOL_VERSIONS)
        ):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        if not check_accept_headers(request)[0] or await self.security.validate_request(
            request, is_post=True
        ):
            await self.app(scope, receive, send)  # the SDK words these refusals
            return
        body = await request.body()
        message = _request(body)
        if message is None:
            await self.app(scope, _replaying(body, receive), send)
            return
        version_text = version.decode("latin-1") if version is not None else DEFAULT_NEGOTIATED_VERSION
        await _json(await self._answer(request, message, version_text))(scope, receive, send)

    async def _answer(
        self, request: Request, message: JSONRPCRequest, version: str
    ) -> JSONRPCResponse | JSONRPCError:
        """The request's result, or its error as the SDK's dispatcher words it."""
        server: Server[Any] = self.sessions.app
        context = _Context(
            transport=TransportContext(
                kind="streamable-http", can_send_request=False, headers=request.headers
            ),
            request_id=message.id,
            message_metadata=ServerMessageMetadata(request_context=request, can_send_request=False),
            progress_token=progress_token_from_params(message.params),
        )
        try:
            result = await serve_one(
                server,
                context,
                message.method,
                message.params,
                connection=Connection.from_envelope(version, None, None),
                lifespan_state=self.sessions._lifespan_state,  # set while the transport runs
            )
        except Exception as exc:
            error = handler_exception_to_error_data(exc)
            if error is None:
                logger.exception("handler for %r raised", message.method)
                error = ErrorData(code=0, message=str(exc))  # as the SDK's dispatcher answers
            return JSONRPCError(jsonrpc="2.0", id=message.id, error=error)
        return JSONRPCResponse(jsonrpc="2.0", id=message.id, result=result)


def _request(body: bytes) -> JSONRPCRequest | None:
    """The body as one JSON-RPC request other than `initialize`; None for anything else."""
    try:
        message = jsonrpc_message_adapter.validate_python(pydantic_core.from_json(body), by_name=False)
    except (ValueError, ValidationError):  # the SDK answers these with its 400
        return None
    if isinstance(message, JSONRPCRequest) and message.method != "initialize":
        return message
    return None


def _json(answer: JSONRPCResponse | JSONRPCError) -> Response:
    return Response(answer.model_dump_json(by_alias=True, exclude_unset=True), media_type=CONTENT_TYPE_JSON)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands on the body already read, then whatever comes next."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay
