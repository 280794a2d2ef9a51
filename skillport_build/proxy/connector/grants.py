"""What the proxy, as an OAuth authorization server for MCP clients, remembers: registered clients,
authorization requests waiting for the person's consent, one-time codes, and access and refresh
tokens. Codes and tokens are stored as SHA-256 hashes, never as themselves.

A grant is what one consent gives one client: a refresh token that rotates on every use, and the
short-lived access tokens made from it. Revoking any of its tokens, or presenting a refresh token
that was already used, ends the whole grant.
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
"""


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

    def __init__(self, state: State, clock: Callable[[], float] = time.time) -> None:
        self.state, self.clock = state, clock
        state.migrate(SCHEMA)

    # clients ------------------------------------------------------------------------------------

    def save_client(self, client_id: str, info: str) -> None:
        """Record a dynamically registered client (its RFC 7591 metadata as JSON)."""
        with self.state.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO oauth_clients VALUES (?, ?, ?)", (client_id, info, self.clock())
            )

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

    def take_code(self, code: str) -> bool:
        """Use a code up; False when it was already used (so two exchanges never both succeed)."""
        with self.state.transaction() as db:
            return bool(db.execute("DELETE FROM oauth_codes WHERE hash = ?", (_hash(code),)).rowcount)

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
    ) -> Issued:
        """A new access token and refresh token for a grant (a new grant unless one is given)."""
        grant_id = grant_id or secrets.token_hex(8)
        access = ACCESS_PREFIX + secrets.token_urlsafe(32)
        refresh = REFRESH_PREFIX + secrets.token_urlsafe(32)
        now = self.clock()
        common = (grant_id, client_id, user, json.dumps(list(groups)), " ".join(scopes), resource)
        with self.state.transaction() as db:
            db.execute("DELETE FROM oauth_tokens WHERE expires < ?", (now - _KEEP_EXPIRED,))
            db.execute(
                "INSERT INTO oauth_tokens VALUES (?, 'access', ?, ?, ?, ?, ?, ?, ?, 0)",
                (_hash(access), *common, now + access_ttl),
            )
            db.execute(
                "INSERT INTO oauth_tokens VALUES (?, 'refresh', ?, ?, ?, ?, ?, ?, ?, 0)",
                (_hash(refresh), *common, now + refresh_ttl),
            )
        grant = Grant(grant_id, client_id, user, groups, scopes, resource, now + access_ttl)
        return Issued(access, refresh, grant)

    def token(self, secret: str, kind: str) -> Grant | None:
        """The live grant an access or refresh token belongs to, or None (unknown, expired, revoked).

        A refresh token that was already used is a sign it was stolen: the whole grant ends."""
        prefix = ACCESS_PREFIX if kind == "access" else REFRESH_PREFIX
        if not secret.startswith(prefix):
            return None
        rows = self.state.query(
            "SELECT grant_id, client_id, user, groups, scopes, resource, expires, used "
            "FROM oauth_tokens WHERE hash = ? AND kind = ?",
            (_hash(secret), kind),
        )
        if not rows:
            return None
        grant_id, client_id, user, groups, scopes, resource, expires, used = rows[0]
        if used:
            self.revoke_grant(grant_id, reason="refresh token used twice")
            return None
        if expires < self.clock():
            return None
        return Grant(
            grant_id, client_id, user, tuple(json.loads(groups)), tuple(scopes.split()), resource, expires
        )

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
            "SELECT grant_id, client_id, user, groups, scopes, resource, MAX(expires) FROM oauth_tokens "
            "WHERE user = ? AND kind = 'refresh' AND used = 0 AND expires > ? "
            "GROUP BY grant_id ORDER BY MAX(expires) DESC",
            (user, self.clock()),
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
        if row is not None:
            self.state.audit("oauth.revoke", row[0], {"client": row[1], "grant": grant_id, "reason": reason})
