"""A typed client of the skillport proxy's HTTP API, the one the user commands (`login`, `search`,
`install`, `updates`, `claude-code sync`) talk through.

The token travels in the Authorization header only, and only to the proxy's own origin. Every
download is checked against the sha256 the proxy took from the signed catalog before its bytes are
returned; a mismatch is refused and nothing is handed on. Errors are `ClientError`s whose message
says what to do.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from skillport_build import __version__
from skillport_build.errors import ClientError, SignatureError, UnknownSkill
from skillport_build.models.api import (
    AnswerT,
    Link,
    Marketplace,
    Me,
    Proofs,
    SearchResult,
    SkillDetail,
    TokenGrant,
    TrustedKeys,
    Updates,
)

MAX_DOWNLOAD = 512 * 1024 * 1024
TIMEOUT = 30.0


class Client:
    """One proxy, one person's token. Pass `http` to use another transport (tests do)."""

    def __init__(self, base_url: str, token: str | None = None, http: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._own_http = http is None
        self._http = http or httpx.Client(timeout=TIMEOUT)
        self._origin = _origin(httpx.URL(self.base_url))

    def close(self) -> None:
        """Close the connection pool (only one this client made)."""
        if self._own_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # the API ----------------------------------------------------------------------------------

    def search(
        self,
        query: str = "",
        *,
        surface: str | None = None,
        category: str | None = None,
        tag: str | None = None,
        plugin: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        follow: bool = False,
    ) -> SearchResult:
        """One page of the skills the caller may read, ranked by `query` when there is one; the page
        after `cursor` when given; with `follow`, every page joined into one answer."""
        given = {"q": query, "surface": surface, "category": category, "tag": tag, "plugin": plugin}
        params = {k: v for k, v in given.items() if v}
        if limit is not None:
            params["limit"] = str(limit)
        found = self._page(params, cursor)
        if not follow:
            return found
        skills = list(found.skills)
        while found.next:
            found = self._page(params, found.next)
            skills.extend(found.skills)
        return found.model_copy(update={"skills": skills, "count": len(skills), "next": None})

    def _page(self, params: dict[str, str], cursor: str | None) -> SearchResult:
        asked = {**params, "cursor": cursor} if cursor else params
        response = self._call("GET", "/api/skills", "the skill list", params=asked)
        return self._parse(response, SearchResult, "the skill list")

    def whoami(self) -> Me:
        """Who the token names (one small request: a wrong token is refused here)."""
        response = self._call("GET", "/api/me", "who you are")
        return self._parse(response, Me, "who you are")

    def skill(self, name: str) -> SkillDetail:
        """One skill's metadata, files, history and SKILL.md."""
        response = self._call("GET", f"/api/skills/{_segment(name)}", f"skill {name}", name=name)
        return self._parse(response, SkillDetail, f"skill {name}")

    def link(self, name: str, version: str | None = None) -> Link:
        """A signed download link for the current version of a skill, or for `version`."""
        what = f"a download link for {name}" + (f" {version}" if version else "")
        body = {"version": version} if version else None
        response = self._call("POST", f"/api/skills/{_segment(name)}/link", what, json=body, name=name)
        return self._parse(response, Link, what)

    def updates(self, installed: Sequence[Mapping[str, str]]) -> Updates:
        """What is newer, yanked, deprecated or removed among installed skills."""
        response = self._call("POST", "/api/updates", "the update check", json={"installed": list(installed)})
        return self._parse(response, Updates, "the update check")

    def proofs(self, skills: Sequence[str] = (), plugins: Sequence[str] = ()) -> Proofs:
        """The signed catalog records of these skills and plugins (the hidden ones left out)."""
        body = {"skills": list(skills), "plugins": list(plugins)}
        what = "the signed records"
        return self._parse(self._call("POST", "/api/proofs", what, json=body), Proofs, what)

    def keys(self) -> TrustedKeys:
        """The public keys the proxy says the catalog is signed with (pinned on first use)."""
        what = "the signing keys"
        return self._parse(self._call("GET", "/api/keys", what), TrustedKeys, what)

    def marketplace(self) -> Marketplace:
        """The caller's Claude Code marketplace."""
        what = "the Claude Code marketplace"
        return self._parse(self._call("GET", "/claude-code/marketplace.json", what), Marketplace, what)

    def exchange_code(self, code: str, verifier: str, host: str) -> TokenGrant:
        """Trade the browser sign-in's one-time code (and the PKCE verifier) for a personal token."""
        body = {"code": code, "verifier": verifier, "host": host}
        response = self._call("POST", "/api/cli/token", "the sign-in", json=body, auth=False)
        return self._parse(response, TokenGrant, "the sign-in")

    def download(self, url: str, sha256: str, what: str) -> bytes:
        """The bytes at `url` (a signed link or this proxy's bundle URL), only if their sha256 is `sha256`."""
        target = httpx.URL(url)
        same_origin = _origin(target) == self._origin
        if not same_origin and "s" not in target.params:
            raise ClientError(
                f"{self.base_url} names {what} at {url}, another address; the token is only sent to "
                f"{self.base_url}. Sign in at that address instead (`skillport login "
                f"{_origin_text(target)}`), or ask the admin to set the proxy's public_url"
            )
        headers = self._headers(auth=same_origin)
        data = bytearray()
        try:
            # A proxy with `downloads: redirect` answers with the store's presigned URL; httpx
            # drops the Authorization header on a redirect to another origin.
            with self._http.stream("GET", url, headers=headers, follow_redirects=True) as response:
                if response.status_code != 200:
                    response.read()
                    raise self._refused(response, what, None)
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > MAX_DOWNLOAD:
                        raise ClientError(f"{what} is larger than {MAX_DOWNLOAD // 2**20} MiB; refused")
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise SignatureError(
                f"{what}: the downloaded bytes have sha256 {actual}, but the signed catalog says "
                f"{sha256}; nothing was written. Something between you and the proxy changed the "
                "file: try again, and tell your skillport admin if it happens again"
            )
        return bytes(data)

    # plumbing ---------------------------------------------------------------------------------

    def _headers(self, auth: bool = True) -> dict[str, str]:
        headers = {"User-Agent": f"skillport/{__version__}", "Accept": "application/json"}
        if auth and self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def _call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        name: str | None = None,
        auth: bool = True,
    ) -> httpx.Response:
        try:
            response = self._http.request(
                method, self.base_url + path, params=params, json=json, headers=self._headers(auth)
            )
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc
        if response.status_code != 200:
            raise self._refused(response, what, name)
        return response

    def _parse(self, response: httpx.Response, model: type[AnswerT], what: str) -> AnswerT:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem["loc"]) or "the answer"
            raise ClientError(
                f"{self.base_url} answered {what} with something skillport cannot read ({where}: "
                f"{problem['msg']}); is {self.base_url} a skillport proxy, of a version this CLI knows?"
            ) from exc

    def _unreachable(self, exc: httpx.HTTPError) -> ClientError:
        if isinstance(exc, httpx.ConnectError):
            return ClientError(f"cannot connect to {self.base_url}: is the proxy running at {self.base_url}?")
        if isinstance(exc, httpx.TimeoutException):
            return ClientError(
                f"{self.base_url} did not answer in time; try again, or see {self.base_url}/healthz"
            )
        return ClientError(f"cannot talk to {self.base_url}: {exc}")

    def _refused(self, response: httpx.Response, what: str, name: str | None) -> ClientError:
        status, message = response.status_code, _error_text(response)
        if status == 401:
            return ClientError(
                f"{self.base_url} did not accept the token ({message}); run `skillport login "
                f"{self.base_url}` again"
            )
        if status == 404 and name is not None and message.startswith("no skill named"):
            return UnknownSkill(name)
        if status == 429:
            wait = response.headers.get("retry-after", "a few")
            return ClientError(f"{self.base_url} is rate-limiting you; try again in {wait} seconds")
        if status in (502, 503, 504):
            return ClientError(f"{self.base_url} cannot serve {what} right now: {message}")
        return ClientError(f"{self.base_url} refused {what}: {message} (HTTP {status})")


def _segment(name: str) -> str:
    """A skill's address as one URL path segment: plugin/skill travels as plugin:skill."""
    return quote(name.replace("/", ":", 1), safe="")


def _error_text(response: httpx.Response) -> str:
    """The proxy's `{"error": ...}` message, else the start of whatever came back."""
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, str):
        return error
    text = response.text.strip().replace("\n", " ")
    return text[:200] or response.reason_phrase or "no message"


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host.lower(), url.port or default


def _origin_text(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.netloc.decode()}"
