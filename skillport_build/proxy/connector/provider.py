"""The proxy as an OAuth 2.1 authorization server for MCP clients, in the shape the `mcp` SDK's
auth routes call (`OAuthAuthorizationServerProvider`), and the verifier of the bearer tokens /mcp
receives (`TokenVerifier`).

The SDK's handlers parse requests, check PKCE (S256 only), redirect URIs, client secrets and scopes;
this module decides: who a client is (dynamically registered, or a client ID metadata document
fetched from its https URL), that the token's audience is this proxy's /mcp (RFC 8707), that the
person consents after signing in through the website's own sign-in, and what a token stands for.
Personal API tokens (`sp_…`) are accepted by the verifier as well.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    AuthorizeError,
    IdentityAssertionParams,
    RefreshToken,
    RegistrationError,
    TokenError,
    construct_redirect_uri,
)
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken

from skillport_build.proxy.connector.documents import ClientDocuments
from skillport_build.proxy.connector.grants import Grant, Grants, Issued
from skillport_build.proxy.state import TOKEN_PREFIX, State

SCOPE_READ = "skills:read"
SCOPE_PROPOSE = "skills:propose"
SCOPES = (SCOPE_READ, SCOPE_PROPOSE)
PERSONAL_CLIENT = "personal-token"
CODE_TTL = 300.0
BROWSER_SCHEMES = frozenset(
    {"javascript", "data", "file", "vbscript", "about", "blob", "filesystem", "ftp", "ws", "wss"}
    | {"intent", "view-source", "chrome", "chrome-extension", "chrome-untrusted", "edge", "opera"}
    | {"moz-extension", "resource", "jar", "mailto", "tel", "sms", "ms-settings", "ms-browser-extension"}
)
PKCE_CHALLENGE = re.compile(r"[A-Za-z0-9._~-]{43,128}")  # RFC 7636 section 4.2
REQUEST_TTL = 600.0


class SkillportCode(AuthorizationCode):
    """An authorization code with the person it was issued to."""

    groups: list[str]


class SkillportRefresh(RefreshToken):
    """A refresh token with its grant and the person's groups."""

    grant_id: str
    groups: list[str]


class SkillportAccess(AccessToken):
    """An access token with its grant (None for a personal token)."""

    grant_id: str | None = None


def allowed_redirect(uri: str) -> bool:
    """https anywhere, http to the person's own machine (RFC 8252 loopback redirects), or a native
    app's private-use scheme (`com.example.app:/cb`, `cursor://…`); never a scheme that runs or reads
    something in the browser or hands the code to another app (`intent:`, `mailto:`), never a
    fragment (RFC 6749 section 3.1.2) and never a user-info part (`https://claude.ai%2F…@evil.example`
    reads as one host and goes to another)."""
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if "#" in uri or "@" in parts.netloc or any(ord(c) < 0x21 or c in "\\\x7f" for c in uri):
        return False
    try:
        parts.port  # noqa: B018 - raises on a port that is no number
    except ValueError:
        return False
    if scheme == "https":
        return bool(parts.hostname)
    if scheme == "http":
        return parts.hostname in ("127.0.0.1", "localhost", "::1")
    return bool(re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme)) and scheme not in BROWSER_SCHEMES


def default_scopes(client: OAuthClientInformationFull) -> list[str]:
    """What a request that names no scope gets: what the client registered (or its metadata document
    asks for), never more; read-only for a client that named none."""
    registered = [s for s in (client.scope or "").split() if s in SCOPES]
    return registered or [SCOPE_READ]


class AuthProvider:
    """Clients, consent, codes and tokens for MCP clients of one proxy."""

    def __init__(
        self,
        base_url: str,
        grants: Grants,
        state: State,
        documents: ClientDocuments,
        *,
        access_ttl: float,
        refresh_ttl: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.resource = f"{self.base_url}/mcp"
        self.grants, self.state, self.documents = grants, state, documents
        self.access_ttl, self.refresh_ttl, self.clock = access_ttl, refresh_ttl, clock
        self._personal: dict[str, tuple[object, SkillportAccess]] = {}  # token -> (its info, access)

    # clients ------------------------------------------------------------------------------------

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        """A registered client, or the one a client ID metadata document describes."""
        if client_id.startswith("https://"):
            return await self.documents.client(client_id)
        info = self.grants.client(client_id)
        return OAuthClientInformationFull.model_validate_json(info) if info else None

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        """Dynamic client registration (RFC 7591); redirects must be https or loopback (the route,
        registration.Registration, caps and audits it)."""
        bad = [str(u) for u in client_info.redirect_uris or [] if not allowed_redirect(str(u))]
        if bad:
            raise RegistrationError(
                "invalid_redirect_uri",
                f"redirect URIs must use https, http on loopback, or an app's own scheme: {', '.join(bad)}",
            )
        self.grants.save_client(client_info.client_id, client_info.model_dump_json(exclude_none=True))

    # authorization ------------------------------------------------------------------------------

    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        """Park the validated request and send the person to sign in and consent."""
        resource = (params.resource or self.resource).rstrip("/")
        if resource != self.resource:
            raise AuthorizeError("invalid_target", f"this server issues tokens for {self.resource} only")
        if not PKCE_CHALLENGE.fullmatch(params.code_challenge):
            raise AuthorizeError("invalid_request", "code_challenge must be 43-128 characters (RFC 7636)")
        scopes = params.scopes or default_scopes(client)
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown:
            raise AuthorizeError("invalid_scope", f"unknown scope {', '.join(unknown)}")
        request_id = self.grants.put_request(
            client.client_id,
            {
                "state": params.state,
                "scopes": scopes,
                "code_challenge": params.code_challenge,
                "redirect_uri": str(params.redirect_uri),
                "redirect_uri_provided_explicitly": params.redirect_uri_provided_explicitly,
                "resource": resource,
            },
            REQUEST_TTL,
        )
        return f"{self.base_url}/oauth/consent?{urlencode({'request': request_id})}"

    def decide(self, request_id: str, user: str, groups: tuple[str, ...], allow: bool) -> str | None:
        """The person's decision on a pending request: where their browser goes next (None: unknown)."""
        found = self.grants.take_request(request_id)
        if found is None:
            return None
        client_id, params = found
        redirect, state = str(params["redirect_uri"]), params.get("state")
        if not allow:
            self.state.audit("oauth.denied", user, {"client": client_id})
            return construct_redirect_uri(
                redirect, error="access_denied", state=state if isinstance(state, str) else None
            )
        code = self.grants.put_code(client_id, user, groups, params, CODE_TTL)
        self.state.audit("oauth.consent", user, {"client": client_id, "scopes": params["scopes"]})
        return construct_redirect_uri(
            redirect, code=code, state=state if isinstance(state, str) else None, iss=self.base_url
        )

    def pending(self, request_id: str) -> tuple[str, list[str], str] | None:
        """A pending request's client id, scopes and redirect URI, for the consent page."""
        found = self.grants.request(request_id)
        if found is None:
            return None
        client_id, params = found
        scopes = params.get("scopes")
        if not allowed_redirect(str(params["redirect_uri"])):  # registered before the rules were stricter
            return None
        return (
            client_id,
            [str(s) for s in scopes] if isinstance(scopes, list) else [],
            str(params["redirect_uri"]),
        )

    async def load_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: str
    ) -> SkillportCode | None:
        """The code, if this client holds it."""
        code = self.grants.code(authorization_code)
        if code is None or code.client_id != client.client_id:
            return None
        p: dict[str, Any] = code.params
        return SkillportCode(
            code=authorization_code,
            scopes=p["scopes"],
            expires_at=code.expires,
            client_id=code.client_id,
            code_challenge=p["code_challenge"],
            redirect_uri=p["redirect_uri"],
            redirect_uri_provided_explicitly=p["redirect_uri_provided_explicitly"],
            resource=p["resource"],
            subject=code.user,
            groups=list(code.groups),
        )

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: SkillportCode
    ) -> OAuthToken:
        """Codes are used once: of two exchanges of the same code (even racing), one fails."""
        code = self.grants.take_code(authorization_code.code)
        if code is None or code.client_id != client.client_id:
            raise TokenError("invalid_grant", "the authorization code was already used or has expired")
        issued = self.grants.issue(
            client.client_id,
            code.user,
            code.groups,
            tuple(authorization_code.scopes),
            authorization_code.resource or self.resource,
            self.access_ttl,
            self.refresh_ttl,
        )
        if issued is None:  # a new grant is live unless its lifetimes are set to nothing
            raise TokenError("invalid_grant", "the grant could not be made; connect again")
        self.state.audit(
            "oauth.token", issued.grant.user, {"client": client.client_id, "grant": issued.grant.grant_id}
        )
        return self._answer(issued)

    # refresh ------------------------------------------------------------------------------------

    async def load_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: str
    ) -> SkillportRefresh | None:
        """The refresh token, if it is live and this client's."""
        grant = self.grants.token(refresh_token, "refresh")
        if grant is None or grant.client_id != client.client_id:
            return None
        return SkillportRefresh(
            token=refresh_token,
            client_id=grant.client_id,
            scopes=list(grant.scopes),
            expires_at=int(grant.expires),
            resource=grant.resource,
            subject=grant.user,
            grant_id=grant.grant_id,
            groups=list(grant.groups),
        )

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: SkillportRefresh, scopes: list[str]
    ) -> OAuthToken:
        """Rotate: the old refresh token is used up and a new pair is issued under the same grant."""
        if not self.grants.use_refresh(refresh_token.token):  # lost a race with another exchange
            raise TokenError("invalid_grant", "the refresh token was already used or revoked")
        issued = self.grants.issue(
            client.client_id,
            refresh_token.subject or "",
            tuple(refresh_token.groups),
            tuple(scopes),
            refresh_token.resource or self.resource,
            self.access_ttl,
            self.refresh_ttl,
            grant_id=refresh_token.grant_id,
        )
        if issued is None:
            raise TokenError("invalid_grant", "this connection has ended; connect again and sign in")
        return self._answer(issued)

    def signed_in(self, user: str, groups: tuple[str, ...]) -> None:
        """The website's sign-in found these groups: the person's connected clients act with them."""
        self.grants.signed_in(user, groups)

    def _answer(self, issued: Issued) -> OAuthToken:
        return OAuthToken(
            access_token=issued.access,
            token_type="Bearer",
            expires_in=max(1, round(issued.grant.expires - self.grants.clock())),
            refresh_token=issued.refresh,
            scope=" ".join(issued.grant.scopes),
        )

    # access tokens ------------------------------------------------------------------------------

    async def load_access_token(self, token: str) -> SkillportAccess | None:
        """An MCP access token, or a personal API token, as the SDK's bearer check wants it."""
        if token.startswith(TOKEN_PREFIX):
            info = self.state.check_token(token)
            if info is None:
                return None
            made = self._personal.get(token)  # made again whenever the state's answer is a new one
            if made is not None and made[0] is info:
                return made[1].model_copy()
            access = SkillportAccess(
                token=token,
                client_id=PERSONAL_CLIENT,
                scopes=list(SCOPES),
                resource=self.resource,
                subject=info.user,
                claims={"groups": list(info.groups), "token_id": info.id},
            )
            if len(self._personal) > 10_000:
                self._personal.clear()
            self._personal[token] = (info, access)
            return access.model_copy()
        grant = self.grants.token(token, "access")
        return None if grant is None else _access(token, grant)

    async def exchange_identity_assertion(
        self, client: OAuthClientInformationFull, params: IdentityAssertionParams
    ) -> OAuthToken:
        """The ID-JAG grant (SEP-990) is not offered: people sign in through the website's sign-in."""
        raise TokenError("unsupported_grant_type", "the JWT bearer grant is not supported here")

    async def verify_token(self, token: str) -> SkillportAccess | None:
        """TokenVerifier: the same as load_access_token."""
        return await self.load_access_token(token)

    async def revoke_token(self, token: SkillportAccess | SkillportRefresh) -> None:
        """RFC 7009: either token of a grant ends the grant (personal tokens are revoked on /tokens)."""
        grant_id = token.grant_id
        if grant_id:
            self.grants.revoke_grant(grant_id)


def _access(token: str, grant: Grant) -> SkillportAccess:
    return SkillportAccess(
        token=token,
        client_id=grant.client_id,
        scopes=list(grant.scopes),
        expires_at=int(grant.expires),
        resource=grant.resource,
        subject=grant.user,
        claims={"groups": list(grant.groups), "grant": grant.grant_id},
        grant_id=grant.grant_id,
    )
