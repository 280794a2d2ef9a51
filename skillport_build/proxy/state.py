"""The proxy's small state, behind one data-access module: personal API tokens (stored hashed),
the audit log and download counts. SQLite by default (a file next to the config); the SQL is plain
enough that a PostgreSQL-backed class can take this one's place.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from skillport_build.errors import UsageError

TOKEN_PREFIX = "sp_"
AUDIT_LOG = logging.getLogger("skillport.audit")
TOKEN_CACHE_SECONDS = 5.0
TOKEN_DAYS = 90  # a personal token's life when nobody says otherwise
TOKEN_MAX_DAYS = 365
DAY = 86400
_TOKEN_COLUMNS = "id, hash, user, groups, name, created, revoked, expires"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    user TEXT NOT NULL,
    groups TEXT NOT NULL,
    name TEXT NOT NULL,
    created TEXT NOT NULL,
    revoked TEXT
);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    event TEXT NOT NULL,
    actor TEXT,
    detail TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS codes (
    hash TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    groups TEXT NOT NULL,
    challenge TEXT NOT NULL,
    expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    hash TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS people (
    user TEXT PRIMARY KEY,
    groups TEXT NOT NULL,
    signed_in TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS downloads (
    skill TEXT NOT NULL,
    version TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (skill, version)
);
"""


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


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _stamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def _now() -> str:
    return _stamp(time.time())


class State:
    """SQLite-backed state; safe to share between the server's threads."""

    def __init__(self, path: Path | str, clock: Callable[[], float] = time.time) -> None:
        self.path = str(path)
        self.clock = clock
        self.token_days, self.token_max_days = TOKEN_DAYS, TOKEN_MAX_DAYS
        if self.path.split(":", 1)[0] in ("postgres", "postgresql"):
            raise UsageError(
                "PostgreSQL state is not available in this release; give a SQLite file for --db "
                "(replicas can share one on a network volume, or each keep their own with a shared `secret`)"
            )
        self._lock = threading.Lock()
        self._token_cache: dict[str, tuple[float, TokenInfo]] = {}
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(tokens)")}
        if "expires" not in columns:  # databases from before tokens expired: their life is the maximum
            self._db.execute("ALTER TABLE tokens ADD COLUMN expires TEXT")

    def migrate(self, schema: str) -> None:
        """Create the tables another module keeps in this database (idempotent SQL)."""
        with self._lock:
            self._db.executescript(schema)

    def query(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """The rows of one read-only statement."""
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE … COMMIT, rolled back on error)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        """Close the database."""
        self._db.close()

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
            token_id,
            user.lower(),
            tuple(groups),
            name or "personal token",
            _stamp(now),
            None,
            _stamp(now + days * DAY),
        )
        with self.transaction() as db:
            db.execute(
                "INSERT INTO tokens (id, hash, user, groups, name, created, revoked, expires) "
                "VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
                (
                    info.id,
                    _hash(secret),
                    info.user,
                    json.dumps(list(info.groups)),
                    info.name,
                    info.created,
                    info.expires,
                ),
            )
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
        with self._lock:
            row = self._db.execute(
                f"SELECT {_TOKEN_COLUMNS} FROM tokens WHERE id = ?", (token_id,)
            ).fetchone()
        if row is None or not hmac.compare_digest(row[1], _hash(secret)) or row[6] is not None:
            return None
        return self._token_info(row)

    def _token_info(self, row: tuple[Any, ...]) -> TokenInfo:
        """A stored token as it stands now: its life capped by today's maximum, its groups by its
        holder's latest sign-in."""
        token_id, _, user, groups, name, created, revoked, expires = row
        latest = _stamp(_parse(created) + self.token_max_days * DAY)
        info = TokenInfo(
            token_id, user, tuple(json.loads(groups)), name, created, revoked, min(expires or latest, latest)
        )
        return replace(info, groups=self.groups_now(user, info.groups, since=created))

    def revoke_token(self, token_id: str, actor: str) -> bool:
        """Revoke a token; False when there is no such live token."""
        with self.transaction() as db:
            changed = db.execute(
                "UPDATE tokens SET revoked = ? WHERE id = ? AND revoked IS NULL", (_now(), token_id)
            ).rowcount
        self._token_cache = {k: v for k, v in self._token_cache.items() if v[1].id != token_id}
        if changed:
            self.audit("token.revoke", actor, {"token": token_id})
        return bool(changed)

    def tokens(self, user: str | None = None) -> list[TokenInfo]:
        """Every token (of one user), newest first."""
        query, args = f"SELECT {_TOKEN_COLUMNS} FROM tokens", tuple[str, ...]()
        if user is not None:
            query, args = query + " WHERE user = ?", (user.lower(),)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY created DESC, id", args).fetchall()
        return [self._token_info(r) for r in rows]

    # sessions ----------------------------------------------------------------------------------

    def start_session(self, user: str, ttl: float) -> str:
        """A server-side id for a new sign-in (kept hashed): the signed cookie carries it, and only
        an id still here makes the cookie good, so signing out ends every copy of the cookie."""
        session_id = secrets.token_urlsafe(32)
        with self.transaction() as db:
            db.execute("DELETE FROM sessions WHERE expires < ?", (self.clock(),))
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?)", (_hash(session_id), user.lower(), self.clock() + ttl)
            )
        return session_id

    def session_live(self, session_id: str) -> bool:
        """Tell whether a session id was started here and has not ended or expired."""
        with self._lock:
            row = self._db.execute(
                "SELECT expires FROM sessions WHERE hash = ?", (_hash(session_id),)
            ).fetchone()
        return row is not None and row[0] > self.clock()

    def end_session(self, session_id: str) -> None:
        """End a session: its cookie, and any copy of it, signs nobody in from now on."""
        with self.transaction() as db:
            db.execute("DELETE FROM sessions WHERE hash = ?", (_hash(session_id),))

    # who people were at their latest sign-in ----------------------------------------------------

    def record_sign_in(self, user: str, groups: tuple[str, ...] | list[str]) -> None:
        """Remember the groups the identity provider gave at this sign-in: tokens and links made
        earlier keep no group the person has lost since."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO people VALUES (?, ?, ?) ON CONFLICT(user) DO UPDATE SET "
                "groups = excluded.groups, signed_in = excluded.signed_in",
                (user.lower(), json.dumps(sorted(set(groups))), _stamp(self.clock())),
            )
        self._token_cache = {k: v for k, v in self._token_cache.items() if v[1].user != user.lower()}

    def groups_now(self, user: str, groups: tuple[str, ...], since: str) -> tuple[str, ...]:
        """`groups` (held at `since`) less any the person lacked at a sign-in after `since`: groups
        are re-derived at each sign-in, and a credential never gains one it was not made with."""
        with self._lock:
            row = self._db.execute(
                "SELECT groups, signed_in FROM people WHERE user = ?", (user.lower(),)
            ).fetchone()
        if row is None or row[1] <= since:
            return groups
        latest = set(json.loads(row[0]))
        return tuple(g for g in groups if g in latest)

    # server secrets and one-time sign-in codes ----------------------------------------------------

    def secret(self, name: str) -> bytes:
        """A random server secret, made on first use and shared by every replica using this database."""
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO secrets VALUES (?, ?)", (name, secrets.token_hex(32)))
            row = db.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
        return bytes.fromhex(row[0])

    def put_code(self, user: str, groups: tuple[str, ...], challenge: str, ttl: float) -> str:
        """A one-time code that a CLI exchanges (with the PKCE verifier) for a personal token."""
        code = secrets.token_urlsafe(32)
        with self.transaction() as db:
            db.execute("DELETE FROM codes WHERE expires < ?", (time.time(),))
            db.execute(
                "INSERT INTO codes VALUES (?, ?, ?, ?, ?)",
                (_hash(code), user.lower(), json.dumps(list(groups)), challenge, time.time() + ttl),
            )
        return code

    def take_code(self, code: str) -> tuple[str, tuple[str, ...], str] | None:
        """Use a one-time code up: its user, groups and PKCE challenge, or None (unknown or expired)."""
        with self.transaction() as db:
            row = db.execute(
                "SELECT user, groups, challenge, expires FROM codes WHERE hash = ?", (_hash(code),)
            ).fetchone()
            db.execute("DELETE FROM codes WHERE hash = ?", (_hash(code),))
        if row is None or row[3] < time.time():
            return None
        return row[0], tuple(json.loads(row[1])), row[2]

    # audit and downloads ------------------------------------------------------------------------

    def audit(self, event: str, actor: str | None, detail: dict[str, Any]) -> None:
        """Append one audit event (one autocommitted statement), and write it as one JSON line to
        the `skillport.audit` log."""
        at, text = _now(), json.dumps(detail, sort_keys=True)
        with self._lock:
            self._db.execute(
                "INSERT INTO audit (at, event, actor, detail) VALUES (?, ?, ?, ?)", (at, event, actor, text)
            )
        if AUDIT_LOG.isEnabledFor(logging.INFO):
            AUDIT_LOG.info(json.dumps({"at": at, "event": event, "actor": actor, **detail}, sort_keys=True))

    def audit_tail(self, limit: int = 50) -> list[dict[str, Any]]:
        """The newest audit events, oldest first, as JSON-ready objects."""
        with self._lock:
            rows = self._db.execute(
                "SELECT at, event, actor, detail FROM audit ORDER BY seq DESC LIMIT ?", (limit,)
            ).fetchall()
        return [
            {"at": at, "event": event, "actor": actor, **json.loads(detail)}
            for at, event, actor, detail in reversed(rows)
        ]

    def count_download(self, skill: str, version: str) -> None:
        """Count one download of a skill version (one autocommitted statement)."""
        with self._lock:
            self._db.execute(
                "INSERT INTO downloads VALUES (?, ?, 1) "
                "ON CONFLICT(skill, version) DO UPDATE SET count = count + 1",
                (skill, version),
            )

    def downloads_by(self, user: str) -> dict[tuple[str, str], str]:
        """When `user` last downloaded each bundle: (kind, name) -> time, from the audit log."""
        with self._lock:
            rows = self._db.execute(
                "SELECT json_extract(detail, '$.kind'), json_extract(detail, '$.name'), MAX(at) FROM audit "
                "WHERE event = 'download' AND actor = ? GROUP BY 1, 2",
                (user,),
            ).fetchall()
        return {(str(kind), str(name)): at for kind, name, at in rows if kind and name}

    def download_counts(self) -> dict[tuple[str, str], int]:
        """Downloads per (skill, version)."""
        with self._lock:
            rows = self._db.execute("SELECT skill, version, count FROM downloads").fetchall()
        return {(skill, version): count for skill, version, count in rows}
