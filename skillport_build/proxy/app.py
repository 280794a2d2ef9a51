"""The Starlette application: routes, middleware (security headers and body limit, compression,
sessions), error pages, and the background refresh of the catalog."""

from __future__ import annotations

import contextlib
import logging
import tempfile
import threading
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from skillport_build.errors import Refused, Unavailable
from skillport_build.proxy import admin, api, login, notice, pages
from skillport_build.proxy.audit_queries import AuditLog, run_folds, run_retention
from skillport_build.proxy.bundles import BundleCache
from skillport_build.proxy.cli_wheel import CliWheel
from skillport_build.proxy.compress import Compress
from skillport_build.proxy.config import ServeConfig
from skillport_build.proxy.connector.mount import create_connector
from skillport_build.proxy.db.notify import Listener
from skillport_build.proxy.guard import AuditThrottle, RateLimiter
from skillport_build.proxy.links import LinkSigner
from skillport_build.proxy.live import Clock, LiveCatalog, utc_now
from skillport_build.proxy.service import Proxy
from skillport_build.proxy.sitecache import SiteCache
from skillport_build.proxy.state import State
from skillport_build.site.templating import templates_dir
from skillport_build.stores.base import Store
from skillport_build.trust.minisign import PublicKey

LOG = logging.getLogger("skillport.serve")
MACHINE_PREFIXES = ("/api/", "/bundles/", "/claude-code/", "/.well-known/", "/healthz", "/mcp")


class Edge:
    """The outermost layer, pure ASGI and one closure per request: the headers every response
    carries, and request bodies over `limit` bytes (declared or streamed) refused with 413."""

    def __init__(self, app: ASGIApp, hsts: bool, limit: int) -> None:
        self.app, self.limit = app, limit
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"content-security-policy", pages.csp().encode()),
        ]
        if hsts:
            self.headers.append((b"strict-transport-security", b"max-age=31536000"))
        self.headers.append((b"cache-control", b"no-store"))  # unless the route says otherwise

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen = 0

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name for name, _ in headers}
                headers += [h for h in self.headers if h[0] not in present]
                message["headers"] = headers
            await send(message)

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise HTTPException(413, "request body too large")
            return message

        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await JSONResponse({"error": "request body too large"}, 413)(scope, receive, with_headers)
                return
        await self.app(scope, counted, with_headers)


class LiveSessions:
    """Forget a signed-in session cookie whose server-side id has ended (signed out) or is missing
    (a copy of a cookie from before ids were kept): the cookie's signature alone proves only that
    this proxy once issued it."""

    def __init__(self, app: ASGIApp, state: State) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        session = scope.get("session")
        if scope["type"] == "http" and session and "user" in session:
            session_id = session.get(login.SESSION_ID)
            if not isinstance(session_id, str) or not self.state.session_live(session_id):
                session.clear()
        await self.app(scope, receive, send)


def _error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, Unavailable):
        status, detail, headers = 503, f"no catalog can be served: {exc}", {"Retry-After": "30"}
    elif isinstance(exc, Refused):
        status, detail, headers = exc.status, str(exc), dict(exc.headers)
    else:
        assert isinstance(exc, HTTPException)
        status, detail, headers = exc.status_code, str(exc.detail), dict(exc.headers or {})
    if request.url.path.startswith(MACHINE_PREFIXES) or "text/html" not in request.headers.get("accept", ""):
        return JSONResponse({"error": detail, "status": status}, status, headers=headers)
    response = pages.error_page(request, status, detail)
    response.headers.update(headers)
    return response


def create_app(
    config: ServeConfig,
    store: Store,
    keys: list[PublicKey],
    state: State,
    *,
    clock: Clock = utc_now,
    refresh: bool = True,
) -> Starlette:
    """Build the proxy around its collaborators (tests pass their own store, state and clock)."""
    live = LiveCatalog(store, keys, clock)
    state.batch_writes(config.audit_flush_ms)
    state.limit_tokens(config.token_days, config.token_max_days)
    bundles = BundleCache(store, config.bundle_cache_mb * 1024 * 1024)
    # One process on SQLite holds every allowance itself (a database write per request buys nothing
    # there); workers or replicas share theirs through the database.
    shared = config.workers > 1 or state.dialect != "sqlite"
    limiter = RateLimiter(config.rate_limit, config.rate_burst, shared=state if shared else None)
    proxy = Proxy(
        config,
        live,
        state,
        bundles,
        LinkSigner(config.secret.encode() if config.secret else state.secret("links")),
        limiter.allow,
    )
    cache_dir = config.cache_dir or Path(tempfile.mkdtemp(prefix="skillport-sites-"))
    stop, wake = threading.Event(), threading.Event()
    connector = create_connector(config, proxy, state, limiter)
    listener = Listener(state.engine, wake.set) if state.dialect == "postgresql" else None
    audit_log = AuditLog(state)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        proxy.refresh()
        health = live.health()
        if not health.ok:
            LOG.warning("no catalog served yet: %s", health.problem)
        args = (proxy, config.refresh_interval, stop, wake)
        thread = threading.Thread(target=_refresher, args=args, name="skillport-refresh", daemon=True)
        if refresh:
            thread.start()
            if listener is not None:
                listener.start()
        threading.Thread(target=run_folds, args=(audit_log, stop), daemon=True).start()
        if config.audit_days is not None:
            retention = (audit_log, config.audit_days, clock, stop)
            threading.Thread(target=run_retention, args=retention, daemon=True).start()
        async with connector.lifespan():
            yield
        stop.set()
        wake.set()
        if refresh and listener is not None:
            listener.stop()
        state.batch_writes(0)  # what the last requests queued is written before the process ends

    session_secret = config.secret or state.secret("sessions").hex()
    app = Starlette(
        routes=[
            *notice.ROUTES,
            *api.ROUTES,
            *login.ROUTES,
            *connector.routes,
            Mount("/static", StaticFiles(directory=templates_dir() / "static"), name="static"),
            *CliWheel(config.cli_wheel).routes(),
            *admin.ROUTES,
            *pages.ROUTES,
        ],
        middleware=[
            Middleware(Edge, hsts=config.secure_cookies, limit=config.max_body),
            Middleware(Compress),
            Middleware(
                SessionMiddleware,
                secret_key=session_secret,
                session_cookie="skillport_session",
                max_age=config.session_ttl,
                same_site="lax",
                https_only=config.secure_cookies,
            ),
            Middleware(LiveSessions, state=state),
        ],
        exception_handlers={HTTPException: _error, Unavailable: _error, Refused: _error},
        lifespan=lifespan,
    )
    app.state.proxy = proxy
    app.state.wake_refresh = wake
    app.state.audit_log = audit_log
    app.state.auth_provider = connector.provider
    app.state.refusals = AuditThrottle()
    app.state.on_sign_in = (connector.provider.signed_in,)  # connected clients take the new groups
    app.state.sites = SiteCache(cache_dir, bundles.read)
    app.state.oauth = login.Providers(config)  # authlib imported at the first sign-in
    return app


def _refresher(proxy: Proxy, interval: float, stop: threading.Event, wake: threading.Event) -> None:
    """Check the store every `interval` seconds, and at once when woken (a publish notice)."""
    while True:
        wake.wait(interval)
        wake.clear()
        if stop.is_set():
            return
        try:
            proxy.refresh()
        except Exception:  # keep serving the last verified catalog whatever happens here
            LOG.exception("catalog refresh failed")
