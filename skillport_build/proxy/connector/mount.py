"""The connector's place in the proxy: the routes it adds (/mcp, the OAuth endpoints, the two
metadata documents, the consent page) and the task group its transport runs in.

/mcp is guarded in this order: a credential in the query string is refused (400); a browser
`Origin` that is not the proxy's own (or configured) is refused (403); the bearer token must be
live and issued for this proxy's /mcp (RFC 8707 audience) or be a personal token (401 with
`resource_metadata`), and carry `skills:read` (403 `insufficient_scope`); then the caller's rate;
then, for a `GET` event stream, the number the person holds open and its idle time (streams.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from mcp.server.auth.handlers.metadata import MetadataHandler, ProtectedResourceMetadataHandler
from mcp.server.auth.middleware.auth_context import AuthContextMiddleware
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser, BearerAuthBackend, RequireAuthMiddleware
from mcp.server.auth.middleware.client_auth import AuthenticationError, ClientAuthenticator
from mcp.server.auth.routes import (
    build_metadata,
    build_resource_metadata_url,
    cors_middleware,
    create_auth_routes,
)
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.auth import ProtectedResourceMetadata
from pydantic import AnyHttpUrl
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from skillport_build.proxy.config import ServeConfig, is_loopback
from skillport_build.proxy.connector import consent
from skillport_build.proxy.connector.documents import ClientDocuments
from skillport_build.proxy.connector.editing import proposer_for
from skillport_build.proxy.connector.exchange import one_exchange
from skillport_build.proxy.connector.grants import Grants
from skillport_build.proxy.connector.provider import SCOPE_READ, SCOPES, AuthProvider, allowed_redirect
from skillport_build.proxy.connector.registration import Registration
from skillport_build.proxy.connector.server import build_server
from skillport_build.proxy.connector.skills_ext import SkillFiles
from skillport_build.proxy.connector.streams import EventStreams
from skillport_build.proxy.connector.tools import Tools
from skillport_build.proxy.guard import AuditThrottle, RateLimiter, address, audit_refusal
from skillport_build.proxy.identity import bearer, token_in_query
from skillport_build.proxy.service import Proxy
from skillport_build.proxy.state import State

PROTECTED_RESOURCE = "/.well-known/oauth-protected-resource"
LIMITED = ("/authorize", "/token")  # anonymous endpoints, rate-limited per client address


@dataclass(frozen=True)
class Connector:
    """What the proxy app needs from the connector."""

    routes: list[BaseRoute]
    sessions: StreamableHTTPSessionManager
    provider: AuthProvider

    @contextlib.asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        """Run the MCP transport's task group while the app serves."""
        async with self.sessions.run():
            yield


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class Guard:
    """The checks before authentication that the SDK's middleware does not make."""

    def __init__(self, app: ASGIApp, origins: frozenset[str], state: State) -> None:
        self.app, self.origins, self.state = app, origins, state
        self.refusals = AuditThrottle()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        problem: Response | None = None
        if token_in_query(request):
            problem = _error(
                400, "invalid_request", "credentials go in the Authorization header, never in the URL"
            )
        elif "origin" in request.headers and request.headers["origin"] not in self.origins:
            audit_refusal(request, self.state, self.refusals, "origin not allowed")
            problem = _error(403, "forbidden", f"requests from {request.headers['origin']} are not accepted")
        if problem is not None:
            await problem(scope, receive, send)
            return
        await self.app(scope, receive, send)


class Limited:
    """After the bearer check, before the answer to it: audit a credential that was refused (the SDK
    then answers 401), or count the caller's rate (429 when over it)."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, state: State) -> None:
        self.app, self.limiter, self.state = app, limiter, state
        self.refusals = AuditThrottle()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        user = scope.get("user")
        if not isinstance(user, AuthenticatedUser):
            request = Request(scope)
            if bearer(request) is not None:  # guessing tokens: rate-limited, audited in aggregate
                if await _over(self.limiter, address(request), scope, receive, send):
                    return
                audit_refusal(request, self.state, self.refusals, "unknown, expired or foreign token")
            await self.app(scope, receive, send)
            return
        token = user.access_token
        if not await _over(self.limiter, f"mcp:{token.client_id}:{token.subject}", scope, receive, send):
            await self.app(scope, receive, send)


class PerAddress:
    """An anonymous endpoint rate-limited per client address (429 with Retry-After when over)."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, name: str) -> None:
        self.app, self.limiter, self.name = app, limiter, name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = f"{self.name}:{address(Request(scope))}"
        if scope["type"] != "http" or not await _over(self.limiter, key, scope, receive, send):
            await self.app(scope, receive, send)


async def _over(limiter: RateLimiter, key: str, scope: Scope, receive: Receive, send: Send) -> bool:
    """Answer 429 and say True when `key` is over its rate."""
    wait = limiter.allow(key)
    if wait <= 0:
        return False
    response = _error(429, "too_many_requests", "too many requests; slow down")
    response.headers["Retry-After"] = str(max(1, round(wait)))
    await response(scope, receive, send)
    return True


def _error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status)


def create_connector(config: ServeConfig, proxy: Proxy, state: State, limiter: RateLimiter) -> Connector:
    """Build the MCP server, its authorization server and their routes."""
    base = config.base_url
    provider = AuthProvider(
        base,
        Grants(state, grant_ttl=config.mcp_grant_ttl, signin_ttl=config.mcp_refresh_ttl),
        state,
        ClientDocuments(allow_loopback=is_loopback(config.host), redirect_ok=allowed_redirect),
        access_ttl=config.mcp_access_ttl,
        refresh_ttl=config.mcp_refresh_ttl,
    )
    files = SkillFiles(proxy)
    server = build_server(Tools(proxy, files), files, proposer_for(config, files))
    server.streamable_http_app(
        stateless_http=True,
        json_response=True,
        max_request_body_size=config.max_body,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    sessions = server.session_manager
    urls = AuthSettings(issuer_url=base, resource_server_url=provider.resource, validate_token_resource=True)
    resource = urls.resource_server_url
    assert resource is not None
    metadata_url = build_resource_metadata_url(resource)
    transport: ASGIApp = EventStreams(one_exchange(sessions), config.mcp_streams, config.mcp_stream_idle)
    guarded = Guard(
        AuthenticationMiddleware(
            AuthContextMiddleware(
                Limited(RequireAuthMiddleware(transport, [SCOPE_READ], metadata_url), limiter, state)
            ),
            backend=BearerAuthBackend(provider, resource_server_url=resource),
        ),
        frozenset({origin_of(base), *config.mcp_origins}),
        state,
    )
    return Connector(
        [
            Route("/mcp", guarded, methods=["GET", "POST", "DELETE"]),
            *_authorization_routes(provider, urls.issuer_url, limiter),
            *_resource_routes(resource, urls.issuer_url),
            *consent.ROUTES,
        ],
        sessions,
        provider,
    )


def _authorization_routes(
    provider: AuthProvider, issuer: AnyHttpUrl, limiter: RateLimiter
) -> list[BaseRoute]:
    registration = ClientRegistrationOptions(
        enabled=True, valid_scopes=list(SCOPES), default_scopes=list(SCOPES)
    )
    revocation = RevocationOptions(enabled=True)
    replaced = ("/.well-known/oauth-authorization-server", "/revoke", "/register")
    routes: list[BaseRoute] = [
        Route(r.path, PerAddress(r.app, limiter, r.path), methods=r.methods) if r.path in LIMITED else r
        for r in create_auth_routes(provider, issuer, None, registration, revocation)
        if isinstance(r, Route) and r.path not in replaced
    ]
    for path, endpoint in (("/revoke", revoke), ("/register", Registration(provider, registration))):
        routes.append(
            Route(
                path,
                endpoint=PerAddress(cors_middleware(endpoint, ["POST", "OPTIONS"]), limiter, path),
                methods=["POST", "OPTIONS"],
            )
        )
    metadata = build_metadata(issuer, None, registration, revocation)
    metadata.client_id_metadata_document_supported = True
    metadata.token_endpoint_auth_methods_supported = ["none", "client_secret_post", "client_secret_basic"]
    handler = MetadataHandler(metadata)
    routes.append(
        Route(
            "/.well-known/oauth-authorization-server",
            endpoint=cors_middleware(handler.handle, ["GET", "OPTIONS"]),
            methods=["GET", "OPTIONS"],
        )
    )
    return routes


async def revoke(request: Request) -> Response:
    """POST /revoke: RFC 7009 revocation. (The SDK's handler requires a client_secret field even
    from public clients, which have none, so they could never revoke.)"""
    provider = consent.provider_of(request)
    try:
        client = await ClientAuthenticator(provider).authenticate_request(request)
    except AuthenticationError as exc:
        return _error(401, "invalid_client", exc.message)
    token = str((await request.form()).get("token") or "")
    if not token:
        return _error(400, "invalid_request", "the token to revoke is missing")
    found = await provider.load_access_token(token) or await provider.load_refresh_token(client, token)
    if found is not None and found.client_id == client.client_id:
        await provider.revoke_token(found)
    return Response(status_code=200, headers={"Cache-Control": "no-store"})  # unknown tokens too


def _resource_routes(resource: AnyHttpUrl, issuer: AnyHttpUrl) -> list[BaseRoute]:
    metadata = ProtectedResourceMetadata(
        resource=resource,
        authorization_servers=[issuer],
        scopes_supported=list(SCOPES),
        resource_name="Skillport",
    )
    endpoint = cors_middleware(ProtectedResourceMetadataHandler(metadata).handle, ["GET", "OPTIONS"])
    return [
        Route(f"{PROTECTED_RESOURCE}/mcp", endpoint=endpoint, methods=["GET", "OPTIONS"]),
        Route(PROTECTED_RESOURCE, endpoint=endpoint, methods=["GET", "OPTIONS"]),
    ]
