"""What the proxy, as an OAuth authorization server for MCP clients, remembers: registered clients,
authorization requests waiting for the person's consent, one-time codes, and access and refresh
tokens. Codes and tokens are stored as SHA-256 hashes, never as themselves.

A grant is what one consent gives one client: a refresh token that rotates on every use, and the
short-lived access tokens made from it. Revoking any of its tokens, or presenting a refresh token
that was already used, ends the whole grant.

A grant does not live forever, however often it is refreshed: it ends `grant_ttl` after the consent
(then the person consents again), and `signin_ttl` after the person's last sign-in, because the
groups it carries are the ones that sign-in found. Each new sign-in of the person re-derives the
groups of their live grants and starts that second clock again. No token outlives its grant.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from skillport_build.proxy.state import State

ACCESS_PREFIX = "spa_"
REFRESH_PREFIX = "spr_"
_KEEP_EXPIRED = 86_400.0  # rows past their expiry are swept after a day
GRANT_TTL = 30 * 86_400.0
SIGNIN_TTL = 7 * 86_400.0
SCHEMA = """
CREATE TABLE IF NOT EXISTS oauth_clients (
    client_id TEXT PRIMARY KEY,
    info TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS oauth_requests (
    hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    params TEXT NOT NULL,
    expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS oauth_codes (
    hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    user TEXT NOT NULL,
    groups TEXT NOT NULL,
    params TEXT NOT NULL,
    expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS oauth_tokens (
    hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    grant_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    user TEXT NOT NULL,
    groups TEXT NOT NULL,
    scopes TEXT NOT NULL,
    resource TEXT NOT NULL,
    expires REAL NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS oauth_tokens_grant ON oauth_tokens (grant_id);
CREATE TABLE IF NOT EXISTS oauth_grants (
    grant_id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    user TEXT NOT NULL,
    groups TEXT NOT NULL,
    created REAL NOT NULL,
    signed_in REAL NOT NULL,
    ends REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS oauth_grants_user ON oauth_grants (user);
"""
# A grant's end: its absolute end, or signin_ttl after the sign-in its groups come from.
_GRANT_END = "MIN(g.ends, g.signed_in + ?)"
_LIVE_TOKEN = (
    "SELECT t.grant_id, t.client_id, t.user, g.groups, t.scopes, t.resource, "
    f"MIN(t.expires, {_GRANT_END}), t.used FROM oauth_tokens t JOIN oauth_grants g USING (grant_id) "
    "WHERE t.hash = ? AND t.kind = ?"
)


@dataclass(frozen=True)
class Grant:
    """What a token (or code) stands for."""

    grant_id: str
    client_id: str
    user: str
    groups: tuple[str, ...]
    scopes: tuple[str, ...]
    resource: str
    expires: float


@dataclass(frozen=True)
class Code:
    """A one-time authorization code: whose, for which client, with the request it answers."""

    client_id: str
    user: str
    groups: tuple[str, ...]
    params: dict[str, object]
    expires: float


@dataclass(frozen=True)
class Issued:
    """A fresh token pair."""

    access: str
    refresh: str
    grant: Grant


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Grants:
    """OAuth state in the proxy's database."""

    def __init__(
        self,
        state: State,
        clock: Callable[[], float] = time.time,
        *,
        grant_ttl: float = GRANT_TTL,
        signin_ttl: float = SIGNIN_TTL,
    ) -> None:
        self.state, self.clock = state, clock
        self.grant_ttl, self.signin_ttl = grant_ttl, signin_ttl
        state.migrate(SCHEMA)

    # clients ------------------------------------------------------------------------------------

    def save_client(self, client_id: str, info: str) -> None:
        """Record a dynamically registered client (its RFC 7591 metadata as JSON)."""
        with self.state.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO oauth_clients VALUES (?, ?, ?)", (client_id, info, self.clock())
            )

    def room_for_client(self, limit: int) -> bool:
        """Whether another client may register; when `limit` are, those that never got a grant and
        are older than a day are forgotten first (a real client connects within minutes)."""
        with self.state.transaction() as db:
            if db.execute("SELECT COUNT(*) FROM oauth_clients").fetchone()[0] < limit:
                return True
            db.execute(
                "DELETE FROM oauth_clients WHERE created < ? AND client_id NOT IN "
                "(SELECT client_id FROM oauth_grants)",
                (self.clock() - 86_400.0,),
            )
            return bool(db.execute("SELECT COUNT(*) FROM oauth_clients").fetchone()[0] < limit)

    def client(self, client_id: str) -> str | None:
        """A registered client's metadata JSON, or None."""
        rows = self.state.query("SELECT info FROM oauth_clients WHERE client_id = ?", (client_id,))
        return str(rows[0][0]) if rows else None

    # authorization requests waiting for consent -------------------------------------------------

    def put_request(self, client_id: str, params: dict[str, object], ttl: float) -> str:
        """Remember a validated authorization request until the person decides; returns its id."""
        request_id = secrets.token_urlsafe(24)
        with self.state.transaction() as db:
            db.execute("DELETE FROM oauth_requests WHERE expires < ?", (self.clock(),))
            db.execute(
                "INSERT INTO oauth_requests VALUES (?, ?, ?, ?)",
                (_hash(request_id), client_id, json.dumps(params), self.clock() + ttl),
            )
        return request_id

    def request(self, request_id: str) -> tuple[str, dict[str, object]] | None:
        """The client and parameters of a pending request, or None (unknown, used or expired)."""
        rows = self.state.query(
            "SELECT client_id, params, expires FROM oauth_requests WHERE hash = ?", (_hash(request_id),)
        )
        if not rows or rows[0][2] < self.clock():
            return None
        return str(rows[0][0]), json.loads(rows[0][1])

    def take_request(self, request_id: str) -> tuple[str, dict[str, object]] | None:
        """Use a pending request up (a decision is made once)."""
        found = self.request(request_id)
        with self.state.transaction() as db:
            gone = db.execute("DELETE FROM oauth_requests WHERE hash = ?", (_hash(request_id),)).rowcount
        return found if gone else None

    # codes --------------------------------------------------------------------------------------

    def put_code(
        self, client_id: str, user: str, groups: tuple[str, ...], params: dict[str, object], ttl: float
    ) -> str:
        """A one-time code for a consented request."""
        code = secrets.token_urlsafe(32)
        with self.state.transaction() as db:
            db.execute("DELETE FROM oauth_codes WHERE expires < ?", (self.clock(),))
            db.execute(
                "INSERT INTO oauth_codes VALUES (?, ?, ?, ?, ?, ?)",
                (
                    _hash(code),
                    client_id,
                    user,
                    json.dumps(list(groups)),
                    json.dumps(params),
                    self.clock() + ttl,
                ),
            )
        return code

    def code(self, code: str) -> Code | None:
        """What a code was issued for, or None (unknown or used); expiry is the caller's check."""
        rows = self.state.query(
            "SELECT client_id, user, groups, params, expires FROM oauth_codes WHERE hash = ?", (_hash(code),)
        )
        if not rows:
            return None
        client_id, user, groups, params, expires = rows[0]
        return Code(client_id, user, tuple(json.loads(groups)), json.loads(params), expires)

    def take_code(self, code: str) -> Code | None:
        """Use a live code up and say what it was for; None when it is unknown, expired or already
        used. One conditional DELETE … RETURNING, so of two exchanges racing (in two threads or two
        replicas) exactly one gets the code."""
        with self.state.transaction() as db:
            row = db.execute(
                "DELETE FROM oauth_codes WHERE hash = ? AND expires >= ? "
                "RETURNING client_id, user, groups, params, expires",
                (_hash(code), self.clock()),
            ).fetchone()
        if row is None:
            return None
        client_id, user, groups, params, expires = row
        return Code(client_id, user, tuple(json.loads(groups)), json.loads(params), expires)

    # tokens -------------------------------------------------------------------------------------

    def issue(
        self,
        client_id: str,
        user: str,
        groups: tuple[str, ...],
        scopes: tuple[str, ...],
        resource: str,
        access_ttl: float,
        refresh_ttl: float,
        grant_id: str | None = None,
    ) -> Issued | None:
        """A new access token and refresh token: for a new grant (with these groups), or under a live
        one (with the groups of the person's last sign-in); None when that grant has ended. Neither
        token outlives its grant."""
        now = self.clock()
        access = ACCESS_PREFIX + secrets.token_urlsafe(32)
        refresh = REFRESH_PREFIX + secrets.token_urlsafe(32)
        with self.state.transaction() as db:
            db.execute("DELETE FROM oauth_tokens WHERE expires < ?", (now - _KEEP_EXPIRED,))
            db.execute("DELETE FROM oauth_grants WHERE ends < ?", (now - _KEEP_EXPIRED,))
            if grant_id is None:
                grant_id = secrets.token_hex(8)
                db.execute(
                    "INSERT INTO oauth_grants VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (grant_id, client_id, user, json.dumps(list(groups)), now, now, now + self.grant_ttl),
                )
            row = db.execute(
                f"SELECT g.groups, {_GRANT_END} FROM oauth_grants g WHERE g.grant_id = ?",
                (self.signin_ttl, grant_id),
            ).fetchone()
            if row is None or row[1] <= now:
                return None
            groups, ends = tuple(json.loads(row[0])), float(row[1])
            common = (grant_id, client_id, user, json.dumps(list(groups)), " ".join(scopes), resource)
            for kind, secret, ttl in (("access", access, access_ttl), ("refresh", refresh, refresh_ttl)):
                db.execute(
                    "INSERT INTO oauth_tokens VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                    (_hash(secret), kind, *common, min(now + ttl, ends)),
                )
        grant = Grant(grant_id, client_id, user, groups, scopes, resource, min(now + access_ttl, ends))
        return Issued(access, refresh, grant)

    def token(self, secret: str, kind: str) -> Grant | None:
        """The live grant an access or refresh token belongs to, or None (unknown, expired, revoked,
        or its grant ended), with the groups of the person's last sign-in.

        A refresh token that was already used is a sign it was stolen: the whole grant ends."""
        prefix = ACCESS_PREFIX if kind == "access" else REFRESH_PREFIX
        if not secret.startswith(prefix):
            return None
        rows = self.state.query(_LIVE_TOKEN, (self.signin_ttl, _hash(secret), kind))
        if not rows:
            return None
        grant_id, client_id, user, groups, scopes, resource, expires, used = rows[0]
        if used:
            self.revoke_grant(grant_id, reason="refresh token used twice")
            return None
        if expires <= self.clock():
            return None
        return Grant(
            grant_id, client_id, user, tuple(json.loads(groups)), tuple(scopes.split()), resource, expires
        )

    def signed_in(self, user: str, groups: tuple[str, ...]) -> int:
        """The person signed in again: their live grants carry the groups this sign-in found, and may
        outlive it by `signin_ttl`. Returns how many grants were updated."""
        now = self.clock()
        with self.state.transaction() as db:
            return db.execute(
                f"UPDATE oauth_grants AS g SET groups = ?, signed_in = ? WHERE user = ? AND {_GRANT_END} > ?",
                (json.dumps(sorted(groups)), now, user, self.signin_ttl, now),
            ).rowcount

    def use_refresh(self, secret: str) -> bool:
        """Mark a refresh token used (it rotates); False when it already was."""
        with self.state.transaction() as db:
            return bool(
                db.execute(
                    "UPDATE oauth_tokens SET used = 1 WHERE hash = ? AND kind = 'refresh' AND used = 0",
                    (_hash(secret),),
                ).rowcount
            )

    def connected(self, user: str) -> list[Grant]:
        """The person's live grants (a refresh token not yet used or expired), newest first."""
        rows = self.state.query(
            "SELECT t.grant_id, t.client_id, t.user, g.groups, t.scopes, t.resource, "
            f"MIN(MAX(t.expires), {_GRANT_END}) AS until FROM oauth_tokens t JOIN oauth_grants g "
            "USING (grant_id) WHERE t.user = ? AND t.kind = 'refresh' AND t.used = 0 "
            "GROUP BY t.grant_id HAVING until > ? ORDER BY until DESC",
            (self.signin_ttl, user, self.clock()),
        )
        return [
            Grant(g, c, u, tuple(json.loads(groups)), tuple(scopes.split()), r, e)
            for g, c, u, groups, scopes, r, e in rows
        ]

    def revoke_grant(self, grant_id: str, reason: str = "revoked") -> None:
        """End a grant: every token made under it stops working at once."""
        with self.state.transaction() as db:
            row = db.execute(
                "SELECT user, client_id FROM oauth_tokens WHERE grant_id = ?", (grant_id,)
            ).fetchone()
            db.execute("DELETE FROM oauth_tokens WHERE grant_id = ?", (grant_id,))
            db.execute("DELETE FROM oauth_grants WHERE grant_id = ?", (grant_id,))
        if row is not None:
            self.state.audit("oauth.revoke", row[0], {"client": row[1], "grant": grant_id, "reason": reason})
