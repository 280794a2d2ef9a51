"""What the admin dashboard asks of the audit log: filtered pages (keyset on `seq`, indexed),
exports, daily roll-ups for the charts, and the retention prune.

Plain SQL over the state's tables that SQLite and PostgreSQL both run. The charts never scan the
log: new events are folded, in order and once, into two small roll-up tables (`audit_daily`:
downloads and reads per day, skill and version; `audit_active`: who did something on which day),
with a watermark (`audit_folded`) saying how far the fold got. A fold runs before each read of the
roll-ups and before a prune, so it only ever reads the events since the last one.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from skillport_build.errors import UsageError
from skillport_build.proxy.state import State

SCHEMA = """
CREATE INDEX IF NOT EXISTS audit_event_seq ON audit (event, seq);
CREATE INDEX IF NOT EXISTS audit_actor_seq ON audit (actor, seq);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
CREATE TABLE IF NOT EXISTS audit_daily (
    day TEXT NOT NULL,
    event TEXT NOT NULL,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (day, event, name, version)
);
CREATE INDEX IF NOT EXISTS audit_daily_name ON audit_daily (event, name, day);
CREATE TABLE IF NOT EXISTS audit_active (
    day TEXT NOT NULL,
    actor TEXT NOT NULL,
    PRIMARY KEY (day, actor)
);
CREATE TABLE IF NOT EXISTS audit_folded (
    name TEXT PRIMARY KEY,
    seq INTEGER NOT NULL
);
"""
LOG = logging.getLogger("skillport.serve")
PAGE_SIZE = 50
EXPORT_CHUNK = 2000
FOLD_CHUNK = 20_000
PRUNE_CHUNK = 10_000
COUNTED = ("download", "read")  # the events the charts count per skill and version
_EVENT = re.compile(r"^[a-z][a-z._-]{0,39}$")
_PERSON = re.compile(r"^[^\s<>\"']{1,200}$")
_SKILL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class AuditEvent:
    """One audit line as the dashboard shows it."""

    seq: int
    at: str
    event: str
    actor: str | None
    detail: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        """The event as an export writes it."""
        return {
            "seq": self.seq,
            "at": self.at,
            "event": self.event,
            "actor": self.actor,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class AuditFilter:
    """Which events to show: every field set must match (days are UTC, `until` included)."""

    event: str = ""
    person: str = ""
    skill: str = ""
    since: str = ""  # YYYY-MM-DD
    until: str = ""  # YYYY-MM-DD

    @classmethod
    def parse(cls, params: dict[str, str]) -> AuditFilter:
        """A filter from query parameters; UsageError naming the parameter when one is malformed."""
        checks = {"event": _EVENT, "person": _PERSON, "skill": _SKILL, "since": _DAY, "until": _DAY}
        values = {name: params.get(name, "").strip() for name in checks}
        for name, pattern in checks.items():
            if values[name] and not pattern.match(values[name]):
                hint = "a day like 2026-12-01" if name in ("since", "until") else "a plain name"
                raise UsageError(
                    f"the {name!r} filter {values[name][:40]!r} is not {hint}; fix it or clear it"
                )
        for name in ("since", "until"):
            if values[name]:
                try:
                    datetime.strptime(values[name], "%Y-%m-%d")
                except ValueError:
                    raise UsageError(
                        f"the {name!r} filter {values[name]!r} is not a day of the calendar"
                    ) from None
        return cls(**values)

    def query(self) -> dict[str, str]:
        """The parameters that give this filter back (for links and the export)."""
        return {k: v for k, v in vars(self).items() if v}

    def where(self) -> tuple[list[str], list[object]]:
        """SQL conditions and their arguments."""
        conditions: list[str] = []
        args: list[object] = []
        if self.event:
            conditions.append("event = ?")
            args.append(self.event)
        if self.person:
            conditions.append("actor = ?")
            args.append(self.person.lower())
        if self.skill:
            conditions.append("(detail LIKE ? ESCAPE '!' OR detail LIKE ? ESCAPE '!')")
            quoted = _like(json.dumps(self.skill))
            args += [f'%"skill": {quoted}%', f'%"name": {quoted}%']
        if self.since:
            conditions.append("at >= ?")
            args.append(f"{self.since}T00:00:00Z")
        if self.until:
            conditions.append("at < ?")
            args.append(_next_day(self.until) + "T00:00:00Z")
        return conditions, args


def _like(text: str) -> str:
    """`text` as a literal inside a LIKE pattern whose escape character is `!`."""
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")


def _next_day(day: str) -> str:
    return (datetime.strptime(day, "%Y-%m-%d") + timedelta(days=1)).strftime("%Y-%m-%d")


def _event(row: tuple[Any, ...]) -> AuditEvent:
    seq, at, event, actor, detail = row
    try:
        loaded = json.loads(detail)
    except ValueError:
        loaded = {"unreadable": str(detail)[:200]}
    return AuditEvent(int(seq), at, event, actor, loaded if isinstance(loaded, dict) else {"value": loaded})


@dataclass(frozen=True)
class AuditPage:
    """One page of events, newest first, with the cursors of the pages below and above it."""

    events: tuple[AuditEvent, ...]
    next_cursor: int | None  # `before` of the next (older) page, None on the last
    newer_cursor: int | None  # `after` of the page above; None only when the page is empty or the newest


class AuditLog:
    """The dashboard's questions to the audit log of one state database."""

    def __init__(self, state: State) -> None:
        self.state = state
        state.migrate(SCHEMA)

    def page(
        self, where: AuditFilter, before: int | None = None, size: int = PAGE_SIZE, after: int | None = None
    ) -> AuditPage:
        """`size` events matching `where`, newest first: the newest older than `before` (the cursor
        of the page above), or the oldest newer than `after` (going back up), or the newest."""
        conditions, args = where.where()
        if before is not None:
            conditions.append("seq < ?")
            args.append(before)
        if after is not None:
            conditions.append("seq > ?")
            args.append(after)
        sql = "SELECT seq, at, event, actor, detail FROM audit"
        if conditions:
            sql += " WHERE " + " AND ".join(conditions)
        order = "ASC" if after is not None and before is None else "DESC"
        rows = self.state.query(sql + f" ORDER BY seq {order} LIMIT ?", (*args, size + 1))
        more = len(rows) > size
        events = tuple(_event(r) for r in rows[:size])
        if order == "ASC":
            events = tuple(reversed(events))
            return AuditPage(events, events[-1].seq if events else None, events[0].seq if more else None)
        newer = events[0].seq if events and (before is not None or after is not None) else None
        return AuditPage(events, events[-1].seq if more else None, newer)

    def export(self, where: AuditFilter) -> Iterator[AuditEvent]:
        """Every event matching `where`, newest first, read a chunk at a time."""
        before: int | None = None
        while True:
            page = self.page(where, before, EXPORT_CHUNK)
            yield from page.events
            if page.next_cursor is None:
                return
            before = page.next_cursor

    def events(self) -> list[str]:
        """The kinds of event the log holds (for the filter's choices)."""
        return [row[0] for row in self.state.query("SELECT DISTINCT event FROM audit ORDER BY event")]

    # roll-ups ------------------------------------------------------------------------------------

    def fold(self) -> int:
        """Fold the events since the last fold into the roll-ups; returns how many were read."""
        total = 0
        while True:
            with self.state.transaction() as db:
                row = db.execute("SELECT seq FROM audit_folded WHERE name = 'daily'").fetchone()
                start = row[0] if row else 0
                rows = db.execute(
                    "SELECT seq, at, event, actor, detail FROM audit WHERE seq > ? ORDER BY seq LIMIT ?",
                    (start, FOLD_CHUNK),
                ).fetchall()
                if not rows:
                    return total
                counts, active = _tally(rows)
                db.executemany(
                    "INSERT INTO audit_daily (day, event, name, version, count) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (day, event, name, version) "
                    "DO UPDATE SET count = audit_daily.count + excluded.count",
                    [(*key, n) for key, n in sorted(counts.items())],
                )
                db.executemany(
                    "INSERT INTO audit_active (day, actor) VALUES (?, ?) ON CONFLICT (day, actor) DO NOTHING",
                    sorted(active),
                )
                db.execute(
                    "INSERT INTO audit_folded (name, seq) VALUES ('daily', ?) "
                    "ON CONFLICT (name) DO UPDATE SET seq = excluded.seq",
                    (rows[-1][0],),
                )
            total += len(rows)
            if len(rows) < FOLD_CHUNK:
                return total

    def daily(self, event: str, since: str, name: str | None = None) -> dict[tuple[str, str], int]:
        """Counts of `event` per (day, version) from `since` (YYYY-MM-DD), of one skill or all
        (then the version is "")."""
        if name is None:
            rows = self.state.query(
                "SELECT day, '', SUM(count) FROM audit_daily WHERE event = ? AND day >= ? GROUP BY day",
                (event, since),
            )
        else:
            rows = self.state.query(
                "SELECT day, version, SUM(count) FROM audit_daily WHERE event = ? AND name = ? AND day >= ? "
                "GROUP BY day, version",
                (event, name, since),
            )
        return {(day, version): int(n) for day, version, n in rows}

    def daily_by_name(self, event: str, since: str) -> dict[str, dict[str, int]]:
        """Counts of `event` per name and day from `since`."""
        rows = self.state.query(
            "SELECT name, day, SUM(count) FROM audit_daily WHERE event = ? AND day >= ? GROUP BY name, day",
            (event, since),
        )
        out: dict[str, dict[str, int]] = {}
        for name, day, n in rows:
            out.setdefault(name, {})[day] = int(n)
        return out

    def active(self, since: str) -> dict[str, int]:
        """People who did something, per day from `since`."""
        rows = self.state.query(
            "SELECT day, COUNT(*) FROM audit_active WHERE day >= ? GROUP BY day", (since,)
        )
        return {day: int(n) for day, n in rows}

    # retention -----------------------------------------------------------------------------------

    def prune(self, days: int, now: datetime) -> int:
        """Delete events (and who-was-active days) older than `days` days before `now`, after folding
        them into the daily counts; audited itself when anything went. Returns the events removed."""
        if days < 1:
            raise UsageError(f"audit_days must be 1 or more, not {days}")
        self.fold()
        cutoff = (now.astimezone(UTC) - timedelta(days=days)).replace(microsecond=0)
        stamp, day = cutoff.strftime("%Y-%m-%dT%H:%M:%SZ"), cutoff.strftime("%Y-%m-%d")
        removed = 0
        while True:
            with self.state.transaction() as db:
                gone = db.execute(
                    "DELETE FROM audit WHERE seq IN "
                    "(SELECT seq FROM audit WHERE at < ? ORDER BY seq LIMIT ?)",
                    (stamp, PRUNE_CHUNK),
                ).rowcount
            removed += gone
            if gone < PRUNE_CHUNK:
                break
        with self.state.transaction() as db:
            db.execute("DELETE FROM audit_active WHERE day < ?", (day,))
        if removed:
            self.state.audit("audit.prune", None, {"before": stamp, "days": days, "removed": removed})
        return removed


def _tally(rows: list[tuple[Any, ...]]) -> tuple[dict[tuple[str, str, str, str], int], set[tuple[str, str]]]:
    """Counts per (day, event, skill, version) and the (day, person) pairs of a run of events."""
    counts: dict[tuple[str, str, str, str], int] = {}
    active: set[tuple[str, str]] = set()
    for _, at, event, actor, detail in rows:
        day = str(at)[:10]
        if actor and not event.endswith(".refused"):
            active.add((day, actor))
        if event not in COUNTED:
            continue
        try:
            loaded = json.loads(detail)
        except ValueError:
            continue
        name = loaded.get("name") or loaded.get("skill") if isinstance(loaded, dict) else None
        if isinstance(name, str) and name:
            version = loaded.get("version")
            key = (day, event, name, version if isinstance(version, str) else "")
            counts[key] = counts.get(key, 0) + 1
    return counts, active


RETENTION_INTERVAL = 3600.0


def run_retention(
    audit: AuditLog,
    days: int,
    clock: Callable[[], datetime],
    stop: threading.Event,
    interval: float = RETENTION_INTERVAL,
) -> None:
    """Prune the audit log to `days` days now and then every `interval` seconds until `stop`."""
    while True:
        try:
            audit.prune(days, clock())
        except Exception:  # a failed prune is retried next time; serving goes on
            LOG.exception("audit prune failed")
        if stop.wait(interval):
            return
