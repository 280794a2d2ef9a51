"""The pages people see: the catalog website of their audience (an index answered from the search
index, skill and plugin pages shared by audiences), their tokens, and the loopback sign-in of the CLI
(the admin pages are in `admin`). Pages need a signed-in session; forms carry a CSRF secret."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from skillport_build.proxy.access import View, is_admin
from skillport_build.proxy.cli_wheel import install_lines
from skillport_build.proxy.guard import limit, proxy_of
from skillport_build.proxy.identity import Caller, csrf_token, from_session, posted_form
from skillport_build.proxy.service import Proxy
from skillport_build.proxy.sitecache import SiteCache
from skillport_build.proxy.siteindex import index_body
from skillport_build.site.listing import Query
from skillport_build.site.templating import environment

SITE_FILE = re.compile(r"^(skills|plugins)/[A-Za-z0-9._-]+\.html$")
CLI_CODE_TTL = 120
# Pages shared by audiences leave a slot in the header; an admin's copy links the admin page there.
ADMIN_SLOT, ADMIN_LINK = b"<!--skillport:admin-nav-->", b'<a href="/admin">Admin</a>'
_ENV = environment()


def csp(form_targets: tuple[str, ...] = ()) -> str:
    """The Content-Security-Policy of every page: nothing from elsewhere; forms post here (or, on the
    MCP consent page, to the client's redirect origin, where the form's redirect goes)."""
    forms = " ".join(("'self'", *form_targets))
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        f"form-action {forms}; base-uri 'none'; frame-ancestors 'none'"
    )


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A proxy page in the site's look: the header names the pages the signed-in person may use,
    and only an admin sees which catalog is served."""
    proxy = proxy_of(request)
    indexed = proxy.current
    caller = from_session(request)
    admin = caller is not None and indexed is not None and is_admin(indexed.catalog, caller.identity)
    site = {
        "name": indexed.catalog.marketplace.name if indexed else "Skillport",
        "catalog_version": indexed.catalog.catalog_version if indexed else "-",
        "generated_at": indexed.catalog.generated_at if indexed else "",
        "proxy": caller is not None,
        "admin": admin,
        "show_version": admin,
    }
    html = _ENV.get_template(template).render(site=site, root="/", **context)
    return HTMLResponse(html, status_code=status)


HEADINGS = {400: "This request cannot be answered", 403: "Not for you", 404: "Not found", 429: "Slow down"}


def message(request: Request, heading: str, text: str, status: int = 200, **extra: Any) -> HTMLResponse:
    """A page that says one thing; an error page also offers the way home (or to sign in)."""
    context: dict[str, Any] = {
        "link": None,
        "link_text": "",
        "form_action": None,
        "form_button": "",
        "csrf": "",
        "tone": "error" if status >= 400 else "",
        "home": None,
        "home_text": "",
    }
    if status >= 400:
        signed = from_session(request) is not None
        context["home"], context["home_text"] = (
            ("/", "Back to the catalog") if signed else ("/login", "Sign in")
        )
    context.update(extra)
    return render(request, "proxy/message.html", status, heading=heading, message=text, **context)


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    """The page of an HTTP error, in the site's look, with a way home."""
    return message(request, HEADINGS.get(status, "Sorry"), detail, status)


def signed_in(request: Request) -> Caller | RedirectResponse:
    """The session's caller, or a redirect to the sign-in page that comes back here."""
    caller = from_session(request)
    if caller is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
    limit(request, caller.rate_key)
    return caller


async def site_page(request: Request) -> Response:
    """The catalog website, rendered for the caller's audience."""
    caller = signed_in(request)
    if isinstance(caller, RedirectResponse):
        return caller
    relative = request.path_params.get("page") or "index.html"
    proxy = proxy_of(request)
    view = proxy.view(caller.identity)
    if relative == "index.html":
        return await _index_page(request, caller, proxy, view)
    if not SITE_FILE.match(relative):
        raise HTTPException(404, "no such page")
    sites: SiteCache = request.app.state.sites
    path = await run_in_threadpool(_site_file, sites, view, relative)
    if path is None or not path.is_file():
        raise HTTPException(404, "no such page")
    if relative.startswith("skills/"):
        proxy.state.audit("read", caller.email, {"skill": Path(relative).stem, "via": "site"})
    if path.suffix == ".html" and is_admin(view.catalog, caller.identity):
        return HTMLResponse(path.read_bytes().replace(ADMIN_SLOT, ADMIN_LINK))
    return FileResponse(path)


async def _index_page(request: Request, caller: Caller, proxy: Proxy, view: View) -> Response:
    """The index: one page of the caller's search (`?q=&category=&tag=&surface=&page=`), rendered
    here so it works without JavaScript; `part=results` answers only the list, for search as you type."""
    query = Query.from_params(request.query_params)
    part = request.query_params.get("part") == "results"
    body = await run_in_threadpool(index_body, proxy, view, query, part)
    if not part:
        proxy.state.audit("list", caller.email, {"via": "site", **({"q": query.q} if query.q else {})})
    if is_admin(view.catalog, caller.identity):
        body = body.replace(ADMIN_SLOT, ADMIN_LINK)
    return HTMLResponse(body)


def _site_file(sites: SiteCache, view: View, relative: str) -> Path | None:
    """A skill's or plugin's page from those shared by every audience that sees the same (None when
    this one may not: hidden and missing alike), anything else from this audience's own folder.
    `relative` matched SITE_FILE: one name under skills/ or plugins/."""
    folder, _, name = relative.partition("/")
    if folder == "plugins":
        plugin = view.catalog.plugin(name.removesuffix(".html"))
        return sites.plugin_page(view, plugin) if plugin is not None else None
    skill = view.skill(name.removesuffix(".html"))
    shared = skill is not None and f"{skill.slug}.html" == name
    return sites.skill_page(view.catalog, skill) if shared and skill is not None else None


async def tokens_page(request: Request) -> Response:
    """GET /tokens, POST /tokens (create), POST /tokens/{id}/revoke."""
    caller = signed_in(request)
    if isinstance(caller, RedirectResponse):
        return caller
    proxy = proxy_of(request)
    new_secret = None
    if request.method == "POST":
        form = await posted_form(request)
        token_id = request.path_params.get("token_id")
        if token_id:
            owned = {t.id for t in proxy.state.tokens(caller.email)}
            if token_id not in owned or not proxy.state.revoke_token(token_id, caller.email):
                raise HTTPException(404, "no such active token of yours")
            return RedirectResponse("/tokens", status_code=303)
        name = str(form.get("name") or "").strip()[:60] or "personal token"
        days = _token_days(form.get("days"), proxy.state.token_days, proxy.state.token_max_days)
        new_secret, _ = proxy.state.create_token(
            caller.email, tuple(sorted(caller.identity.groups)), name, days
        )
    catalog = proxy.indexed().catalog
    return render(
        request,
        "proxy/tokens.html",
        current="tokens",
        user=caller.email,
        groups=sorted(caller.identity.groups),
        tokens=proxy.state.tokens(caller.email),
        new_secret=new_secret,
        csrf=csrf_token(request),
        base_url=proxy.config.base_url,
        admin=is_admin(catalog, caller.identity),
        now=proxy.state.now(),
        token_days=proxy.state.token_days,
        token_max_days=proxy.state.token_max_days,
        cli_installs=install_lines(proxy.config.base_url),
    )


def _token_days(value: object, default: int, maximum: int) -> int:
    """The days a new token should live, from the form; 400 naming the range when it is not one."""
    text = str(value or "").strip()
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= maximum:
        raise HTTPException(400, f"a token may live 1 to {maximum} days; {text[:20]!r} is not in that range")
    return int(text)


def cli_login(request: Request) -> Response:
    """GET /cli/login?port=&state=&challenge=: hand a one-time code to the CLI on this machine."""
    caller = signed_in(request)
    if isinstance(caller, RedirectResponse):
        return caller
    params = request.query_params
    port, state, challenge = params.get("port", ""), params.get("state", ""), params.get("challenge", "")
    if not (port.isdigit() and 1024 <= int(port) <= 65535 and re.fullmatch(r"[A-Za-z0-9_-]{16,128}", state)):
        raise HTTPException(400, "this sign-in link is malformed; run `skillport login` again")
    if not re.fullmatch(r"[A-Za-z0-9_-]{43}", challenge):
        raise HTTPException(400, "this sign-in link has no valid PKCE challenge; run `skillport login` again")
    proxy = proxy_of(request)
    code = proxy.state.put_code(caller.email, tuple(sorted(caller.identity.groups)), challenge, CLI_CODE_TTL)
    target = f"http://127.0.0.1:{port}/callback?code={quote(code)}&state={quote(state)}"
    return message(
        request,
        "Sign in the skillport CLI",
        f"Signed in as {caller.email}. Continue to hand a token to the skillport command waiting on this "
        "computer. If you did not just run `skillport login`, close this page.",
        link=target,
        link_text="Continue to the skillport CLI",
    )


ROUTES = [
    Route("/", site_page, methods=["GET"]),
    Route("/tokens", tokens_page, methods=["GET", "POST"]),
    Route("/tokens/{token_id}/revoke", tokens_page, methods=["POST"]),
    Route("/cli/login", cli_login, methods=["GET"]),
    Route("/{page:path}", site_page, methods=["GET"]),
]
