"""What the admin dashboard asks of the audit log: filtered pages (keyset on `seq`, indexed),
exports, daily roll-ups for the charts, and the retention prune.

Plain SQL over the state's tables that SQLite and PostgreSQL both run. The charts never scan the
log: new events are folded, in order and once, into two small roll-up tables (`audit_daily`:
downloads and reads per day, skill and version; `audit_active`: who did something on which day),
with a watermark (`audit_folded`) saying how far the fold got. The same fold indexes which events
name which skill (`audit_skill`, since the skill sits inside each event's JSON detail) and which
kinds of event exist (`audit_kinds`). A fold runs when the proxy starts, before each read of the
roll-ups or the skill index, and before a prune, so it only ever reads the events since the last
one; it reads and tallies outside the write transaction, which stays short.
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

import sqlalchemy as sa

from skillport_build.errors import UsageError
from skillport_build.proxy.state import State

LOG = logging.getLogger("skillport.serve")
_PLACEHOLDER = re.compile(r"\?")
PAGE_SIZE = 50
EXPORT_CHUNK = 2000
FOLD_CHUNK = 5000
PAGE_FOLD = FOLD_CHUNK  # a page folds this many new events at most; the start-up fold takes the rest
PRUNE_CHUNK = 10_000
COUNTED = ("download", "read")  # the events the charts count per skill and version
_EVENT = re.compile(r"^[a-z][a-z._-]{0,39}$")
_PERSON = re.compile(r"^[^\s<>\"']{1,200}$")
_SKILL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def sql(text: str) -> sa.TextClause:
    """A statement written with `?` placeholders, bound by position (`:p0`, `:p1`, …): plain SQL
    that SQLite and PostgreSQL both run (the tables are in db/schema.py, made by migration 0003)."""
    count = iter(range(1_000_000))
    return sa.text(_PLACEHOLDER.sub(lambda _: f":p{next(count)}", text))


def _bind(args: tuple[object, ...] | list[object]) -> dict[str, object]:
    return {f"p{i}": value for i, value in enumerate(args)}


def query(state: State, text: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
    """The rows of one read-only statement with `?` placeholders."""
    return state.rows(sql(text).bindparams(**_bind(args)) if args else sql(text))


def _run(db: sa.Connection, text: str, args: tuple[object, ...] = ()) -> sa.CursorResult[Any]:
    return db.execute(sql(text), _bind(args))


def execute_many(db: sa.Connection, text: str, rows: list[tuple[Any, ...]]) -> None:
    """One statement with `?` placeholders, once per row, in the caller's transaction."""
    if rows:
        db.execute(sql(text), [_bind(r) for r in rows])


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
            conditions.append("seq IN (SELECT seq FROM audit_skill WHERE name = ?)")
            args.append(self.skill)
        if self.since:
            conditions.append("at >= ?")
            args.append(f"{self.since}T00:00:00Z")
        if self.until:
            conditions.append("at < ?")
            args.append(_next_day(self.until) + "T00:00:00Z")
        return conditions, args


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
        if where.skill:
            self.fold(PAGE_FOLD)  # the skill index must hold the newest events too
        if conditions:
            sql += " WHERE " + " AND ".join(conditions)
        order = "ASC" if after is not None and before is None else "DESC"
        rows = query(self.state, sql + f" ORDER BY seq {order} LIMIT ?", (*args, size + 1))
        more = len(rows) > size
        events = tuple(_event(r) for r in rows[:size])
        if order == "ASC":
            events = tuple(reversed(events))
            return AuditPage(events, events[-1].seq if events else None, events[0].seq if more else None)
        newer = events[0].seq if events and (before is not None or after is not None) else None
        return AuditPage(events, events[-1].seq if more else None, newer)

    def latest(self, size: int) -> tuple[AuditEvent, ...]:
        """The newest `size` events but admins' page views (the dashboard's own echo)."""
        rows = query(
            self.state,
            "SELECT seq, at, event, actor, detail FROM audit WHERE event <> 'admin.view' "
            "ORDER BY seq DESC LIMIT ?",
            (size,),
        )
        return tuple(_event(r) for r in rows)

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
        self.fold(PAGE_FOLD)
        return [row[0] for row in query(self.state, "SELECT event FROM audit_kinds ORDER BY event")]

    # roll-ups ------------------------------------------------------------------------------------

    def _folded(self) -> int:
        rows = query(self.state, "SELECT seq FROM audit_folded WHERE name = 'daily'")
        return int(rows[0][0]) if rows else 0

    def backlog(self) -> int:
        """Events not folded yet."""
        return int(query(self.state, "SELECT COUNT(*) FROM audit WHERE seq > ?", (self._folded(),))[0][0])

    def fold(self, most: int | None = None) -> int:
        """Fold the events since the last fold into the roll-ups; returns how many were taken.
        With `most`, only when there are no more than that many (a page never waits for a big
        backlog: the background fold takes it)."""
        if most is not None and self.backlog() > most:
            return 0
        total = 0
        while True:
            start = self._folded()
            rows = query(
                self.state,
                "SELECT seq, at, event, actor, detail FROM audit WHERE seq > ? ORDER BY seq LIMIT ?",
                (start, FOLD_CHUNK),
            )
            if not rows:
                return total
            tally = _tally(rows)
            with self.state.transaction() as db:
                row = _run(db, "SELECT seq FROM audit_folded WHERE name = 'daily'").fetchone()
                if (row[0] if row else 0) != start:
                    continue  # another process folded these meanwhile: read on from where it got
                _write(db, tally, rows[-1][0])
            total += len(rows)
            if len(rows) < FOLD_CHUNK:
                return total

    def daily(self, event: str, since: str, name: str | None = None) -> dict[tuple[str, str], int]:
        """Counts of `event` per (day, version) from `since` (YYYY-MM-DD), of one skill or all
        (then the version is "")."""
        if name is None:
            rows = query(
                self.state,
                "SELECT day, '', SUM(count) FROM audit_daily WHERE event = ? AND day >= ? GROUP BY day",
                (event, since),
            )
        else:
            rows = query(
                self.state,
                "SELECT day, version, SUM(count) FROM audit_daily WHERE event = ? AND name = ? AND day >= ? "
                "GROUP BY day, version",
                (event, name, since),
            )
        return {(day, version): int(n) for day, version, n in rows}

    def top(self, event: str, since: str, limit: int) -> list[tuple[str, int]]:
        """The `limit` names with the most `event`s from `since`, and their counts."""
        rows = query(
            self.state,
            "SELECT name, SUM(count) AS n FROM audit_daily WHERE event = ? AND day >= ? "
            "GROUP BY name ORDER BY n DESC, name LIMIT ?",
            (event, since, limit),
        )
        return [(name, int(n)) for name, n in rows]

    def daily_of(self, event: str, since: str, names: list[str]) -> dict[str, dict[str, int]]:
        """Counts of `event` per day from `since` for each of `names`."""
        out: dict[str, dict[str, int]] = {name: {} for name in names}
        if not names:
            return out
        marks = ", ".join("?" for _ in names)
        rows = query(
            self.state,
            "SELECT name, day, SUM(count) FROM audit_daily "
            f"WHERE event = ? AND name IN ({marks}) AND day >= ? GROUP BY name, day",
            (event, *names, since),
        )
        for name, day, n in rows:
            out[name][day] = int(n)
        return out

    def active(self, since: str) -> dict[str, int]:
        """People who did something, per day from `since`."""
        rows = query(
            self.state, "SELECT day, COUNT(*) FROM audit_active WHERE day >= ? GROUP BY day", (since,)
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
                gone = _run(
                    db,
                    "DELETE FROM audit WHERE seq IN "
                    "(SELECT seq FROM audit WHERE at < ? ORDER BY seq LIMIT ?)",
                    (stamp, PRUNE_CHUNK),
                ).rowcount
            removed += gone
            if gone < PRUNE_CHUNK:
                break
        with self.state.transaction() as db:
            _run(db, "DELETE FROM audit_active WHERE day < ?", (day,))
            _run(
                db,
                "DELETE FROM audit_skill WHERE seq < "
                "COALESCE((SELECT MIN(seq) FROM audit), (SELECT MAX(seq) + 1 FROM audit_skill))",
            )
        if removed:
            self.state.audit("audit.prune", None, {"before": stamp, "days": days, "removed": removed})
        return removed


@dataclass
class _Tally:
    """What a run of events adds to the roll-ups."""

    counts: dict[tuple[str, str, str, str], int]  # (day, event, skill, version) -> events
    active: set[tuple[str, str]]  # (day, person)
    skills: list[tuple[str, int]]  # (skill, seq) of each event naming a skill
    kinds: set[str]


def _tally(rows: list[tuple[Any, ...]]) -> _Tally:
    """Count a run of events for the roll-ups and the skill index."""
    tally = _Tally({}, set(), [], set())
    for seq, at, event, actor, detail in rows:
        day = str(at)[:10]
        tally.kinds.add(event)
        if actor and not event.endswith(".refused"):
            tally.active.add((day, actor))
        try:
            loaded = json.loads(detail)
        except ValueError:
            continue
        if not isinstance(loaded, dict):
            continue
        name = loaded.get("name") or loaded.get("skill")
        if not isinstance(name, str) or not name:
            continue
        tally.skills.append((name, int(seq)))
        if event in COUNTED:
            version = loaded.get("version")
            key = (day, event, name, version if isinstance(version, str) else "")
            tally.counts[key] = tally.counts.get(key, 0) + 1
    return tally


def _write(db: Any, tally: _Tally, last: int) -> None:
    """Add a tally to the roll-ups and move the watermark to `last`, in the caller's transaction."""
    execute_many(
        db,
        "INSERT INTO audit_daily (day, event, name, version, count) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (day, event, name, version) DO UPDATE SET count = audit_daily.count + excluded.count",
        [(*key, n) for key, n in sorted(tally.counts.items())],
    )
    execute_many(
        db,
        "INSERT INTO audit_active (day, actor) VALUES (?, ?) ON CONFLICT (day, actor) DO NOTHING",
        sorted(tally.active),
    )
    execute_many(
        db,
        "INSERT INTO audit_skill (name, seq) VALUES (?, ?) ON CONFLICT (name, seq) DO NOTHING",
        tally.skills,
    )
    execute_many(
        db,
        "INSERT INTO audit_kinds (event) VALUES (?) ON CONFLICT (event) DO NOTHING",
        [(k,) for k in sorted(tally.kinds)],
    )
    _run(
        db,
        "INSERT INTO audit_folded (name, seq) VALUES ('daily', ?) "
        "ON CONFLICT (name) DO UPDATE SET seq = excluded.seq",
        (last,),
    )


RETENTION_INTERVAL = 3600.0
FOLD_INTERVAL = 60.0


def run_folds(audit: AuditLog, stop: threading.Event, interval: float = FOLD_INTERVAL) -> None:
    """Fold the log into the roll-ups now (a big log after an upgrade or a restart) and then every
    `interval` seconds until `stop`, so the pages only ever fold the last few events themselves."""
    while True:
        try:
            audit.fold()
        except Exception:  # retried next time; the pages say when the charts lag
            LOG.exception("folding the audit log failed")
        if stop.wait(interval):
            return


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
