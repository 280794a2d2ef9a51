"""The proxy's state, behind one data-access class: personal API tokens (stored hashed), sessions,
sign-ins, server secrets, one-time CLI codes, the audit log, download counts and the shared rate
limits. One SQLAlchemy Core schema (`proxy.db.schema`): SQLite by default (a file next to the
config), PostgreSQL by URL, so replicas share everything here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from skillport_build.errors import StateError, UsageError
from skillport_build.proxy.db import schema as t
from skillport_build.proxy.db.batch import BatchWriter
from skillport_build.proxy.db.dialect import greatest, upsert
from skillport_build.proxy.db.engine import open_engine, redacted
from skillport_build.proxy.db.migrate import revision, upgrade

TOKEN_PREFIX = "sp_"
AUDIT_LOG = logging.getLogger("skillport.audit")
TOKEN_CACHE_SECONDS = (
    1.0  # a revocation made elsewhere (another replica, the admin CLI) is refused within this
)
TOKEN_DAYS = 90  # a personal token's life when nobody says otherwise
TOKEN_MAX_DAYS = 365
DAY = 86400
_TOKEN_COLUMNS: tuple[sa.Column[Any], ...] = tuple(
    t.tokens.c[name] for name in ("id", "hash", "user", "groups", "name", "created", "revoked", "expires")
)


@dataclass(frozen=True)
class TokenInfo:
    """A personal API token as stored: never the secret itself."""

    id: str
    user: str
    groups: tuple[str, ...]
    name: str
    created: str
    revoked: str | None
    expires: str = ""

    def expired(self, now: str) -> bool:
        """Tell whether the token's life is over at `now` (a stamp like `created`)."""
        return self.expires <= now


AuditRow = tuple[str, str, str | None, str]  # at, event, actor, detail (JSON)
DownloadRow = tuple[str, str]  # skill, version
Row = AuditRow | DownloadRow


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


_SECOND: list[tuple[int, str]] = [(0, "1970-01-01T00:00:00Z")]  # the last second stamped, its stamp


def _stamp(at: float) -> str:
    second = int(at // 1)
    last = _SECOND[0]
    if last[0] != second:  # a stamp is made per request: once a second is enough
        last = _SECOND[0] = (second, datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return last[1]


def _parse(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def _now() -> str:
    return _stamp(time.time())


def _audit_line(at: str, event: str, actor: str | None, detail: str) -> str:
    return json.dumps({"at": at, "event": event, "actor": actor, **json.loads(detail)}, sort_keys=True)


class State:
    """The database, safe to share between the server's threads (one connection pool).

    Opening it upgrades the schema (`upgrade=False`: refuse a database that is not up to date, for
    admins who run `skillport db upgrade` themselves); a database newer than the code is refused."""

    def __init__(
        self, db: Path | str, clock: Callable[[], float] = time.time, *, upgrade_schema: bool = True
    ) -> None:
        self.path = str(db)
        self.clock = clock
        self.token_days, self.token_max_days = TOKEN_DAYS, TOKEN_MAX_DAYS
        self._token_cache: dict[str, tuple[float, TokenInfo]] = {}
        self._session_cache: dict[str, tuple[float, float]] = {}  # hash -> (remembered until, expires)
        self.engine = open_engine(self.path)
        self._writer = self.engine.execution_options(immediate=True)
        self._batch: BatchWriter[Row] | None = None
        try:
            self._open(upgrade_schema)
        except BaseException:
            self.engine.dispose()
            raise

    def _open(self, upgrade_schema: bool) -> None:
        if upgrade_schema:
            upgrade(self.engine)
            return
        found = revision(self.engine)
        if not found.up_to_date:
            raise StateError(
                f"the database {redacted(self.path)} is at schema revision {found.current or 'none'}, "
                f"this release needs {found.head}: run `skillport db upgrade --db …` (or let `skillport "
                "serve` upgrade it: db_upgrade: true)"
            )

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """One write transaction (SQLite: BEGIN IMMEDIATE), committed at the end, rolled back on error."""
        try:
            with self._writer.begin() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise StateError(f"the database {redacted(self.path)} failed: {exc.__class__.__name__}") from exc

    @contextmanager
    def reading(self) -> Iterator[sa.Connection]:
        """A connection for reads."""
        with self.engine.connect() as connection:
            yield connection

    def rows(self, statement: sa.Executable) -> list[tuple[Any, ...]]:
        """The rows of one read-only statement, after the queued audit rows and counts are written
        (a reader sees this process's own writes)."""
        self.flush()
        with self.reading() as connection:
            return [tuple(row) for row in connection.execute(statement)]

    def ping(self) -> str | None:
        """None when the database answers, else why not (for /healthz; never the URL's password)."""
        try:
            with self.reading() as db:
                db.execute(sa.select(1))
        except SQLAlchemyError as exc:
            return f"the database does not answer: {type(exc.__cause__ or exc).__name__}"
        return None

    def close(self) -> None:
        """Write what is queued, then close every pooled connection."""
        if self._batch is not None:
            self._batch.close()
        self.engine.dispose()

    # tokens -------------------------------------------------------------------------------------

    def now(self) -> str:
        """The state's clock as a stamp like a token's `created`."""
        return _stamp(self.clock())

    def limit_tokens(self, days: int, max_days: int) -> None:
        """Set the admin's token lives: `days` for a new token unless asked otherwise, `max_days` at
        most for every token, also those made before the maximum was lowered."""
        if not 1 <= days <= max_days:
            raise UsageError(f"token_days ({days}) must be between 1 and token_max_days ({max_days})")
        self.token_days, self.token_max_days = days, max_days
        self._token_cache = {}

    def create_token(
        self, user: str, groups: tuple[str, ...] = (), name: str = "", days: int | None = None
    ) -> tuple[str, TokenInfo]:
        """Make a personal token living `days` (the admin's default when None); the secret is
        returned once and only its hash is kept."""
        days = self.token_days if days is None else days
        if not 1 <= days <= self.token_max_days:
            raise UsageError(f"a token may live 1 to {self.token_max_days} days, not {days}")
        token_id = secrets.token_hex(6)
        secret = f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        now = self.clock()
        info = TokenInfo(
            token_id, user.lower(), tuple(groups), name or "personal token", _stamp(now), None,
            _stamp(now + days * DAY),
        )  # fmt: skip
        with self.transaction() as db:
            db.execute(
                t.tokens.insert().values(
                    id=info.id, hash=_hash(secret), user=info.user, groups=json.dumps(list(info.groups)),
                    name=info.name, created=info.created, revoked=None, expires=info.expires,
                )
            )  # fmt: skip
        self.audit("token.create", info.user, {"token": info.id, "name": info.name, "expires": info.expires})
        return secret, info

    def check_token(self, secret: str) -> TokenInfo | None:
        """The live token a secret belongs to, or None (unknown, malformed, revoked or expired),
        with the groups of its holder's latest sign-in (see `groups_now`).

        Answers are remembered for TOKEN_CACHE_SECONDS: a revocation here takes effect at once, one
        made by another process (`skillport tokens revoke`, another replica) within that time."""
        if not secret.startswith(TOKEN_PREFIX) or secret.count("_") < 2:
            return None
        key = _hash(secret)
        cached = self._token_cache.get(key)
        if cached is not None and cached[0] > time.monotonic():
            info: TokenInfo | None = cached[1]
        else:
            info = self._lookup_token(secret)
            if info is not None:
                if len(self._token_cache) > 10_000:
                    self._token_cache.clear()
                self._token_cache[key] = (time.monotonic() + TOKEN_CACHE_SECONDS, info)
        return None if info is None or info.expired(_stamp(self.clock())) else info

    def _lookup_token(self, secret: str) -> TokenInfo | None:
        token_id = secret[len(TOKEN_PREFIX) :].split("_", 1)[0]
        with self.reading() as db:
            row = db.execute(sa.select(*_TOKEN_COLUMNS).where(t.tokens.c.id == token_id)).first()
            if row is None or not hmac.compare_digest(row[1], _hash(secret)) or row[6] is not None:
                return None
            return self._token_info(db, tuple(row))

    def _token_info(self, db: sa.Connection, row: tuple[Any, ...]) -> TokenInfo:
        """A stored token as it stands now: its life capped by today's maximum, its groups by its
        holder's latest sign-in."""
        token_id, _, user, groups, name, created, revoked, expires = row
        latest = _stamp(_parse(created) + self.token_max_days * DAY)
        info = TokenInfo(
            token_id, user, tuple(json.loads(groups)), name, created, revoked, min(expires or latest, latest)
        )
        return replace(info, groups=self._groups_now(db, user, info.groups, since=created))

    def revoke_token(self, token_id: str, actor: str) -> bool:
        """Revoke a token; False when there is no such live token."""
        live = (t.tokens.c.id == token_id) & t.tokens.c.revoked.is_(None)
        with self.transaction() as db:
            changed = db.execute(t.tokens.update().where(live).values(revoked=_now())).rowcount
        self._token_cache = {k: v for k, v in self._token_cache.items() if v[1].id != token_id}
        if changed:
            self.audit("token.revoke", actor, {"token": token_id})
        return bool(changed)

    def tokens(self, user: str | None = None) -> list[TokenInfo]:
        """Every token (of one user), newest first."""
        query = sa.select(*_TOKEN_COLUMNS).order_by(t.tokens.c.created.desc(), t.tokens.c.id)
        if user is not None:
            query = query.where(t.tokens.c.user == user.lower())
        with self.reading() as db:
            return [self._token_info(db, tuple(r)) for r in db.execute(query)]

    # sessions ----------------------------------------------------------------------------------

    def start_session(self, user: str, ttl: float) -> str:
        """A server-side id for a new sign-in (kept hashed): the signed cookie carries it, and only
        an id still here makes the cookie good, so signing out ends every copy of the cookie."""
        session_id = secrets.token_urlsafe(32)
        with self.transaction() as db:
            db.execute(t.sessions.delete().where(t.sessions.c.expires < self.clock()))
            db.execute(
                t.sessions.insert().values(
                    hash=_hash(session_id), user=user.lower(), expires=self.clock() + ttl
                )
            )
        return session_id

    def session_live(self, session_id: str) -> bool:
        """Tell whether a session id was started here and has not ended or expired. A live answer is
        remembered for TOKEN_CACHE_SECONDS, like a token's: a sign-out here ends it at once, one on
        another replica within that time."""
        key = _hash(session_id)
        cached = self._session_cache.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1] > self.clock()
        with self.reading() as db:
            expires = db.execute(sa.select(t.sessions.c.expires).where(t.sessions.c.hash == key)).scalar()
        if expires is None or expires <= self.clock():
            return False
        if len(self._session_cache) > 10_000:
            self._session_cache.clear()
        self._session_cache[key] = (time.monotonic() + TOKEN_CACHE_SECONDS, float(expires))
        return True

    def end_session(self, session_id: str) -> None:
        """End a session: its cookie, and any copy of it, signs nobody in from now on."""
        self._session_cache.pop(_hash(session_id), None)
        with self.transaction() as db:
            db.execute(t.sessions.delete().where(t.sessions.c.hash == _hash(session_id)))

    # who people were at their latest sign-in ----------------------------------------------------

    def record_sign_in(self, user: str, groups: tuple[str, ...] | list[str]) -> None:
        """Remember the groups the identity provider gave at this sign-in: tokens and links made
        earlier keep no group the person has lost since."""
        with self.transaction() as db:
            insert = upsert(db, t.people).values(
                user=user.lower(), groups=json.dumps(sorted(set(groups))), signed_in=_stamp(self.clock())
            )
            db.execute(
                insert.on_conflict_do_update(
                    index_elements=["user"],
                    set_={"groups": insert.excluded.groups, "signed_in": insert.excluded.signed_in},
                )
            )
        self._token_cache = {k: v for k, v in self._token_cache.items() if v[1].user != user.lower()}

    def groups_now(self, user: str, groups: tuple[str, ...], since: str) -> tuple[str, ...]:
        """`groups` (held at `since`) less any the person lacked at a sign-in after `since`: groups
        are re-derived at each sign-in, and a credential never gains one it was not made with."""
        with self.reading() as db:
            return self._groups_now(db, user, groups, since)

    def _groups_now(
        self, db: sa.Connection, user: str, groups: tuple[str, ...], since: str
    ) -> tuple[str, ...]:
        row = db.execute(
            sa.select(t.people.c.groups, t.people.c.signed_in).where(t.people.c.user == user.lower())
        ).first()
        if row is None or row[1] <= since:
            return groups
        latest = set(json.loads(row[0]))
        return tuple(g for g in groups if g in latest)

    # server secrets and one-time sign-in codes ----------------------------------------------------

    def secret(self, name: str) -> bytes:
        """A random server secret, made on first use and shared by every replica using this database."""
        with self.transaction() as db:
            made = upsert(db, t.secrets).values(name=name, value=secrets.token_hex(32))
            db.execute(made.on_conflict_do_nothing(index_elements=["name"]))
            value = db.execute(sa.select(t.secrets.c.value).where(t.secrets.c.name == name)).scalar_one()
        return bytes.fromhex(value)

    def put_code(self, user: str, groups: tuple[str, ...], challenge: str, ttl: float) -> str:
        """A one-time code that a CLI exchanges (with the PKCE verifier) for a personal token."""
        code = secrets.token_urlsafe(32)
        with self.transaction() as db:
            db.execute(t.codes.delete().where(t.codes.c.expires < time.time()))
            db.execute(
                t.codes.insert().values(
                    hash=_hash(code), user=user.lower(), groups=json.dumps(list(groups)),
                    challenge=challenge, expires=time.time() + ttl,
                )
            )  # fmt: skip
        return code

    def take_code(self, code: str) -> tuple[str, tuple[str, ...], str] | None:
        """Use a one-time code up: its user, groups and PKCE challenge, or None (unknown or expired).
        One DELETE … RETURNING, so of two replicas racing for a code exactly one gets it."""
        c = t.codes.c
        with self.transaction() as db:
            row = db.execute(
                t.codes.delete()
                .where(c.hash == _hash(code))
                .returning(c.user, c.groups, c.challenge, c.expires)
            ).first()
        if row is None or row[3] < time.time():
            return None
        return row[0], tuple(json.loads(row[1])), row[2]

    # publish notices ----------------------------------------------------------------------------

    def take_notice(self, signature: str, keep: float) -> bool:
        """Record a publish notice by its signature; False when one with it was taken already (a
        replay), by any replica. Notices older than `keep` seconds are forgotten."""
        now = self.clock()
        with self.transaction() as db:
            db.execute(t.notices.delete().where(t.notices.c.at < now - keep))
            taken = upsert(db, t.notices).values(signature=signature, at=now)
            first = taken.on_conflict_do_nothing(index_elements=["signature"]).returning(
                t.notices.c.signature
            )
            return db.execute(first).first() is not None

    # rate limits shared by every replica ----------------------------------------------------------

    def take_rate(self, key: str, rate: float, burst: int, count: int = 1) -> tuple[int, float]:
        """Spend `count` requests of `key`'s allowance at once (`rate` a second, `burst` at once; GCRA
        in one statement, so replicas and workers share it), else one: how many were taken, and when
        none, the seconds to wait. One transaction either way."""
        now, interval = self.clock(), 1.0 / rate
        tat = t.rate_limits.c.tat
        with self.transaction() as db:
            for n in dict.fromkeys((min(count, burst), 1)):
                insert = upsert(db, t.rate_limits).values(key=key, tat=now + n * interval)
                moved = greatest(tat, now) + n * interval
                taken = db.execute(
                    insert.on_conflict_do_update(
                        index_elements=["key"], set_={"tat": moved}, where=moved - now <= burst * interval
                    ).returning(tat)
                ).first()
                if taken is not None:
                    return n, 0.0
            ahead = float(db.execute(sa.select(tat).where(t.rate_limits.c.key == key)).scalar_one())
        return 0, max(ahead + interval - now - burst * interval, interval / 10)

    def sweep_rates(self) -> None:
        """Forget callers whose allowance is full again (bounded table)."""
        with self.transaction() as db:
            db.execute(t.rate_limits.delete().where(t.rate_limits.c.tat < self.clock()))

    # audit and downloads ------------------------------------------------------------------------

    def batch_writes(self, flush_ms: int) -> None:
        """Queue audit rows and download counts and write them every `flush_ms` milliseconds in one
        transaction (see `proxy.db.batch`); 0 writes each at once, in its own transaction."""
        if self._batch is not None:
            self._batch.close()
        self._batch = BatchWriter(self._write_rows, flush_ms / 1000) if flush_ms > 0 else None

    def flush(self) -> None:
        """Write the queued audit rows and download counts now."""
        if self._batch is not None:
            self._batch.flush()  # also waits for a write the background thread has under way

    def _put(self, row: Row) -> None:
        if self._batch is None:
            self._write_rows([row])
        else:
            self._batch.add(row)

    def _write_rows(self, rows: Sequence[Row]) -> None:
        """Audit rows in their order and download counts summed, in one transaction; then the audit
        rows' JSON lines, one log record for the lot (the log says only what the database holds)."""
        audits: list[AuditRow] = []
        counts: Counter[DownloadRow] = Counter()
        for r in rows:
            if len(r) == 4:
                audits.append(r)
            else:
                counts[r] += 1
        events = [{"at": at, "event": e, "actor": actor, "detail": d} for at, e, actor, d in audits]
        with self.transaction() as db:
            if events:
                db.execute(t.audit.insert(), events)
            if counts:
                insert = upsert(db, t.downloads)
                db.execute(
                    insert.on_conflict_do_update(
                        index_elements=["skill", "version"],
                        set_={"count": t.downloads.c.count + insert.excluded.count},
                    ),
                    [{"skill": s, "version": v, "count": n} for (s, v), n in counts.items()],
                )
        if events and AUDIT_LOG.isEnabledFor(logging.INFO):
            AUDIT_LOG.info("\n".join(_audit_line(*row) for row in audits))

    def audit(self, event: str, actor: str | None, detail: dict[str, Any]) -> None:
        """Append one audit event (queued when writes are batched); once stored, it is also one JSON
        line in the `skillport.audit` log."""
        self._put((_now(), event, actor, json.dumps(detail, sort_keys=True)))

    def audit_tail(self, limit: int = 50) -> list[dict[str, Any]]:
        """The newest audit events, oldest first, as JSON-ready objects."""
        a = t.audit.c
        rows = self.rows(sa.select(a.at, a.event, a.actor, a.detail).order_by(a.seq.desc()).limit(limit))
        return [
            {"at": at, "event": event, "actor": actor, **json.loads(detail)}
            for at, event, actor, detail in reversed(rows)
        ]

    def count_download(self, skill: str, version: str) -> None:
        """Count one download of a skill version (queued when writes are batched)."""
        self._put((skill, version))

    def downloads_by(self, user: str) -> dict[tuple[str, str], str]:
        """When `user` last downloaded each bundle: (kind, name) -> time, from the audit log (indexed
        by actor; the detail is parsed here, so the query is the same on every engine)."""
        a = t.audit.c
        last: dict[tuple[str, str], str] = {}
        for at, detail in self.rows(sa.select(a.at, a.detail).where(a.event == "download", a.actor == user)):
            try:
                fields = json.loads(detail)
            except ValueError:
                continue
            kind, name = fields.get("kind"), fields.get("name")
            if isinstance(kind, str) and isinstance(name, str) and kind and name:
                key = (kind, name)
                last[key] = max(last.get(key, at), at)
        return last

    def download_counts(self) -> dict[tuple[str, str], int]:
        """Downloads per (skill, version)."""
        d = t.downloads.c
        return {
            (skill, version): count
            for skill, version, count in self.rows(sa.select(d.skill, d.version, d.count))
        }
