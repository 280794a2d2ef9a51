"""The JSON API, the Claude Code marketplace, the well-known index, downloads and health.

Every route names its caller first (`require_caller`) and answers from that caller's view only: a
hidden skill is answered exactly like one that does not exist.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from skillport_build.models.api import Answer, Me, SearchResult, TokenGrant, TrustedKeys, Updates
from skillport_build.models.catalog import SkillRecord
from skillport_build.proxy import paging
from skillport_build.proxy.access import BundleRef, View, is_admin
from skillport_build.proxy.downloads import bundle_headers
from skillport_build.proxy.guard import authenticate, proxy_of, require_caller
from skillport_build.proxy.identity import Caller
from skillport_build.proxy.search import Filters
from skillport_build.proxy.service import Download, Proxy

JSON = "application/json"
MAX_UPDATES = 1000


async def list_skills(request: Request) -> Response:
    """GET /api/skills?q=&surface=&category=&tag=&plugin=&limit=&cursor=: one page of the caller's
    skills (50 unless `limit` says, at most 200), ranked by `q`; `next` is the cursor of the page after."""
    caller = require_caller(request)
    proxy = proxy_of(request)
    view = proxy.view(caller.identity)
    params = request.query_params
    query = params.get("q", "")[:200]
    filters = Filters(params.get("surface"), params.get("category"), params.get("tag"), params.get("plugin"))
    version = view.catalog.catalog_version
    asked = f"{query}\n{filters}"
    wanted = paging.page(params, version, asked)
    key = (view.key, "list", asked, str(wanted.offset), str(wanted.limit))

    def produce() -> bytes:
        total, skills = proxy.search_json(view, query, filters, wanted.offset, wanted.limit)
        cursor = paging.next_cursor(version, asked, wanted, total)
        return SearchResult.joined(version, total, skills, cursor)

    body = proxy.answer(key, produce)
    proxy.state.audit("list", caller.email, {"q": query} if query else {})
    return Response(body, media_type=JSON)


def _visible_skill(request: Request) -> tuple[Caller, Proxy, View, SkillRecord]:
    """The caller and the skill the path names; 404 alike for a hidden and a missing skill."""
    caller = require_caller(request)
    proxy = proxy_of(request)
    view = proxy.view(caller.identity)
    name = request.path_params["name"]
    skill = view.skill(name)
    if skill is None:
        raise HTTPException(404, f"no skill named {name!r}")
    return caller, proxy, view, skill


async def get_skill(request: Request) -> Response:
    """GET /api/skills/{name}"""
    caller, proxy, _, skill = _visible_skill(request)
    proxy.state.audit("read", caller.email, {"skill": skill.name, "version": skill.version})
    return _answer(proxy.detail(skill))


async def make_link(request: Request) -> Response:
    """POST /api/skills/{name}/link  {"version": optional}"""
    caller, proxy, view, skill = _visible_skill(request)
    body = await _json_body(request, required=False)
    version = body.get("version")
    if version is not None and not isinstance(version, str):
        raise HTTPException(400, '"version" must be a string')
    try:
        link = proxy.link(view, skill, caller.email, version)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    proxy.state.audit("link", caller.email, {"skill": skill.name, "version": link.version})
    return _answer(link)


async def updates(request: Request) -> Response:
    """POST /api/updates  {"installed": [{"name": ..., "version": ... | "digest": ...}]}"""
    caller = require_caller(request)
    proxy = proxy_of(request)
    body = await _json_body(request)
    installed = body.get("installed")
    if not isinstance(installed, list) or not all(isinstance(i, dict) and "name" in i for i in installed):
        raise HTTPException(400, 'send {"installed": [{"name": ..., "version": ...}, ...]}')
    if len(installed) > MAX_UPDATES:
        raise HTTPException(413, f"at most {MAX_UPDATES} skills per request")
    view = proxy.view(caller.identity)
    results = proxy.updates(view, caller.identity, installed)
    proxy.state.audit("updates", caller.email, {"checked": len(installed)})
    return _answer(Updates(catalog_version=view.catalog.catalog_version, results=results))


async def proofs(request: Request) -> Response:
    """POST /api/proofs  {"skills": [names], "plugins": [names]}: their signed catalog records."""
    caller = require_caller(request)
    proxy = proxy_of(request)
    body = await _json_body(request)
    asked = {kind: body.get(kind, []) for kind in ("skills", "plugins")}
    if not all(isinstance(v, list) and all(isinstance(n, str) for n in v) for v in asked.values()):
        raise HTTPException(400, 'send {"skills": [name, ...], "plugins": [name, ...]}')
    if sum(len(v) for v in asked.values()) > MAX_UPDATES:
        raise HTTPException(413, f"at most {MAX_UPDATES} records per request")
    answer = proxy.proofs(proxy.view(caller.identity), asked["skills"], asked["plugins"])
    return _answer(answer)


async def keys(request: Request) -> Response:
    """GET /api/keys: the public keys this proxy verifies the catalog with."""
    require_caller(request)
    return _answer(TrustedKeys(keys=proxy_of(request).key_texts))


async def claude_code_marketplace(request: Request) -> Response:
    """GET /claude-code/marketplace.json: the caller's plugins as archive sources (token in header)."""
    return _whole_view(request, "claude-code marketplace", Proxy.marketplace)


async def discovery_index(request: Request) -> Response:
    """GET /.well-known/skills/index.json (and /.well-known/agent-skills/index.json), made in a
    thread: its first answer per catalog digests the agent archives."""
    caller = require_caller(request)
    proxy = proxy_of(request)
    view = proxy.view(caller.identity)
    body = await run_in_threadpool(
        proxy.answer, (view.key, "well-known index"), lambda: proxy.discovery_index(view).dump_json()
    )
    proxy.state.audit("list", caller.email, {"what": "well-known index"})
    return Response(body, media_type=JSON)


async def discovery_archive(request: Request) -> Response:
    """GET /.well-known/skills/{name}/{file}: a skill's archive as the discovery index names it."""
    caller = require_caller(request)
    proxy = proxy_of(request)
    params = request.path_params
    skill = proxy.discovery_skill(proxy.view(caller.identity), params["name"], params["file"])
    data = await run_in_threadpool(proxy.agent_archive, skill, caller.email)
    ref = BundleRef("skill", skill.name, skill.version, skill.bundle)
    proxy.record_download(Download(ref, caller.email))
    return Response(data, media_type="application/zip", headers={"Cache-Control": "private, max-age=300"})


def _whole_view(request: Request, what: str, make: Callable[[Proxy, View], Answer]) -> Response:
    """A document made from the caller's whole view, shared by everyone with the same view."""
    caller = require_caller(request)
    proxy = proxy_of(request)
    view = proxy.view(caller.identity)
    body = proxy.answer((view.key, what), lambda: make(proxy, view).dump_json())
    proxy.state.audit("list", caller.email, {"what": what})
    return Response(body, media_type=JSON)


async def download(request: Request) -> Response:
    """GET /bundles/{path}: by signed link, personal token or session; sha256 checked first."""
    proxy = proxy_of(request)
    allowed = proxy.allow_download(request.path_params["path"], request.query_params, authenticate(request))
    bundle = allowed.ref.bundle
    if proxy.handoffs is not None:  # downloads: redirect / x-accel; the client checks the sha256
        handoffs = proxy.handoffs
        handoff = handoffs.cached(bundle)
        if handoff is None:  # a presign: the first one may look credentials up
            handoff = await run_in_threadpool(handoffs.answer, bundle)
        proxy.record_download(allowed)
        return Response(status_code=handoff.status, headers=handoff.headers)
    data = proxy.bundles.cached(bundle) or await run_in_threadpool(proxy.read_download, allowed)
    proxy.record_download(allowed)
    return Response(
        data,
        media_type="application/zip",
        headers={**bundle_headers(bundle), "Cache-Control": "private, max-age=31536000, immutable"},
    )


async def whoami(request: Request) -> Response:
    """GET /api/me: who the credentials name, and whether they administer this catalog."""
    caller = require_caller(request)
    catalog = proxy_of(request).indexed().catalog
    me = Me(
        email=caller.email,
        groups=sorted(caller.identity.groups),
        via=caller.via,
        admin=is_admin(catalog, caller.identity),
    )
    return _answer(me)


async def healthz(request: Request) -> Response:
    """GET /healthz: whether a verified, unexpired catalog is served, and what the last check found."""
    proxy = proxy_of(request)
    health, database = proxy.live.health(), await run_in_threadpool(proxy.state.ping)
    ok = health.ok and database is None
    return JSONResponse(
        health.__dict__ | {"ok": ok, "database": database or "ok"}, status_code=200 if ok else 503
    )


async def cli_token(request: Request) -> Response:
    """POST /api/cli/token {"code", "verifier"}: the loopback sign-in's last step."""
    proxy = proxy_of(request)
    body = await _json_body(request)
    code, verifier = body.get("code"), body.get("verifier")
    if not isinstance(code, str) or not isinstance(verifier, str):
        raise HTTPException(400, 'send {"code": ..., "verifier": ...}')
    found = proxy.state.take_code(code)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    if found is None or found[2] != challenge:
        proxy.state.audit("signin.refused", None, {"via": "cli", "reason": "bad or used code"})
        raise HTTPException(400, "the sign-in code is invalid, used or expired; run `skillport login` again")
    user, groups, _ = found
    host = str(body.get("host", ""))[:60] or "a computer"
    secret, info = proxy.state.create_token(user, groups, f"skillport CLI on {host}")
    proxy.state.audit("signin", user, {"via": "cli", "token": info.id})
    return _answer(TokenGrant(token=secret, user=user, token_id=info.id))


def _answer(answer: Answer) -> Response:
    return Response(answer.dump_json(), media_type=JSON)


async def _json_body(request: Request, required: bool = True) -> dict[str, Any]:
    raw = await request.body()
    if not raw and not required:
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise HTTPException(400, f"the request body is not JSON: {exc}") from exc
    except RecursionError as exc:
        raise HTTPException(400, "the request body nests too deeply") from exc
    if not isinstance(body, dict):
        raise HTTPException(400, "the request body must be a JSON object")
    return body


ROUTES = [
    Route("/api/skills", list_skills, methods=["GET"]),
    Route("/api/skills/{name}", get_skill, methods=["GET"]),
    Route("/api/skills/{name}/link", make_link, methods=["POST"]),
    Route("/api/updates", updates, methods=["POST"]),
    Route("/api/proofs", proofs, methods=["POST"]),
    Route("/api/keys", keys, methods=["GET"]),
    Route("/api/me", whoami, methods=["GET"]),
    Route("/api/cli/token", cli_token, methods=["POST"]),
    Route("/claude-code/marketplace.json", claude_code_marketplace, methods=["GET"]),
    Route("/.well-known/skills/index.json", discovery_index, methods=["GET"]),
    Route("/.well-known/agent-skills/index.json", discovery_index, methods=["GET"]),
    Route("/.well-known/skills/{name}/{file}", discovery_archive, methods=["GET"]),
    Route("/bundles/{path:path}", download, methods=["GET"]),
    Route("/healthz", healthz, methods=["GET"]),
]
