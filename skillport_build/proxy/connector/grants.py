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
from typing import Any

import sqlalchemy as sa

from skillport_build.proxy.db.dialect import least, upsert
from skillport_build.proxy.db.schema import (
    oauth_clients,
    oauth_codes,
    oauth_grants,
    oauth_requests,
    oauth_tokens,
)
from skillport_build.proxy.state import State

ACCESS_PREFIX = "spa_"
REFRESH_PREFIX = "spr_"
_KEEP_EXPIRED = 86_400.0  # rows past their expiry are swept after a day
GRANT_TTL = 30 * 86_400.0
SIGNIN_TTL = 7 * 86_400.0
T, G = oauth_tokens.c, oauth_grants.c


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

    def _grant_end(self) -> sa.ColumnElement[Any]:
        """A grant's end: its absolute end, or signin_ttl after the sign-in its groups come from."""
        return least(G.ends, G.signed_in + self.signin_ttl)

    # clients ------------------------------------------------------------------------------------

    def save_client(self, client_id: str, info: str) -> None:
        """Record a dynamically registered client (its RFC 7591 metadata as JSON)."""
        with self.state.transaction() as db:
            saved = upsert(db, oauth_clients).values(client_id=client_id, info=info, created=self.clock())
            db.execute(
                saved.on_conflict_do_update(
                    index_elements=["client_id"],
                    set_={"info": saved.excluded.info, "created": saved.excluded.created},
                )
            )

    def room_for_client(self, limit: int) -> bool:
        """Whether another client may register; when `limit` are, those that never got a grant and
        are older than a day are forgotten first (a real client connects within minutes)."""
        count = sa.select(sa.func.count()).select_from(oauth_clients)
        with self.state.transaction() as db:
            if db.execute(count).scalar_one() < limit:
                return True
            db.execute(
                oauth_clients.delete().where(
                    oauth_clients.c.created < self.clock() - 86_400.0,
                    oauth_clients.c.client_id.not_in(sa.select(G.client_id)),
                )
            )
            return bool(db.execute(count).scalar_one() < limit)

    def client(self, client_id: str) -> str | None:
        """A registered client's metadata JSON, or None."""
        rows = self.state.rows(sa.select(oauth_clients.c.info).where(oauth_clients.c.client_id == client_id))
        return str(rows[0][0]) if rows else None

    # authorization requests waiting for consent -------------------------------------------------

    def put_request(self, client_id: str, params: dict[str, object], ttl: float) -> str:
        """Remember a validated authorization request until the person decides; returns its id."""
        request_id = secrets.token_urlsafe(24)
        with self.state.transaction() as db:
            db.execute(oauth_requests.delete().where(oauth_requests.c.expires < self.clock()))
            db.execute(
                oauth_requests.insert().values(
                    hash=_hash(request_id), client_id=client_id, params=json.dumps(params),
                    expires=self.clock() + ttl,
                )
            )  # fmt: skip
        return request_id

    def request(self, request_id: str) -> tuple[str, dict[str, object]] | None:
        """The client and parameters of a pending request, or None (unknown, used or expired)."""
        r = oauth_requests.c
        rows = self.state.rows(sa.select(r.client_id, r.params, r.expires).where(r.hash == _hash(request_id)))
        if not rows or rows[0][2] < self.clock():
            return None
        return str(rows[0][0]), json.loads(rows[0][1])

    def take_request(self, request_id: str) -> tuple[str, dict[str, object]] | None:
        """Use a pending request up (a decision is made once)."""
        found = self.request(request_id)
        with self.state.transaction() as db:
            gone = db.execute(
                oauth_requests.delete().where(oauth_requests.c.hash == _hash(request_id))
            ).rowcount
        return found if gone else None

    # codes --------------------------------------------------------------------------------------

    def put_code(
        self, client_id: str, user: str, groups: tuple[str, ...], params: dict[str, object], ttl: float
    ) -> str:
        """A one-time code for a consented request."""
        code = secrets.token_urlsafe(32)
        with self.state.transaction() as db:
            db.execute(oauth_codes.delete().where(oauth_codes.c.expires < self.clock()))
            db.execute(
                oauth_codes.insert().values(
                    hash=_hash(code), client_id=client_id, user=user, groups=json.dumps(list(groups)),
                    params=json.dumps(params), expires=self.clock() + ttl,
                )
            )  # fmt: skip
        return code

    def code(self, code: str) -> Code | None:
        """What a code was issued for, or None (unknown or used); expiry is the caller's check."""
        c = oauth_codes.c
        rows = self.state.rows(
            sa.select(c.client_id, c.user, c.groups, c.params, c.expires).where(c.hash == _hash(code))
        )
        if not rows:
            return None
        client_id, user, groups, params, expires = rows[0]
        return Code(client_id, user, tuple(json.loads(groups)), json.loads(params), expires)

    def take_code(self, code: str) -> Code | None:
        """Use a live code up and say what it was for; None when it is unknown, expired or already
        used. One conditional DELETE … RETURNING, so of two exchanges racing (in two threads or two
        replicas) exactly one gets the code."""
        c = oauth_codes.c
        with self.state.transaction() as db:
            row = db.execute(
                oauth_codes.delete()
                .where(c.hash == _hash(code), c.expires >= self.clock())
                .returning(c.client_id, c.user, c.groups, c.params, c.expires)
            ).first()
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
            db.execute(oauth_tokens.delete().where(T.expires < now - _KEEP_EXPIRED))
            db.execute(oauth_grants.delete().where(G.ends < now - _KEEP_EXPIRED))
            if grant_id is None:
                grant_id = secrets.token_hex(8)
                db.execute(
                    oauth_grants.insert().values(
                        grant_id=grant_id, client_id=client_id, user=user, groups=json.dumps(list(groups)),
                        created=now, signed_in=now, ends=now + self.grant_ttl,
                    )
                )  # fmt: skip
            row = db.execute(sa.select(G.groups, self._grant_end()).where(G.grant_id == grant_id)).first()
            if row is None or row[1] <= now:
                return None
            groups, ends = tuple(json.loads(row[0])), float(row[1])
            common = {
                "grant_id": grant_id, "client_id": client_id, "user": user, "used": 0,
                "groups": json.dumps(list(groups)), "scopes": " ".join(scopes), "resource": resource,
            }  # fmt: skip
            db.execute(
                oauth_tokens.insert(),
                [
                    {**common, "hash": _hash(secret), "kind": kind, "expires": min(now + ttl, ends)}
                    for kind, secret, ttl in (
                        ("access", access, access_ttl),
                        ("refresh", refresh, refresh_ttl),
                    )
                ],
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
        query = (
            sa.select(T.grant_id, T.client_id, T.user, G.groups, T.scopes, T.resource)
            .add_columns(least(T.expires, self._grant_end()), T.used)
            .join_from(oauth_tokens, oauth_grants, T.grant_id == G.grant_id)
            .where(T.hash == _hash(secret), T.kind == kind)
        )
        rows = self.state.rows(query)
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
            return int(
                db.execute(
                    oauth_grants.update()
                    .where(G.user == user, self._grant_end() > now)
                    .values(groups=json.dumps(sorted(groups)), signed_in=now)
                ).rowcount
            )

    def use_refresh(self, secret: str) -> bool:
        """Mark a refresh token used (it rotates); False when it already was."""
        unused = (T.hash == _hash(secret)) & (T.kind == "refresh") & (T.used == 0)
        with self.state.transaction() as db:
            return bool(db.execute(oauth_tokens.update().where(unused).values(used=1)).rowcount)

    def connected(self, user: str) -> list[Grant]:
        """The person's live grants (a refresh token not yet used or expired), newest first."""
        until = least(sa.func.max(T.expires), self._grant_end())
        columns = (T.grant_id, T.client_id, T.user, G.groups, T.scopes, T.resource)
        query = (
            sa.select(*columns, G.ends, G.signed_in)
            .add_columns(until.label("until"))
            .join_from(oauth_tokens, oauth_grants, T.grant_id == G.grant_id)
            .where(T.user == user, T.kind == "refresh", T.used == 0)
            .group_by(*columns, G.ends, G.signed_in)
            .having(until > self.clock())
            .order_by(sa.desc("until"))
        )
        return [
            Grant(g, c, u, tuple(json.loads(groups)), tuple(scopes.split()), r, e)
            for g, c, u, groups, scopes, r, _, _, e in self.state.rows(query)
        ]

    def revoke_grant(self, grant_id: str, reason: str = "revoked") -> None:
        """End a grant: every token made under it stops working at once."""
        with self.state.transaction() as db:
            row = db.execute(sa.select(T.user, T.client_id).where(T.grant_id == grant_id).limit(1)).first()
            db.execute(oauth_tokens.delete().where(T.grant_id == grant_id))
            db.execute(oauth_grants.delete().where(G.grant_id == grant_id))
        if row is not None:
            self.state.audit("oauth.revoke", row[0], {"client": row[1], "grant": grant_id, "reason": reason})
