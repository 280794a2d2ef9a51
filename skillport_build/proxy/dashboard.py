"""What the admin dashboard shows, worked out from the live catalog, the policy and the audit log:
catalog health, downloads and active people over the last days as charts, the most downloaded
skills, one skill's downloads per version, and the audit rows made readable. Templates only lay
these out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from markupsafe import Markup

from skillport_build.models.catalog import Catalog, SkillRecord
from skillport_build.proxy.audit_queries import PAGE_FOLD, AuditEvent, AuditLog, query
from skillport_build.proxy.explorer import Person
from skillport_build.proxy.live import Health
from skillport_build.proxy.state import State
from skillport_build.site.charts import bar_chart, line_chart, sparkline

DAYS = 30
TOP = 20
MAX_VERSIONS = 6  # lines on one skill's chart; older versions are summed into "older"


@dataclass(frozen=True)
class HealthLine:
    """The dashboard's first line: is the catalog good, and what did the store say last."""

    ok: bool
    catalog_version: int | None
    expires: str | None
    days_left: int | None
    checked_at: str | None
    store: str
    problem: str | None


def health_line(health: Health, store_url: str, now: datetime) -> HealthLine:
    """The health to show, with the days until the catalog expires and the store without secrets."""
    days_left = None
    if health.expires:
        expires = datetime.strptime(health.expires, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        days_left = (expires - now).days
    return HealthLine(
        health.ok,
        health.catalog_version,
        health.expires,
        days_left,
        health.checked_at,
        public_store_url(store_url),
        health.problem,
    )


def public_store_url(url: str) -> str:
    """A store URL fit to show: no user, password, query or fragment (any could hold a secret)."""
    parts = urlsplit(url)
    if not parts.scheme or len(parts.scheme) == 1:  # a local folder (or a Windows drive letter)
        return url
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def last_days(now: datetime, days: int = DAYS) -> list[str]:
    """The `days` UTC days ending today, oldest first, as YYYY-MM-DD."""
    today = now.astimezone(UTC).date()
    return [(today - timedelta(days=days - 1 - i)).isoformat() for i in range(days)]


@dataclass(frozen=True)
class TopSkill:
    """A row of the most downloaded skills: its total over the days, a sparkline, its readers."""

    name: str
    total: int
    spark: Markup


@dataclass(frozen=True)
class Overview:
    """The dashboard page's figures."""

    days: list[str]
    downloads_chart: Markup
    active_chart: Markup
    downloads_total: int
    active_today: int
    top: list[TopSkill]
    backlog: int  # events not in the charts yet (a big log being folded after the proxy started)


def overview(audit: AuditLog, now: datetime) -> Overview:
    """Downloads and active people per day over the last DAYS days, and the top skills."""
    audit.fold(PAGE_FOLD)
    days = last_days(now)
    per_day = audit.daily("download", days[0])
    downloads = [per_day.get((d, ""), 0) for d in days]
    active_per_day = audit.active(days[0])
    active = [active_per_day.get(d, 0) for d in days]
    ranked = audit.top("download", days[0], TOP)
    per_name = audit.daily_of("download", days[0], [name for name, _ in ranked])
    top = [
        TopSkill(
            name,
            total,
            sparkline(
                [per_name[name].get(d, 0) for d in days], f"{name}: downloads per day, last {DAYS} days"
            ),
        )
        for name, total in ranked
    ]
    return Overview(
        days,
        bar_chart(days, downloads, f"Downloads per day, last {DAYS} days", "downloads"),
        bar_chart(days, active, f"People active per day, last {DAYS} days", "people"),
        sum(downloads),
        active[-1],
        top,
        audit.backlog(),
    )


def skill_chart(audit: AuditLog, skill: SkillRecord, now: datetime) -> tuple[Markup, dict[str, int]]:
    """One skill's downloads per day and version over the last DAYS days, and its totals per version."""
    audit.fold(PAGE_FOLD)
    days = last_days(now)
    counts = audit.daily("download", days[0], skill.ref)
    totals: dict[str, int] = {}
    for (_, version), n in counts.items():
        totals[version] = totals.get(version, 0) + n
    order = [r.version for r in reversed(skill.history)] + sorted(
        set(totals) - {r.version for r in skill.history}
    )
    shown = [v for v in order if v in totals][:MAX_VERSIONS]
    series = {v: [counts.get((d, v), 0) for d in days] for v in shown}
    older = [sum(counts.get((d, v), 0) for v in totals if v not in shown) for d in days]
    if any(older):
        series["older"] = older
    label = f"Downloads of {skill.ref} per day and version, last {DAYS} days"
    return line_chart(days, series, label, "downloads"), totals


def top_downloads(state: State, limit: int) -> list[tuple[tuple[str, str], int]]:
    """The `limit` most downloaded (skill, version) pairs of all time."""
    rows = query(
        state,
        "SELECT skill, version, count FROM downloads ORDER BY count DESC, skill, version LIMIT ?",
        (limit,),
    )
    return [((skill, version), int(n)) for skill, version, n in rows]


def download_totals(state: State) -> dict[str, int]:
    """All-time downloads per skill (or plugin), every version together."""
    rows = query(state, "SELECT skill, SUM(count) FROM downloads GROUP BY skill")
    return {name: int(n) for name, n in rows}


def downloads_of(state: State, name: str) -> list[tuple[str, int]]:
    """All-time downloads of one skill per version."""
    rows = query(state, "SELECT version, count FROM downloads WHERE skill = ? ORDER BY version", (name,))
    return [(version, int(n)) for version, n in rows]


def people(state: State) -> list[Person]:
    """Everyone who signed in here, with the groups of their latest sign-in."""
    rows = query(state, 'SELECT "user", "groups", signed_in FROM people ORDER BY "user"')
    return [Person(user, tuple(json.loads(groups)), signed_in) for user, groups, signed_in in rows]


def person(state: State, email: str) -> Person | None:
    """One person by email, if they signed in here."""
    rows = query(state, 'SELECT "user", "groups", signed_in FROM people WHERE "user" = ?', (email.lower(),))
    return Person(rows[0][0], tuple(json.loads(rows[0][1])), rows[0][2]) if rows else None


def detail_items(event: AuditEvent) -> list[tuple[str, str]]:
    """An event's detail as sorted (key, text) pairs: lists joined, other values as JSON."""
    return [(key, _text(value)) for key, value in sorted(event.detail.items())]


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value) or "(none)"
    return json.dumps(value, sort_keys=True)


def skill_of(event: AuditEvent, catalog: Catalog) -> str | None:
    """The skill an event is about, when the served catalog still has it (for a filter link)."""
    name = event.detail.get("skill") or event.detail.get("name")
    return name if isinstance(name, str) and catalog.skill(name) is not None else None
