"""Who is calling: a signed-in session, or a personal token in the Authorization header.

Tokens are accepted in the header only; one in the query string is refused outright, so it never
ends up in a log or a browser history. The session cookie (signed, HttpOnly, SameSite=Lax, Secure
over https) holds the person's email and groups and a CSRF secret for the forms.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

from skillport_build.models.access import Identity
from skillport_build.proxy.state import State

QUERY_TOKEN_NAMES = ("token", "access_token", "api_key", "apikey")


@dataclass(frozen=True)
class Caller:
    """A person with the way they proved who they are."""

    identity: Identity
    via: str  # "session" or "token"
    token_id: str | None = None

    @property
    def email(self) -> str:
        """The person's email."""
        return self.identity.email

    @property
    def rate_key(self) -> str:
        """What rate limits count against: the token, else the person."""
        return f"token:{self.token_id}" if self.token_id else f"user:{self.identity.email}"


def identity_of(email: str, groups: tuple[str, ...] | list[str]) -> Identity:
    """An Identity from stored fields."""
    return Identity(email.lower(), frozenset(groups))


def token_in_query(request: Request) -> bool:
    """Tell whether someone put a credential in the URL."""
    if not request.scope.get("query_string"):
        return False
    return any(name in request.query_params for name in QUERY_TOKEN_NAMES)


def bearer(request: Request) -> str | None:
    """The bearer credential of the Authorization header, if any."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def from_token(request: Request, state: State) -> Caller | None:
    """The caller a personal token in the header names, or None."""
    secret = bearer(request)
    if secret is None:
        return None
    info = state.check_token(secret)
    if info is None:
        return None
    return Caller(identity_of(info.user, info.groups), "token", info.id)


def from_session(request: Request) -> Caller | None:
    """The caller the session cookie names, or None."""
    user = request.session.get("user") if "session" in request.scope else None
    if not isinstance(user, dict) or not isinstance(user.get("email"), str):
        return None
    return Caller(identity_of(user["email"], user.get("groups") or []), "session")


def sign_in(request: Request, email: str, groups: list[str], via: str) -> None:
    """Start a session (a fresh one: no state from before the sign-in survives)."""
    request.session.clear()
    request.session["user"] = {"email": email.lower(), "groups": sorted(set(groups)), "via": via}
    request.session["csrf"] = secrets.token_urlsafe(24)


def csrf_token(request: Request) -> str:
    """The session's CSRF secret, made on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


FORM_EXPIRED = "the form expired or came from another site; reload the page and try again"


async def posted_form(request: Request, expired: str = FORM_EXPIRED) -> FormData:
    """The submitted form, when it carries the session's CSRF secret; 403 saying `expired` otherwise."""
    form = await request.form()
    if not csrf_ok(request, form.get("csrf")):
        raise HTTPException(403, expired)
    return form


def csrf_ok(request: Request, submitted: object) -> bool:
    """Tell whether a submitted form carries the session's CSRF secret."""
    expected = request.session.get("csrf")
    return (
        isinstance(expected, str) and isinstance(submitted, str) and hmac.compare_digest(expected, submitted)
    )
