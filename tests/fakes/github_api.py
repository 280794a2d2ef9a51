"""A local HTTP server that answers the part of GitHub's REST API that Skillport uses.

Releases and their assets, asset downloads (a 302 to a storage URL, as github.com does for
`Accept: application/octet-stream`), "latest release", tag refs, and the refusals: 401 for a bad
token, 404, 422 for a second release with the same tag or a second asset with the same name. The
real PyGithub client talks to it over HTTP; nothing is patched. `fail_next` makes the next
requests answer 502, to exercise retries; `fail_on` makes the next requests for one path fail.

It is also github.com for the OAuth web flow `skillport serve` signs people in with: one OAuth app
(`oauth_client`), people (`add_person`), and who is signed in at GitHub in the browser
(`sign_in_as`). `GET /login/oauth/authorize` sends the browser back to the app with a one-time code
(or `error=access_denied` when the person declines); `POST /login/oauth/access_token` trades it for
a `gho_` user token, answering mistakes with HTTP 200 and an `error` field (bad_verification_code,
incorrect_client_credentials, redirect_uri_mismatch) as GitHub does. A user token reads `/user`,
`/user/emails`, `/user/memberships/orgs/{org}` (404 unless a member) and `/user/teams`, within the
scopes granted (a missing scope answers 404, with GitHub's X-OAuth-Scopes headers); lists are paged
like GitHub's (30 by default, `per_page` up to 100, a `Link` header). User tokens read only the
/user endpoints; the repository endpoints still take only `token`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlparse

TOKEN = "ghp_test_token_for_the_fake_api_0000000000"
OAUTH_CLIENT = ("Iv1.test", "oauth-secret")
CODE_TTL = 600  # seconds an authorization code lives, as on github.com
# A scope also grants the scopes it contains (docs.github.com: "Scopes for OAuth apps").
IMPLIED_SCOPES = {
    "user": {"read:user", "user:email", "user:follow"},
    "admin:org": {"write:org", "read:org"},
    "write:org": {"read:org"},
}


@dataclass
class Asset:
    id: int
    name: str
    data: bytes
    content_type: str


@dataclass
class Release:
    id: int
    tag: str
    name: str
    body: str
    created: int
    assets: list[Asset] = field(default_factory=list)


@dataclass
class Person:
    """Someone with a GitHub account."""

    login: str
    id: int
    email: str
    verified: bool = True
    orgs: dict[str, str] = field(default_factory=dict)  # org -> "active" | "pending"
    teams: list[tuple[str, str]] = field(default_factory=list)  # (org, team slug)
    denies: bool = False  # clicks "Cancel" on GitHub's authorize page


@dataclass(frozen=True)
class Grant:
    """What an authorization code, and then the user token it was traded for, stands for."""

    login: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    issued: float


class FakeGitHub:
    """State of one repository's releases, and of GitHub's people and OAuth app, served over HTTP."""

    def __init__(self, owner: str = "acme", repo: str = "skill-store", token: str = TOKEN) -> None:
        self.full_name, self.token = f"{owner}/{repo}", token
        self.releases: dict[int, Release] = {}
        self.latest: int | None = None
        self.lock = threading.Lock()
        self.ids = iter(range(1, 1_000_000))
        self.failures = 0
        self.path_failures: dict[str, tuple[int, int]] = {}  # path -> (requests left to fail, status)
        self.requests: list[tuple[str, str]] = []
        self.comments: dict[int, dict[int, str]] = {}  # issue number -> comment id -> body
        self.pull_labels: dict[str, list[str]] = {}  # commit sha -> labels of its merged PR
        self.oauth_client: tuple[str, str] = OAUTH_CLIENT  # the OAuth app's (client_id, client_secret)
        self.callback_url: str | None = None  # the app's registered callback; None: any redirect_uri
        self.people: dict[str, Person] = {}
        self.signed_in: str | None = None  # who is signed in at GitHub in the browser
        self.codes: dict[str, Grant] = {}  # authorization code -> grant, until traded
        self.user_tokens: dict[str, Grant] = {}  # gho_ token -> grant
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def api_url(self) -> str:
        """The base URL to give PyGithub."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeGitHub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, count: int) -> None:
        """Answer the next `count` requests with 502 Bad Gateway."""
        self.failures = count

    def fail_on(self, path: str, count: int = 1, status: int = 502) -> None:
        """Answer the next `count` requests for `path` (no query) with `status`."""
        self.path_failures[path] = (count, status)

    def add_person(
        self,
        login: str,
        email: str,
        *,
        orgs: dict[str, str] | None = None,
        teams: Iterable[tuple[str, str]] = (),
        verified: bool = True,
        denies: bool = False,
    ) -> Person:
        """A GitHub account: its primary email, org memberships ("active" or "pending"), teams."""
        with self.lock:
            person = Person(
                login, 1000 + len(self.people), email, verified, dict(orgs or {}), list(teams), denies
            )
            self.people[login] = person
        return person

    def sign_in_as(self, login: str | None) -> None:
        """Who the browser is signed in to GitHub as (None: nobody, so GitHub shows its sign-in page)."""
        if login is not None and login not in self.people:
            raise KeyError(f"no such person: {login}")
        self.signed_in = login

    # JSON shapes --------------------------------------------------------------------------------

    def repo_json(self) -> dict[str, Any]:
        owner, name = self.full_name.split("/")
        return {
            "id": 1,
            "name": name,
            "full_name": self.full_name,
            "private": True,
            "owner": {"login": owner, "id": 1, "type": "Organization"},
            "url": f"{self.api_url}/repos/{self.full_name}",
            "html_url": f"https://github.example/{self.full_name}",
        }

    def release_json(self, release: Release) -> dict[str, Any]:
        base = f"{self.api_url}/repos/{self.full_name}/releases/{release.id}"
        return {
            "id": release.id,
            "tag_name": release.tag,
            "name": release.name,
            "body": release.body,
            "draft": False,
            "prerelease": False,
            "created_at": f"2026-11-01T00:00:{release.created % 60:02d}Z",
            "published_at": f"2026-11-01T00:00:{release.created % 60:02d}Z",
            "url": base,
            "html_url": f"https://github.example/{self.full_name}/releases/tag/{release.tag}",
            "assets_url": f"{base}/assets",
            "upload_url": f"{self.api_url}/uploads/repos/{self.full_name}/releases/{release.id}/assets{{?name,label}}",
            "assets": [self.asset_json(a) for a in release.assets],
        }

    def asset_json(self, asset: Asset) -> dict[str, Any]:
        return {
            "id": asset.id,
            "name": asset.name,
            "label": "",
            "state": "uploaded",
            "content_type": asset.content_type,
            "size": len(asset.data),
            "digest": "sha256:" + hashlib.sha256(asset.data).hexdigest(),
            "url": f"{self.api_url}/repos/{self.full_name}/releases/assets/{asset.id}",
            "browser_download_url": f"https://github.example/{self.full_name}/releases/download/{asset.name}",
            "created_at": "2026-11-01T00:00:00Z",
            "updated_at": "2026-11-01T00:00:00Z",
        }

    def org_json(self, org: str) -> dict[str, Any]:
        return {
            "login": org,
            "id": zlib.crc32(org.lower().encode()),
            "url": f"{self.api_url}/orgs/{org}",
            "description": None,
        }

    def user_json(self, person: Person) -> dict[str, Any]:
        return {
            "login": person.login,
            "id": person.id,
            "type": "User",
            "site_admin": False,
            "name": person.login.title(),
            "email": None,  # the public email, which people usually leave unset
            "url": f"{self.api_url}/users/{person.login}",
            "html_url": f"https://github.example/{person.login}",
        }

    def emails_json(self, person: Person) -> list[dict[str, Any]]:
        noreply = f"{person.id}+{person.login}@users.noreply.github.com"
        return [
            {"email": person.email, "primary": True, "verified": person.verified, "visibility": "private"},
            {"email": noreply, "primary": False, "verified": True, "visibility": None},
        ]

    def membership_json(self, person: Person, org: str, state: str) -> dict[str, Any]:
        return {
            "url": f"{self.api_url}/orgs/{org}/memberships/{person.login}",
            "state": state,
            "role": "member",
            "organization_url": f"{self.api_url}/orgs/{org}",
            "organization": self.org_json(org),
            "user": self.user_json(person),
        }

    def team_json(self, org: str, slug: str) -> dict[str, Any]:
        return {
            "id": zlib.crc32(f"{org}/{slug}".lower().encode()),
            "slug": slug,
            "name": slug.replace("-", " ").title(),
            "privacy": "closed",
            "permission": "pull",
            "parent": None,
            "url": f"{self.api_url}/orgs/{org}/teams/{slug}",
            "html_url": f"https://github.example/orgs/{org}/teams/{slug}",
            "organization": self.org_json(org),
        }

    def membership_state(self, person: Person, org: str) -> tuple[str, str] | None:
        """The org's spelling and the person's state in it (org logins are case-insensitive)."""
        return next(((o, s) for o, s in person.orgs.items() if o.lower() == org.lower()), None)

    def find_asset(self, asset_id: int) -> tuple[Release, Asset] | None:
        for release in self.releases.values():
            for asset in release.assets:
                if asset.id == asset_id:
                    return release, asset
        return None


def _handler(api: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    repo = f"/repos/{api.full_name}"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def _send(
            self,
            status: int,
            body: Any = None,
            headers: dict[str, str] | None = None,
            content_type: str | None = None,
        ) -> None:
            raw = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header(
                "Content-Type",
                content_type
                or ("application/octet-stream" if isinstance(body, bytes) else "application/json"),
            )
            self.send_header("Content-Length", str(len(raw)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(raw)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _route(self, method: str) -> None:
            url = urlparse(self.path)
            path = unquote(url.path)
            api.requests.append((method, path))
            body = self._body() if method in ("POST", "PATCH", "PUT") else b""
            if path.startswith("/storage/"):  # the pre-signed download URL: no API token needed
                found = api.find_asset(int(path.rsplit("/", 1)[1]))
                return self._send(200, found[1].data) if found else self._send(404, {"message": "Not Found"})
            if api.failures:
                api.failures -= 1
                return self._send(502, {"message": "Bad Gateway"})
            left, status = api.path_failures.get(path, (0, 0))
            if left:
                api.path_failures[path] = (left - 1, status)
                return self._send(status, {"message": f"Failing on purpose ({status})"})
            if path.startswith("/login/oauth/"):  # github.com's web flow, not the API
                with api.lock:
                    return self._oauth(method, path, parse_qs(url.query), body)
            credential = self.headers.get("Authorization", "").split(" ", 1)[-1]
            if path == "/user" or path.startswith("/user/"):
                with api.lock:
                    return self._user(method, path, parse_qs(url.query), credential)
            if credential != api.token:
                return self._send(401, {"message": "Bad credentials"})
            with api.lock:
                return self._dispatch(method, path, parse_qs(url.query), body)

        # The OAuth web flow ---------------------------------------------------------------------

        def _oauth(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> None:
            if path == "/login/oauth/authorize" and method == "GET":
                return self._authorize({k: v[0] for k, v in query.items()})
            if path == "/login/oauth/access_token" and method == "POST":
                return self._access_token(body)
            return self._send(404, b"Not Found", content_type="text/plain")

        def _authorize(self, params: dict[str, str]) -> None:
            if params.get("client_id") != api.oauth_client[0]:
                return self._send(400, b"<h1>No such OAuth application</h1>", content_type="text/html")
            redirect_uri = params.get("redirect_uri") or api.callback_url
            if not redirect_uri:
                return self._send(400, b"<h1>redirect_uri is required</h1>", content_type="text/html")
            state = {"state": params["state"]} if "state" in params else {}
            if api.callback_url and not redirect_uri.startswith(api.callback_url):
                return self._redirect(
                    api.callback_url,
                    {
                        "error": "redirect_uri_mismatch",
                        "error_description": "The redirect_uri MUST match the registered callback URL "
                        "for this application.",
                        **state,
                    },
                )
            if api.signed_in is None:
                return self._send(200, b"<h1>Sign in to GitHub</h1>", content_type="text/html")
            person = api.people[api.signed_in]
            if person.denies:
                return self._redirect(
                    redirect_uri,
                    {
                        "error": "access_denied",
                        "error_description": "The user has denied your application access.",
                        **state,
                    },
                )
            code = secrets.token_hex(10)
            scopes = tuple(s for s in re.split(r"[\s,]+", params.get("scope", "")) if s)
            api.codes[code] = Grant(person.login, api.oauth_client[0], redirect_uri, scopes, time.monotonic())
            return self._redirect(redirect_uri, {"code": code, **state})

        def _redirect(self, target: str, params: dict[str, str]) -> None:
            location = target + ("&" if "?" in target else "?") + urlencode(params)
            return self._send(302, b"", {"Location": location}, content_type="text/html")

        def _access_token(self, body: bytes) -> None:
            if self.headers.get("Content-Type", "").startswith("application/json"):
                form = {k: str(v) for k, v in json.loads(body or b"{}").items()}
            else:
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            scheme, _, encoded = self.headers.get("Authorization", "").partition(" ")
            if scheme.lower() == "basic":  # client_secret_basic, which authlib uses by default
                client_id, _, client_secret = base64.b64decode(encoded).decode().partition(":")
                form.setdefault("client_id", client_id)
                form.setdefault("client_secret", client_secret)
            if (form.get("client_id"), form.get("client_secret")) != api.oauth_client:
                return self._token_answer(
                    "incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect."
                )
            grant = api.codes.pop(form.get("code", ""), None)  # one use only, right or wrong
            if (
                grant is None
                or grant.client_id != form["client_id"]
                or time.monotonic() - grant.issued > CODE_TTL
            ):
                return self._token_answer("bad_verification_code", "The code passed is incorrect or expired.")
            if form.get("redirect_uri") and form["redirect_uri"] != grant.redirect_uri:
                return self._token_answer(
                    "redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL."
                )
            token = "gho_" + secrets.token_hex(18)
            api.user_tokens[token] = grant
            return self._token_answer(
                None, None, {"access_token": token, "token_type": "bearer", "scope": ",".join(grant.scopes)}
            )

        def _token_answer(
            self, error: str | None, description: str | None, fields: dict[str, str] | None = None
        ) -> None:
            """GitHub answers the token request with 200 even for an error; JSON only if asked for."""
            data = fields or {
                "error": error or "",
                "error_description": description or "",
                "error_uri": "https://docs.github.com/apps/managing-oauth-apps/"
                "troubleshooting-oauth-app-access-token-request-errors",
            }
            if "json" in self.headers.get("Accept", ""):
                return self._send(200, data)
            return self._send(
                200, urlencode(data).encode(), content_type="application/x-www-form-urlencoded; charset=utf-8"
            )

        # The signed-in person's endpoints -------------------------------------------------------

        def _user(self, method: str, path: str, query: dict[str, list[str]], credential: str) -> None:
            grant = api.user_tokens.get(credential)
            person = api.people.get(grant.login) if grant else None
            if grant is None or person is None:
                return self._send(401, {"message": "Bad credentials"})
            granted = set(grant.scopes).union(*(IMPLIED_SCOPES.get(s, set()) for s in grant.scopes))
            headers = {"X-OAuth-Scopes": ", ".join(grant.scopes)}

            def allowed(*needed: str) -> bool:
                headers["X-Accepted-OAuth-Scopes"] = ", ".join(needed)
                return bool(granted & set(needed))

            not_found = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
            if method != "GET":
                return self._send(404, not_found, headers)
            if path == "/user":
                return self._send(200, api.user_json(person), headers)
            if path == "/user/emails":
                if not allowed("user", "user:email"):
                    return self._send(404, not_found, headers)
                return self._paged(api.emails_json(person), query, headers)
            if match := re.fullmatch(r"/user/memberships/orgs/([^/]+)", path):
                member = api.membership_state(person, match.group(1))
                if not allowed("read:org", "user", "repo") or member is None:
                    return self._send(404, not_found, headers)
                return self._send(200, api.membership_json(person, *member), headers)
            if path == "/user/teams":
                if not allowed("read:org", "user", "repo"):
                    return self._send(404, not_found, headers)
                active = {o.lower() for o, state in person.orgs.items() if state == "active"}
                teams = [api.team_json(o, t) for o, t in person.teams if o.lower() in active]
                return self._paged(teams, query, headers)
            return self._send(404, not_found, headers)

        def _paged(self, items: list[Any], query: dict[str, list[str]], headers: dict[str, str]) -> None:
            """One page of a list, with the `Link` header GitHub sends when there are more."""
            per_page = max(1, min(100, int(query.get("per_page", ["30"])[0])))
            page = max(1, int(query.get("page", ["1"])[0]))
            last = max(1, -(-len(items) // per_page))
            links = []
            base = f"{api.api_url}{urlparse(self.path).path}"
            if page < last:
                links.append(f'<{base}?{urlencode({"per_page": per_page, "page": page + 1})}>; rel="next"')
                links.append(f'<{base}?{urlencode({"per_page": per_page, "page": last})}>; rel="last"')
            if page > 1:
                links.append(f'<{base}?{urlencode({"per_page": per_page, "page": 1})}>; rel="first"')
                links.append(f'<{base}?{urlencode({"per_page": per_page, "page": page - 1})}>; rel="prev"')
            if links:
                headers = {**headers, "Link": ", ".join(links)}
            return self._send(200, items[(page - 1) * per_page : page * per_page], headers)

        def _dispatch(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> None:
            if method == "GET" and path == repo:
                return self._send(200, api.repo_json())
            if path.startswith(f"/uploads{repo}/releases/") and method == "POST":
                return self._upload(int(path.split("/")[-2]), query["name"][0], body)
            if not path.startswith(f"{repo}/"):
                return self._send(404, {"message": "Not Found"})
            rest = path[len(repo) + 1 :]
            if rest == "releases" and method == "GET":
                newest_first = sorted(api.releases.values(), key=lambda r: -r.created)
                return self._send(200, [api.release_json(r) for r in newest_first])
            if rest == "releases" and method == "POST":
                return self._create(json.loads(body))
            if rest == "releases/latest" and method == "GET":
                release = api.releases.get(api.latest or -1)
                return (
                    self._send(200, api.release_json(release))
                    if release
                    else self._send(404, {"message": "Not Found"})
                )
            if rest.startswith("releases/tags/") and method == "GET":
                tag = rest[len("releases/tags/") :]
                release = next((r for r in api.releases.values() if r.tag == tag), None)
                return (
                    self._send(200, api.release_json(release))
                    if release
                    else self._send(404, {"message": "Not Found"})
                )
            if match := re.fullmatch(r"releases/assets/(\d+)", rest):
                return self._asset(method, int(match.group(1)))
            if match := re.fullmatch(r"releases/(\d+)(/assets)?", rest):
                return self._release(method, int(match.group(1)), bool(match.group(2)), body)
            if match := re.fullmatch(r"issues/(\d+)", rest):
                return self._send(200, self._issue(int(match.group(1))))
            if match := re.fullmatch(r"issues/(\d+)/comments", rest):
                return self._issue_comments(method, int(match.group(1)), body)
            if match := re.fullmatch(r"issues/comments/(\d+)", rest):
                return self._edit_comment(int(match.group(1)), body)
            if match := re.fullmatch(r"commits/([0-9a-f]+)(/pulls)?", rest):
                return self._commit(match.group(1), bool(match.group(2)))
            if rest.startswith("git/refs/tags/") and method == "DELETE":
                return self._send(204)
            if rest.startswith("git/ref/tags/") and method == "GET":
                tag = rest[len("git/ref/tags/") :]
                return self._send(
                    200,
                    {
                        "ref": f"refs/tags/{tag}",
                        "url": f"{api.api_url}{repo}/git/refs/tags/{tag}",
                        "object": {"sha": "0" * 40, "type": "commit", "url": ""},
                    },
                )
            return self._send(404, {"message": "Not Found"})

        def _issue(self, number: int) -> dict[str, Any]:
            return {
                "number": number,
                "id": number,
                "title": f"PR {number}",
                "state": "open",
                "url": f"{api.api_url}{repo}/issues/{number}",
                "comments": len(api.comments.get(number, {})),
            }

        def _comment(self, number: int, comment_id: int) -> dict[str, Any]:
            return {
                "id": comment_id,
                "body": api.comments[number][comment_id],
                "url": f"{api.api_url}{repo}/issues/comments/{comment_id}",
                "html_url": f"https://github.example/{api.full_name}/pull/{number}#issuecomment-{comment_id}",
                "user": {"login": "github-actions[bot]", "type": "Bot", "id": 41898282},
                "created_at": "2026-11-01T00:00:00Z",
                "updated_at": "2026-11-01T00:00:00Z",
            }

        def _issue_comments(self, method: str, number: int, body: bytes) -> None:
            existing = api.comments.setdefault(number, {})
            if method == "POST":
                comment_id = next(api.ids)
                existing[comment_id] = json.loads(body)["body"]
                return self._send(201, self._comment(number, comment_id))
            return self._send(200, [self._comment(number, c) for c in sorted(existing)])

        def _edit_comment(self, comment_id: int, body: bytes) -> None:
            for number, comments in api.comments.items():
                if comment_id in comments:
                    comments[comment_id] = json.loads(body)["body"]
                    return self._send(200, self._comment(number, comment_id))
            return self._send(404, {"message": "Not Found"})

        def _commit(self, sha: str, pulls: bool) -> None:
            if not pulls:
                return self._send(200, {"sha": sha, "url": f"{api.api_url}{repo}/commits/{sha}", "files": []})
            labels = api.pull_labels.get(sha)
            if labels is None:
                return self._send(200, [])
            pull = {
                "number": 7,
                "id": 7,
                "state": "closed",
                "title": "Change",
                "url": f"{api.api_url}{repo}/pulls/7",
                "labels": [{"name": n, "id": i} for i, n in enumerate(labels)],
            }
            return self._send(200, [pull])

        def _create(self, data: dict[str, Any]) -> None:
            if any(r.tag == data["tag_name"] for r in api.releases.values()):
                return self._send(
                    422,
                    {
                        "message": "Validation Failed",
                        "errors": [{"resource": "Release", "code": "already_exists", "field": "tag_name"}],
                    },
                )
            release = Release(
                next(api.ids),
                data["tag_name"],
                data.get("name") or data["tag_name"],
                data.get("body", ""),
                len(api.releases),
            )
            api.releases[release.id] = release
            if data.get("make_latest", "true") == "true":
                api.latest = release.id
            return self._send(201, api.release_json(release))

        def _release(self, method: str, release_id: int, assets: bool, body: bytes) -> None:
            release = api.releases.get(release_id)
            if release is None:
                return self._send(404, {"message": "Not Found"})
            if assets and method == "GET":
                return self._send(200, [api.asset_json(a) for a in release.assets])
            if method == "GET":
                return self._send(200, api.release_json(release))
            if method == "PATCH":
                data = json.loads(body)
                if data.get("make_latest") == "true":
                    api.latest = release.id
                return self._send(200, api.release_json(release))
            if method == "DELETE":
                del api.releases[release_id]
                if api.latest == release_id:
                    api.latest = None
                return self._send(204)
            return self._send(405, {"message": "Method Not Allowed"})

        def _asset(self, method: str, asset_id: int) -> None:
            found = api.find_asset(asset_id)
            if found is None:
                return self._send(404, {"message": "Not Found"})
            release, asset = found
            if method == "DELETE":
                release.assets.remove(asset)
                return self._send(204)
            if self.headers.get("Accept") == "application/octet-stream":
                return self._send(302, None, {"Location": f"{api.api_url}/storage/{asset.id}"})
            return self._send(200, api.asset_json(asset))

        def _upload(self, release_id: int, name: str, data: bytes) -> None:
            release = api.releases.get(release_id)
            if release is None:
                return self._send(404, {"message": "Not Found"})
            if any(a.name == name for a in release.assets):
                return self._send(
                    422,
                    {
                        "message": "Validation Failed",
                        "errors": [{"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}],
                    },
                )
            asset = Asset(
                next(api.ids), name, data, self.headers.get("Content-Type", "application/octet-stream")
            )
            release.assets.append(asset)
            return self._send(201, api.asset_json(asset))

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def do_PATCH(self) -> None:
            self._route("PATCH")

        def do_DELETE(self) -> None:
            self._route("DELETE")

    return Handler
