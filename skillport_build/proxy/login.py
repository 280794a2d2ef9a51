"""Sign-in: OpenID Connect with discovery (any issuer), GitHub OAuth (organisation membership
required, teams as groups), and a loopback-only development form. Each success starts a fresh
session; each attempt is audited. authlib (with joserfc, ~190 modules, 4 MB) is imported at the first
sign-in, not when the proxy starts: most requests never need it."""

from __future__ import annotations

import ssl
import threading
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from skillport_build.proxy.config import ServeConfig, is_loopback
from skillport_build.proxy.guard import limit, proxy_of
from skillport_build.proxy.identity import csrf_token, from_session, posted_form, sign_in
from skillport_build.proxy.pages import message, render

if TYPE_CHECKING:
    from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App

SESSION_ID = "sid"


class SignInRefused(Exception):
    """The identity provider vouched for someone who may not use this proxy."""


class Providers:
    """The configured providers' authlib clients, made (and authlib imported) at the first sign-in."""

    def __init__(self, config: ServeConfig) -> None:
        self._config = config
        self._oauth: OAuth | None = None
        self._lock = threading.Lock()

    def create_client(self, name: str) -> StarletteOAuth2App | None:
        """The client for provider `name`, None when it is not configured."""
        with self._lock:
            if self._oauth is None:
                self._oauth = make_oauth(self._config)
        client: StarletteOAuth2App | None = self._oauth.create_client(name)
        return client


def make_oauth(config: ServeConfig) -> OAuth:
    """The authlib clients for the configured providers."""
    from authlib.integrations.starlette_client import OAuth

    oauth = OAuth()
    tls = ssl.create_default_context()  # shared: httpx would build one (~50 ms) for every API call
    if config.oidc:
        oauth.register(
            name="oidc",
            server_metadata_url=config.oidc.issuer.rstrip("/") + "/.well-known/openid-configuration",
            client_id=config.oidc.client_id,
            client_secret=config.oidc.client_secret,
            client_kwargs={"scope": config.oidc.scopes, "code_challenge_method": "S256", "verify": tls},
        )
    if config.github:
        oauth.register(
            name="github",
            client_id=config.github.client_id,
            client_secret=config.github.client_secret,
            authorize_url=config.github.web_url.rstrip("/") + "/login/oauth/authorize",
            access_token_url=config.github.web_url.rstrip("/") + "/login/oauth/access_token",
            api_base_url=config.github.api_url.rstrip("/") + "/",
            client_kwargs={"scope": "read:user user:email read:org", "verify": tls},
        )
    return oauth


def safe_next(value: object) -> str:
    """Only a path on this site: never an open redirect."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def admit(
    config: ServeConfig, email: object, groups: list[str], verified: bool = True
) -> tuple[str, list[str]]:
    """Check an identity against the allowed domains; map IdP groups to policy groups."""
    if not isinstance(email, str) or "@" not in email:
        raise SignInRefused("the identity provider sent no email address")
    if not verified:
        raise SignInRefused(f"the identity provider has not verified {email}")
    domain = email.rpartition("@")[2].lower()
    if config.allowed_domains and domain not in config.allowed_domains:
        raise SignInRefused(f"{domain} accounts may not sign in here")
    if config.group_map:
        groups = [config.group_map[g] for g in groups if g in config.group_map]
    return email.lower(), groups


def login_page(request: Request) -> Response:
    """GET /login: the sign-in choices."""
    config = proxy_of(request).config
    if from_session(request) is not None and "next" in request.query_params:
        return RedirectResponse(safe_next(request.query_params["next"]), status_code=303)
    return render(
        request,
        "proxy/login.html",
        next=safe_next(request.query_params.get("next")),
        oidc=config.oidc.label if config.oidc else None,
        github=config.github is not None,
        dev=config.dev,
        csrf=csrf_token(request),
        message=None,
        notice="You are signed out." if "signed_out" in request.query_params else None,
    )


async def oidc_start(request: Request) -> Response:
    """GET /login/oidc: off to the identity provider."""
    return await _start(request, "oidc", "auth_oidc")


async def github_start(request: Request) -> Response:
    """GET /login/github: off to GitHub."""
    return await _start(request, "github", "auth_github")


async def _start(request: Request, name: str, callback: str) -> Response:
    limit(request, f"ip:{request.client.host if request.client else '-'}")
    client = request.app.state.oauth.create_client(name)
    if client is None:
        raise HTTPException(404, f"{name} sign-in is not configured")
    request.session["next"] = safe_next(request.query_params.get("next"))
    redirect_uri = f"{proxy_of(request).config.base_url}{request.app.url_path_for(callback)}"
    response: Response = await client.authorize_redirect(request, redirect_uri)
    return response


async def oidc_callback(request: Request) -> Response:
    """GET /auth/oidc: the identity provider's answer."""
    proxy = proxy_of(request)
    settings = proxy.config.oidc
    client = request.app.state.oauth.create_client("oidc")
    if settings is None or client is None:
        raise HTTPException(404, "OpenID Connect sign-in is not configured")
    from authlib.integrations.base_client.errors import OAuthError

    try:
        token = await client.authorize_access_token(request)
        claims: dict[str, Any] = dict(token.get("userinfo") or {})
        if settings.groups_claim not in claims or "email" not in claims:
            claims.update(dict(await client.userinfo(token=token)))
        raw_groups = claims.get(settings.groups_claim) or []
        groups = [str(g) for g in raw_groups] if isinstance(raw_groups, list) else [str(raw_groups)]
        email, groups = admit(
            proxy.config, claims.get("email"), groups, claims.get("email_verified", True) is not False
        )
    except (OAuthError, SignInRefused) as exc:
        return _refused(request, "oidc", str(exc))
    return _finish(request, email, groups, "oidc")


async def github_callback(request: Request) -> Response:
    """GET /auth/github: GitHub's answer; organisation membership required, teams become groups."""
    proxy = proxy_of(request)
    settings = proxy.config.github
    client = request.app.state.oauth.create_client("github")
    if settings is None or client is None:
        raise HTTPException(404, "GitHub sign-in is not configured")
    from authlib.integrations.base_client.errors import OAuthError

    try:
        token = await client.authorize_access_token(request)
        login = (await _github(client, token, "user")).get("login")
        membership = await client.get(f"user/memberships/orgs/{settings.org}", token=token)
        if membership.status_code != 200 or membership.json().get("state") != "active":
            raise SignInRefused(f"{login} is not an active member of the {settings.org} organisation")
        emails = await _github(client, token, "user/emails", listing=True)
        primary: dict[str, Any] = next((e for e in emails if e.get("primary")), {})
        teams = await _github(client, token, "user/teams", listing=True)
        groups = [settings.org] + [
            t["slug"]
            for t in teams
            if (t.get("organization") or {}).get("login", "").lower() == settings.org.lower()
        ]
        email, groups = admit(proxy.config, primary.get("email"), groups, primary.get("verified") is True)
    except (OAuthError, SignInRefused) as exc:
        return _refused(request, "github", str(exc))
    return _finish(request, email, groups, "github")


async def _github(client: Any, token: dict[str, Any], path: str, listing: bool = False) -> Any:
    """One GitHub API answer, or every page of a list; SignInRefused if GitHub fails to answer."""
    url, params, items = path, {"per_page": 100} if listing else None, []
    while True:
        try:
            response = await client.get(url, token=token, params=params)
        except Exception as exc:  # httpx's or httpx2's transport errors, whichever authlib uses
            raise SignInRefused(f"GitHub could not be reached ({type(exc).__name__})") from exc
        if response.status_code != 200:
            raise SignInRefused(f"GitHub answered {response.status_code} to {path}; try again later")
        if not listing:
            return response.json()
        items += response.json()
        url, params = response.links.get("next", {}).get("url"), None
        if not url:
            return items


async def dev_login(request: Request) -> Response:
    """POST /login/dev: any name, only with --dev on a loopback bind."""
    proxy = proxy_of(request)
    if not proxy.config.dev or not is_loopback(proxy.config.host):
        raise HTTPException(404, "development sign-in is off")
    limit(request, f"ip:{request.client.host if request.client else '-'}")
    form = await posted_form(request)
    request.session["next"] = safe_next(form.get("next"))
    groups = [g.strip() for g in str(form.get("groups") or "").split(",") if g.strip()]
    try:
        email, groups = admit(proxy.config, str(form.get("email") or "").strip(), groups)
    except SignInRefused as exc:
        return _refused(request, "dev", str(exc))
    return _finish(request, email, groups, "dev")


def _finish(request: Request, email: str, groups: list[str], via: str) -> Response:
    target = safe_next(request.session.get("next"))
    sign_in(request, email, groups, via)
    state = proxy_of(request).state
    request.session[SESSION_ID] = state.start_session(email, proxy_of(request).config.session_ttl)
    state.record_sign_in(email, groups)
    proxy_of(request).state.audit("signin", email, {"via": via, "groups": sorted(groups)})
    for listener in getattr(request.app.state, "on_sign_in", ()):
        listener(email, tuple(sorted(groups)))
    return RedirectResponse(target, status_code=303)


def _refused(request: Request, via: str, reason: str) -> Response:
    proxy_of(request).state.audit("signin.refused", None, {"via": via, "reason": reason})
    request.session.clear()
    return message(request, "Sign-in refused", reason, 403, link="/login", link_text="Try again")


async def logout(request: Request) -> Response:
    """GET /logout asks; POST /logout (with the CSRF secret) signs out."""
    if request.method == "GET":
        return message(
            request,
            "Sign out",
            "Sign out of this catalog?",
            form_action="/logout",
            form_button="Sign out",
            csrf=csrf_token(request),
            home="/",
            home_text="Stay signed in",
            current="logout",
        )
    await posted_form(request)
    caller = from_session(request)
    if caller is not None:
        proxy_of(request).state.audit("signout", caller.email, {})
    session_id = request.session.get(SESSION_ID)
    if isinstance(session_id, str):
        proxy_of(request).state.end_session(session_id)
    request.session.clear()
    return RedirectResponse("/login?signed_out=1", status_code=303)


ROUTES = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login/oidc", oidc_start, methods=["GET"]),
    Route("/login/github", github_start, methods=["GET"]),
    Route("/login/dev", dev_login, methods=["POST"]),
    Route("/auth/oidc", oidc_callback, methods=["GET"], name="auth_oidc"),
    Route("/auth/github", github_callback, methods=["GET"], name="auth_github"),
    Route("/logout", logout, methods=["GET", "POST"]),
]
