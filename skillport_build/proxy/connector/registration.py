"""Dynamic client registration (RFC 7591) as this proxy accepts it. Anyone may register a client, so
registration is what an anonymous caller could use to fill the state database: the body and each
field are capped, the redirect URIs are checked as sent (before parsing, which would turn
`https:///cb` into `https://cb/`), registrations are rate-limited per client address, the number of
clients is bounded (clients that never got a grant make room first), and the audit rows of a flood
are aggregated. The SDK's handler then does the rest of RFC 7591."""

from __future__ import annotations

import json
from typing import Any

from mcp.server.auth.handlers.register import RegistrationHandler
from mcp.server.auth.settings import ClientRegistrationOptions
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from skillport_build.proxy.connector.provider import AuthProvider, allowed_redirect
from skillport_build.proxy.guard import AuditThrottle, RateLimiter, address

MAX_BODY = 8 * 1024
MAX_NAME = 200  # client_name: it is shown on the consent page
MAX_TEXT = 2000  # any other text field (URIs, software id, …)
MAX_ITEMS = 10  # redirect_uris, contacts, grant_types, …
MAX_CLIENTS = 10_000
METADATA = "invalid_client_metadata"
RATE = 0.1  # registrations a second per client address, after a burst of
BURST = 60  # (claude.ai registers from a few addresses for every person of an organisation)


def problem(body: bytes) -> tuple[str, str] | None:
    """The RFC 7591 error and why a registration body is refused before the SDK parses it, or None."""
    if len(body) > MAX_BODY:
        return METADATA, f"the registration is larger than {MAX_BODY} bytes"
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        doc = None
    if not isinstance(doc, dict):
        return METADATA, "the registration is not a JSON object"
    for key, value in doc.items():
        if why := _field_problem(key, value):
            return METADATA, why
    redirects = doc.get("redirect_uris")
    listed = redirects if isinstance(redirects, list) else []  # the SDK answers other shapes
    bad = [u for u in listed if not isinstance(u, str) or not allowed_redirect(u)]
    if bad:
        return "invalid_redirect_uri", (
            "redirect URIs must use https with a host, http on loopback, or an app's own scheme, "
            f"without a fragment or user name: {', '.join(map(str, bad))}"
        )
    return None


def _field_problem(key: str, value: Any) -> str | None:
    if isinstance(value, list):
        if len(value) > MAX_ITEMS:
            return f"{key} lists {len(value)} values; at most {MAX_ITEMS}"
        return next((why for item in value if (why := _field_problem(key, item))), None)
    if isinstance(value, dict):
        return f"{key} must not be an object"
    cap = MAX_NAME if key == "client_name" else MAX_TEXT
    if isinstance(value, str) and len(value) > cap:
        return f"{key} is {len(value)} characters; at most {cap}"
    return None


class Registration:
    """POST /register."""

    def __init__(self, provider: AuthProvider, options: ClientRegistrationOptions) -> None:
        self.provider, self.handler = provider, RegistrationHandler(provider, options)
        self.limiter, self.refusals = RateLimiter(RATE, BURST), AuditThrottle()

    async def __call__(self, request: Request) -> Response:
        """Check the caller's rate, the body and the room left; then let the SDK register the client."""
        wait = self.limiter.allow(address(request))
        if wait > 0:
            return _error(429, "too_many_requests", "too many registrations; slow down", round(wait))
        refused = problem(await request.body())
        if refused is not None:
            return _error(400, *refused)
        if not self.provider.grants.room_for_client(MAX_CLIENTS):
            return _error(503, "temporarily_unavailable", "no more clients can register now", 3600)
        response = await self.handler.handle(request)  # reads the body Starlette kept
        if response.status_code == 201:
            self._audit(request, json.loads(bytes(response.body)))
        return response

    def _audit(self, request: Request, client: dict[str, Any]) -> None:
        held = self.refusals.take(f"oauth.register:{address(request)}")
        if held is not None:
            detail = {"client": client.get("client_id"), "name": client.get("client_name") or ""}
            self.provider.state.audit("oauth.register", None, detail | ({"held_back": held} if held else {}))


def _error(status: int, error: str, description: str, retry: int | None = None) -> JSONResponse:
    headers = {"Retry-After": str(max(1, retry))} if retry is not None else None
    return JSONResponse({"error": error, "error_description": description}, status, headers=headers)
