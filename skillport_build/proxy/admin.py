"""The admin dashboard's routes, for the access policy's admins only; anyone else signed in gets
the very answer a missing page gets (and the refusal is audited), so the pages' existence says
nothing. Pages need a signed-in session, like the rest of the website.

/admin                      health, downloads and active people per day, top skills, latest events
/admin/skills               the inventory: every skill and who may read it (filter ?q=)
/admin/skills/{ref}         one skill: who may read it (rule and known people), downloads per version
/admin/access?who=&groups=  what one person may read
/admin/audit                the audit log: filters (event, person, skill, since, until), keyset pages
/admin/audit.csv|.json      the same filter's events, exported whole
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from skillport_build.errors import UsageError
from skillport_build.models.access import Identity
from skillport_build.models.catalog import Catalog
from skillport_build.proxy import dashboard, explorer
from skillport_build.proxy.access import is_admin
from skillport_build.proxy.audit_queries import AuditEvent, AuditFilter, AuditLog
from skillport_build.proxy.guard import proxy_of
from skillport_build.proxy.identity import Caller
from skillport_build.proxy.pages import render, signed_in
from skillport_build.proxy.service import Proxy

INVENTORY_PAGE = 100
LATEST = 15
KNOWN_SHOWN = 100  # people listed on a skill's page; the count says how many more
_CURSOR = re.compile(r"^\d{1,18}$")
_EMAIL = re.compile(r"^[^@\s<>\"']{1,100}@[^@\s<>\"']{1,100}$")
_GROUP = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@/-]{0,99}$")
CSV_COLUMNS = ("seq", "at", "event", "actor", "detail")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def admin_of(request: Request) -> Caller | RedirectResponse:
    """The signed-in admin, a redirect to sign in, or the missing page's 404 for anyone else."""
    caller = signed_in(request)
    if isinstance(caller, RedirectResponse):
        return caller
    proxy = proxy_of(request)
    if not is_admin(proxy.indexed().catalog, caller.identity):
        proxy.state.audit("admin.refused", caller.email, {"path": request.url.path[:200]})
        raise HTTPException(404, "no such page")
    return caller


def _audit_log(request: Request) -> AuditLog:
    log: AuditLog = request.app.state.audit_log
    return log


def _now(proxy: Proxy) -> datetime:
    return proxy.live.clock()


async def admin_page(request: Request) -> Response:
    """GET /admin: catalog health first, then the charts, the top skills and the latest events."""
    caller = admin_of(request)
    if isinstance(caller, RedirectResponse):
        return caller
    proxy = proxy_of(request)
    proxy.state.audit("admin.view", caller.email, {"page": "dashboard"})
    audit = _audit_log(request)
    now = _now(proxy)
    overview = await run_in_threadpool(dashboard.overview, audit, now)
    latest = await run_in_threadpool(audit.latest, LATEST)
    catalog = proxy.indexed().catalog
    return render(
        request,
        "proxy/admin.html",
        current="admin",
        health=dashboard.health_line(proxy.live.health(), proxy.live.store.url, now),
        retention=proxy.config.audit_days,
        overview=overview,
        skills=len(catalog.skills),
        plugins=len(catalog.plugins),
        events=_rows(latest, catalog),
        downloads=dashboard.top_downloads(proxy.state, 10),
    )


async def inventory_page(request: Request) -> Response:
    """GET /admin/skills?q=&page=: every skill, its version, surfaces and who may read it."""
    caller = admin_of(request)
    if isinstance(caller, RedirectResponse):
        return caller
    proxy = proxy_of(request)
    query = request.query_params.get("q", "")[:100]
    number = _number(request.query_params.get("page", "1"))
    rows = explorer.inventory(proxy.indexed().catalog, query)
    pages = max(1, -(-len(rows) // INVENTORY_PAGE))
    shown = rows[(number - 1) * INVENTORY_PAGE : number * INVENTORY_PAGE]
    totals = dashboard.download_totals(proxy.state)
    return render(
        request,
        "proxy/admin_skills.html",
        current="admin",
        rows=shown,
        matched=len(rows),
        q=query,
        number=number,
        pages=pages,
        totals=totals,
        link=lambda n: "/admin/skills?" + urlencode({"q": query, "page": n} if query else {"page": n}),
    )


async def skill_page(request: Request) -> Response:
    """GET /admin/skills/{ref}: who may read one skill, and its downloads per version."""
    caller = admin_of(request)
    if isinstance(caller, RedirectResponse):
        return caller
    proxy = proxy_of(request)
    catalog = proxy.indexed().catalog
    skill = catalog.skill(request.path_params["ref"])
    if skill is None:
        raise HTTPException(404, "no such skill in the served catalog")
    proxy.state.audit("admin.view", caller.email, {"page": "skill", "skill": skill.ref})
    chart, totals = await run_in_threadpool(dashboard.skill_chart, _audit_log(request), skill, _now(proxy))
    known = explorer.who_can_read(catalog, skill, dashboard.people(proxy.state))
    more = max(0, len(known) - KNOWN_SHOWN)
    return render(
        request,
        "proxy/admin_skill.html",
        current="admin",
        skill=skill,
        access=explorer.skill_access(catalog, skill),
        known=known[:KNOWN_SHOWN],
        more=more,
        chart=chart,
        totals=totals,
        all_time=dashboard.downloads_of(proxy.state, skill.ref),
    )


async def access_page(request: Request) -> Response:
    """GET /admin/access?who=&groups=: what one person may read (their latest sign-in's groups
    unless `groups` is given)."""
    caller = admin_of(request)
    if isinstance(caller, RedirectResponse):
        return caller
    proxy = proxy_of(request)
    who = request.query_params.get("who", "").strip().lower()
    given = request.query_params.get("groups")
    reach, known = None, None
    if who:
        if not _EMAIL.match(who):
            raise HTTPException(400, f"{who[:60]!r} is not an email address; give the person's email")
        known = dashboard.person(proxy.state, who)
        groups = _groups(given) if given is not None else (known.groups if known else ())
        reach = explorer.reach(proxy.indexed().catalog, Identity(who, frozenset(groups)))
    return render(
        request,
        "proxy/admin_access.html",
        current="admin",
        who=who,
        groups_text=given if given is not None else ", ".join(known.groups) if known else "",
        known=known,
        reach=reach,
        people=dashboard.people(proxy.state)[:500],
    )


def _groups(text: str) -> tuple[str, ...]:
    groups = tuple(sorted({g.strip() for g in text.split(",") if g.strip()}))
    for group in groups:
        if not _GROUP.match(group):
            raise HTTPException(400, f"{group[:60]!r} is not a group name; list groups separated by commas")
    return groups


def _filter(request: Request) -> AuditFilter:
    try:
        return AuditFilter.parse(dict(request.query_params))
    except UsageError as exc:
        raise HTTPException(400, str(exc)) from None


def _cursor(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    if not _CURSOR.match(value):
        raise HTTPException(400, f"the {name!r} cursor {value[:20]!r} is not one this page made; start again")
    return int(value)


def _number(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 100_000:
        raise HTTPException(400, f"page {value[:20]!r} is not a page number")
    return int(value)


async def audit_page(request: Request) -> Response:
    """GET /admin/audit: the audit log, filtered, a page at a time (newest first)."""
    caller = admin_of(request)
    if isinstance(caller, RedirectResponse):
        return caller
    proxy = proxy_of(request)
    where = _filter(request)
    before, after = _cursor(request, "before"), _cursor(request, "after")
    audit = _audit_log(request)
    page = await run_in_threadpool(audit.page, where, before, 50, after)
    kinds = await run_in_threadpool(audit.events)
    behind = await run_in_threadpool(audit.backlog) if where.skill else 0
    query = where.query()
    return render(
        request,
        "proxy/admin_audit.html",
        current="admin",
        where=where,
        kinds=kinds,
        behind=behind,
        events=_rows(page.events, proxy.indexed().catalog),
        older=_link(query, before=page.next_cursor) if page.next_cursor else None,
        newer=_link(query, after=page.newer_cursor) if page.newer_cursor else None,
        newest=f"/admin/audit?{urlencode(query)}" if before or after else None,
        csv_link=f"/admin/audit.csv?{urlencode(query)}",
        json_link=f"/admin/audit.json?{urlencode(query)}",
    )


def _link(query: dict[str, str], **cursor: int) -> str:
    return f"/admin/audit?{urlencode(query | cursor)}"


def _rows(events: tuple[AuditEvent, ...], catalog: Catalog) -> list[dict[str, Any]]:
    return [
        {"event": e, "detail": dashboard.detail_items(e), "skill": dashboard.skill_of(e, catalog)}
        for e in events
    ]


def neutralise(cell: str) -> str:
    """A CSV cell a spreadsheet shows as text: one starting like a formula gets a leading `'`."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def csv_lines(events: Iterator[AuditEvent]) -> Iterator[str]:
    """The events as CSV, a header first; the detail as compact JSON."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for event in events:
        detail = json.dumps(event.detail, sort_keys=True, separators=(",", ":"))
        writer.writerow(
            [neutralise(str(v)) for v in (event.seq, event.at, event.event, event.actor or "", detail)]
        )
        if out.tell() > 65536:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def json_chunks(events: Iterator[AuditEvent]) -> Iterator[str]:
    """The events as one JSON array, an event a line, in pieces of about 64 KiB."""
    parts, size, first = ["["], 1, True
    for event in events:
        line = ("\n" if first else ",\n") + json.dumps(event.as_json(), sort_keys=True)
        parts.append(line)
        size, first = size + len(line), False
        if size > 65536:
            yield "".join(parts)
            parts, size = [], 0
    parts.append("\n]\n")
    yield "".join(parts)


async def audit_export(request: Request) -> Response:
    """GET /admin/audit.csv, /admin/audit.json: every event the filter matches, as a download."""
    caller = admin_of(request)
    if isinstance(caller, RedirectResponse):
        return caller
    proxy = proxy_of(request)
    kind = request.path_params["format"]
    if kind not in ("csv", "json"):
        raise HTTPException(404, "no such page")
    where = _filter(request)
    proxy.state.audit("admin.export", caller.email, {"format": kind, "filter": where.query()})
    events = _audit_log(request).export(where)
    if kind == "csv":
        body, media = csv_lines(events), "text/csv; charset=utf-8"
    else:
        body, media = json_chunks(events), "application/json"
    stamp = proxy.state.now().replace(":", "")
    headers = {"Content-Disposition": f'attachment; filename="skillport-audit-{stamp}.{kind}"'}
    return StreamingResponse(body, media_type=media, headers=headers)


ROUTES = [
    Route("/admin", admin_page, methods=["GET"]),
    Route("/admin/skills", inventory_page, methods=["GET"]),
    Route("/admin/skills/{ref:path}", skill_page, methods=["GET"]),
    Route("/admin/access", access_page, methods=["GET"]),
    Route("/admin/audit", audit_page, methods=["GET"]),
    Route("/admin/audit.{format:str}", audit_export, methods=["GET"]),
]
