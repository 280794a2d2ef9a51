"""The pages where a person, signed in through the website's own sign-in, lets an MCP client act for
them (or not), and later sees and disconnects the clients they allowed. A client never gets a code
without this decision: dynamic registration lets anyone make a client, so the person sees which one
is asking and where their browser will go next."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from skillport_build.proxy.connector.provider import SCOPE_PROPOSE, SCOPE_READ, AuthProvider
from skillport_build.proxy.identity import csrf_token, posted_form
from skillport_build.proxy.pages import csp, render, signed_in

SCOPE_TEXT = {
    SCOPE_READ: "find, read and install the skills you may read",
    SCOPE_PROPOSE: "propose changes to skills you may edit, as pull requests for review",
}
EXPIRED_FORM = "this form has expired; start connecting again from your MCP client"
UNKNOWN = "This connection request is unknown or has expired. Start connecting again from your MCP client."


def provider_of(request: Request) -> AuthProvider:
    """The authorization server the app was built with."""
    provider: AuthProvider = request.app.state.auth_provider
    return provider


async def consent(request: Request) -> Response:
    """GET /oauth/consent shows the request; POST records the decision and sends the browser back."""
    caller = signed_in(request)
    if isinstance(caller, RedirectResponse):
        return caller
    provider = provider_of(request)
    if request.method == "POST":
        form = await posted_form(
            request, "this form has expired; start connecting again from your MCP client"
        )
        back = provider.decide(
            str(form.get("request", "")),
            caller.email,
            tuple(sorted(caller.identity.groups)),
            allow=form.get("decision") == "allow",
        )
        if back is None:
            raise HTTPException(400, UNKNOWN)
        return RedirectResponse(back, status_code=303, headers={"Cache-Control": "no-store"})
    request_id = request.query_params.get("request", "")
    pending = provider.pending(request_id)
    client = await provider.get_client(pending[0]) if pending else None
    if pending is None or client is None:
        raise HTTPException(400, UNKNOWN)
    _, scopes, redirect_uri = pending
    target = urlsplit(redirect_uri)
    host = _host(redirect_uri)
    origin = f"{target.scheme}://{host}" if target.scheme in ("http", "https") else f"{target.scheme}:"
    response = render(
        request,
        "proxy/consent.html",
        client={
            "name": client.client_name or "an MCP client",
            "uri": str(client.client_uri) if client.client_uri else "",
            "id": client.client_id,
            "verified": _host(client.client_id) if client.client_id.startswith("https://") else "",
        },
        user=caller.email,
        scopes=[s for s in scopes if s in SCOPE_TEXT],
        scope_text=SCOPE_TEXT,
        redirect_host=host if target.scheme in ("http", "https") else f"the app behind {target.scheme}:",
        refresh_days=max(1, round(provider.refresh_ttl / 86400)),
        grant_days=max(1, round(provider.grants.grant_ttl / 86400)),
        request_id=request_id,
        csrf=csrf_token(request),
        form_origin=origin,
    )
    response.headers["content-security-policy"] = csp((origin,))
    return response


def _host(url: str) -> str:
    """The host (and port) a URL really goes to, spelled as the browser will reach it."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return f"{host}:{parts.port}" if parts.port else host


async def apps(request: Request) -> Response:
    """GET /oauth/apps lists the person's connected clients; POST …/disconnect ends one's grant."""
    caller = signed_in(request)
    if isinstance(caller, RedirectResponse):
        return caller
    provider = provider_of(request)
    if request.method == "POST":
        await posted_form(request)
        grant_id = request.path_params.get("grant_id", "")
        if grant_id not in {g.grant_id for g in provider.grants.connected(caller.email)}:
            raise HTTPException(404, "no such connected app of yours")
        provider.grants.revoke_grant(grant_id, reason="disconnected by its person")
        return RedirectResponse("/oauth/apps", status_code=303)
    connected = []
    for grant in provider.grants.connected(caller.email):
        client = await provider.get_client(grant.client_id)
        connected.append(
            {
                "id": grant.grant_id,
                "name": (client.client_name if client else None) or grant.client_id,
                "scopes": [SCOPE_TEXT.get(s, s) for s in grant.scopes],
                "until": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(grant.expires)),
            }
        )
    return render(request, "proxy/apps.html", user=caller.email, apps=connected, csrf=csrf_token(request))


ROUTES = [
    Route("/oauth/consent", consent, methods=["GET", "POST"]),
    Route("/oauth/apps", apps, methods=["GET"]),
    Route("/oauth/apps/{grant_id}/disconnect", apps, methods=["POST"]),
]
