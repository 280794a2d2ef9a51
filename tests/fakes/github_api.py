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

It also holds the repository's git data, for pull requests opened through the API: blobs, trees,
commits and branches in memory (`GitData`, with git's own object ids), read through `contents`,
`git/ref(s)`, `git/commits`, `git/trees` and `git/blobs`, written through `POST git/blobs`,
`git/trees` (on a `base_tree`, `sha: null` deleting a path), `git/commits` and `git/refs`, and
`DELETE git/refs/heads/...`; pull requests through `POST` and `GET pulls`. Tests seed the default
branch from a folder (`seed`), read what a branch holds (`files_at`, `tree_at`), and see what was
written (`writes`, `branches`, `commits`, `pulls`).
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
from pathlib import Path
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


def git_sha(kind: str, raw: bytes) -> str:
    """Git's object id: sha1 over the object's header and content."""
    return hashlib.sha1(f"{kind} {len(raw)}".encode() + b"\0" + raw).hexdigest()


@dataclass(frozen=True)
class Commit:
    """A git commit: its tree, parents, message and author."""

    sha: str
    tree: str
    parents: tuple[str, ...]
    message: str
    author: dict[str, str]


@dataclass
class Pull:
    """A pull request from one branch of the repository into another."""

    number: int
    title: str
    body: str
    head: str
    base: str
    head_sha: str
    base_sha: str
    draft: bool = False
    state: str = "open"


@dataclass
class GitData:
    """The repository's git objects and branches, in memory; trees are kept flat (path -> entry)."""

    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)  # path -> (mode, sha)
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)  # branch -> commit sha

    def blob(self, data: bytes) -> str:
        sha = git_sha("blob", data)
        self.blobs[sha] = data
        return sha

    def tree(self, flat: dict[str, tuple[str, str]]) -> str:
        """Store a tree, and each folder in it as a tree of its own, as git does."""
        entries: list[tuple[str, str, str]] = []
        folders: dict[str, dict[str, tuple[str, str]]] = {}
        for path, (mode, sha) in flat.items():
            name, slash, rest = path.partition("/")
            if slash:
                folders.setdefault(name, {})[rest] = (mode, sha)
            else:
                entries.append((name, mode, sha))
        entries += [(name, "40000", self.tree(sub)) for name, sub in folders.items()]
        entries.sort(key=lambda e: e[0] + ("/" if e[1] == "40000" else ""))
        raw = b"".join(f"{mode} {name}".encode() + b"\0" + bytes.fromhex(sha) for name, mode, sha in entries)
        sha = git_sha("tree", raw)
        self.trees[sha] = dict(flat)
        return sha

    def commit(self, tree: str, parents: tuple[str, ...], message: str, author: dict[str, str]) -> Commit:
        lines = [f"tree {tree}", *(f"parent {p}" for p in parents)]
        who = f"{author['name']} <{author['email']}> {author['date']}"
        raw = "\n".join([*lines, f"author {who}", f"committer {who}", "", message]).encode()
        commit = Commit(git_sha("commit", raw), tree, parents, message, author)
        self.commits[commit.sha] = commit
        return commit

    def resolve(self, ref: str) -> str | None:
        """The commit a branch name or commit sha stands for."""
        return self.branches.get(ref) or (ref if ref in self.commits else None)


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
        self.default_branch = "main"
        self.git = GitData()
        self.pulls: dict[int, Pull] = {}
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

    # The repository's git data ------------------------------------------------------------------

    @property
    def branches(self) -> dict[str, str]:
        """Branch name -> head commit sha."""
        return self.git.branches

    @property
    def commits(self) -> dict[str, Commit]:
        """Every commit, by sha."""
        return self.git.commits

    def seed(self, root: Path, branch: str | None = None, message: str = "Initial commit") -> str:
        """Commit every file under `root` (no .git) onto `branch` (default: the default branch)."""
        branch = branch or self.default_branch
        flat = {}
        with self.lock:
            for path in sorted(root.rglob("*")):
                if path.is_file() and ".git" not in path.relative_to(root).parts:
                    mode = "100755" if path.stat().st_mode & 0o100 else "100644"
                    flat[path.relative_to(root).as_posix()] = (mode, self.git.blob(path.read_bytes()))
            parents = (self.git.branches[branch],) if branch in self.git.branches else ()
            author = {"name": "Seed", "email": "seed@acme.example", "date": "2026-11-01T00:00:00Z"}
            commit = self.git.commit(self.git.tree(flat), parents, message, author)
            self.git.branches[branch] = commit.sha
        return commit.sha

    def tree_at(self, ref: str) -> dict[str, tuple[str, str]]:
        """Path -> (mode, blob sha) of every file at a branch or commit."""
        sha = self.git.resolve(ref)
        if sha is None:
            raise KeyError(f"no such branch or commit: {ref}")
        return dict(self.git.trees[self.git.commits[sha].tree])

    def files_at(self, ref: str) -> dict[str, bytes]:
        """Path -> content of every file at a branch or commit."""
        return {path: self.git.blobs[sha] for path, (_, sha) in self.tree_at(ref).items()}

    def writes(self) -> list[tuple[str, str]]:
        """Every request that could have changed something: (method, path), oldest first."""
        return [(method, path) for method, path in self.requests if method != "GET"]

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
            "default_branch": self.default_branch,
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

    def ref_json(self, branch: str) -> dict[str, Any]:
        base = f"{self.api_url}/repos/{self.full_name}"
        sha = self.git.branches[branch]
        return {
            "ref": f"refs/heads/{branch}",
            "node_id": f"REF_{branch}",
            "url": f"{base}/git/refs/heads/{branch}",
            "object": {"sha": sha, "type": "commit", "url": f"{base}/git/commits/{sha}"},
        }

    def commit_json(self, commit: Commit) -> dict[str, Any]:
        base = f"{self.api_url}/repos/{self.full_name}"
        return {
            "sha": commit.sha,
            "node_id": f"C_{commit.sha[:12]}",
            "url": f"{base}/git/commits/{commit.sha}",
            "html_url": f"https://github.example/{self.full_name}/commit/{commit.sha}",
            "author": commit.author,
            "committer": commit.author,
            "message": commit.message,
            "tree": {"sha": commit.tree, "url": f"{base}/git/trees/{commit.tree}"},
            "parents": [
                {
                    "sha": p,
                    "url": f"{base}/git/commits/{p}",
                    "html_url": f"https://github.example/{self.full_name}/commit/{p}",
                }
                for p in commit.parents
            ],
            "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None},
        }

    def tree_json(self, sha: str, recursive: bool) -> dict[str, Any]:
        """A tree as GitHub lists it: folders as `tree` entries, every level when recursive."""
        base = f"{self.api_url}/repos/{self.full_name}/git"
        flat = self.git.trees[sha]
        entries: dict[str, dict[str, Any]] = {}
        for path, (mode, blob) in flat.items():
            parts = path.split("/")
            for depth in range(1, len(parts) if recursive else min(2, len(parts))):
                folder = "/".join(parts[:depth])
                inside = {p[len(folder) + 1 :]: e for p, e in flat.items() if p.startswith(folder + "/")}
                sub = self.git.tree(inside)
                entries[folder] = {"path": folder, "mode": "040000", "type": "tree", "sha": sub}
                entries[folder]["url"] = f"{base}/trees/{sub}"
            if recursive or len(parts) == 1:
                size = len(self.git.blobs[blob])
                url = f"{base}/blobs/{blob}"
                entries[path] = {
                    "path": path,
                    "mode": mode,
                    "type": "blob",
                    "sha": blob,
                    "size": size,
                    "url": url,
                }
        tree = [entries[k] for k in sorted(entries)]
        return {"sha": sha, "url": f"{base}/trees/{sha}", "tree": tree, "truncated": False}

    def content_json(self, path: str, mode_sha: tuple[str, str] | None, ref: str) -> dict[str, Any]:
        """A file as the contents API answers it (base64 in lines of 60, as GitHub sends it)."""
        base = f"{self.api_url}/repos/{self.full_name}"
        kind, sha = ("dir", self.git.tree({})) if mode_sha is None else ("file", mode_sha[1])
        data = self.git.blobs.get(sha, b"") if kind == "file" else b""
        doc: dict[str, Any] = {
            "type": kind,
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": sha,
            "size": len(data),
            "url": f"{base}/contents/{path}?ref={ref}",
            "git_url": f"{base}/git/{'blobs' if kind == 'file' else 'trees'}/{sha}",
            "html_url": f"https://github.example/{self.full_name}/blob/{ref}/{path}",
            "download_url": f"https://raw.github.example/{self.full_name}/{ref}/{path}"
            if kind == "file"
            else None,
        }
        if kind == "file":
            doc |= {"encoding": "base64", "content": base64.encodebytes(data).decode()}
        return doc

    def pull_json(self, pull: Pull) -> dict[str, Any]:
        base = f"{self.api_url}/repos/{self.full_name}"
        owner = self.full_name.split("/")[0]
        return {
            "id": 5000 + pull.number,
            "node_id": f"PR_{pull.number}",
            "number": pull.number,
            "state": pull.state,
            "title": pull.title,
            "body": pull.body,
            "draft": pull.draft,
            "merged": False,
            "url": f"{base}/pulls/{pull.number}",
            "html_url": f"https://github.example/{self.full_name}/pull/{pull.number}",
            "issue_url": f"{base}/issues/{pull.number}",
            "user": {"login": "skillport-bot", "id": 77, "type": "Bot"},
            "head": {
                "ref": pull.head,
                "sha": pull.head_sha,
                "label": f"{owner}:{pull.head}",
                "repo": self.repo_json(),
            },
            "base": {
                "ref": pull.base,
                "sha": pull.base_sha,
                "label": f"{owner}:{pull.base}",
                "repo": self.repo_json(),
            },
            "created_at": "2026-11-01T00:00:00Z",
            "updated_at": "2026-11-01T00:00:00Z",
        }

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
            if rest.startswith(
                ("git/ref/heads/", "git/refs/heads/", "git/commits/", "git/trees", "git/blobs")
            ):
                return self._git(method, rest, query, body)
            if rest in ("git/refs", "git/commits", "contents", "pulls") or rest.startswith(
                ("contents/", "pulls/")
            ):
                return self._git(method, rest, query, body)
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

        # The repository's git data and pull requests --------------------------------------------

        def _refuse(self, message: str, errors: list[dict[str, str]] | None = None) -> None:
            doc: dict[str, Any] = {"message": message, "documentation_url": "https://docs.github.com/rest"}
            return self._send(422, doc | ({"errors": errors} if errors else {}))

        def _git(self, method: str, rest: str, query: dict[str, list[str]], body: bytes) -> None:
            data = json.loads(body) if body else {}
            git = api.git
            if method == "GET" and (match := re.fullmatch(r"git/refs?/heads/(.+)", rest)):
                branch = match.group(1)
                if branch not in git.branches:
                    return self._send(404, {"message": "Not Found"})
                return self._send(200, api.ref_json(branch))
            if method == "DELETE" and (match := re.fullmatch(r"git/refs/heads/(.+)", rest)):
                if git.branches.pop(match.group(1), None) is None:
                    return self._refuse("Reference does not exist")
                return self._send(204)
            if method == "POST" and rest == "git/refs":
                return self._create_ref(data)
            if method == "GET" and (match := re.fullmatch(r"git/commits/([0-9a-f]{40})", rest)):
                commit = git.commits.get(match.group(1))
                return (
                    self._send(200, api.commit_json(commit))
                    if commit
                    else self._send(404, {"message": "Not Found"})
                )
            if method == "POST" and rest == "git/commits":
                return self._create_commit(data)
            if method == "POST" and rest == "git/blobs":
                raw = (
                    base64.b64decode(data["content"])
                    if data.get("encoding") == "base64"
                    else data["content"].encode()
                )
                sha = git.blob(raw)
                return self._send(201, {"sha": sha, "url": f"{api.api_url}{repo}/git/blobs/{sha}"})
            if method == "GET" and (match := re.fullmatch(r"git/blobs/([0-9a-f]{40})", rest)):
                return self._blob(match.group(1))
            if method == "POST" and rest == "git/trees":
                return self._create_tree(data)
            if method == "GET" and (match := re.fullmatch(r"git/trees/([0-9a-f]{40})", rest)):
                if match.group(1) not in git.trees:
                    return self._send(404, {"message": "Not Found"})
                return self._send(
                    200, api.tree_json(match.group(1), query.get("recursive", ["0"])[0] not in ("0", "false"))
                )
            if method == "GET" and (rest == "contents" or rest.startswith("contents/")):
                return self._contents(rest[len("contents/") :], query)
            if rest == "pulls" and method == "POST":
                return self._create_pull(data)
            if rest == "pulls" and method == "GET":
                return self._list_pulls(query)
            if (
                method == "GET"
                and (match := re.fullmatch(r"pulls/(\d+)", rest))
                and int(match.group(1)) in api.pulls
            ):
                return self._send(200, api.pull_json(api.pulls[int(match.group(1))]))
            return self._send(404, {"message": "Not Found"})

        def _create_ref(self, data: dict[str, Any]) -> None:
            ref, sha = data.get("ref", ""), data.get("sha", "")
            if not re.fullmatch(r"refs/heads/[^\s:~^?*\[\\]+", ref) or ref.endswith(("/", ".lock")):
                return self._refuse(f"{ref} is not a valid ref name.")
            if sha not in api.git.commits:
                return self._refuse("Object does not exist")
            branch = ref[len("refs/heads/") :]
            if branch in api.git.branches:
                return self._refuse("Reference already exists")
            api.git.branches[branch] = sha
            return self._send(201, api.ref_json(branch))

        def _create_commit(self, data: dict[str, Any]) -> None:
            if data.get("tree") not in api.git.trees:
                return self._refuse("Tree SHA does not exist")
            parents = tuple(data.get("parents", []))
            if any(p not in api.git.commits for p in parents):
                return self._refuse("Parent SHA does not exist or is not a commit object")
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            author = data.get("author") or {"name": "skillport-bot", "email": "bot@acme.example", "date": now}
            author = {"date": now, **author}
            commit = api.git.commit(data["tree"], parents, data["message"], author)
            return self._send(201, api.commit_json(commit))

        def _create_tree(self, data: dict[str, Any]) -> None:
            """A tree from `base_tree` (if any) with each entry written over it; `sha: null` deletes."""
            base = data.get("base_tree")
            if base is not None and base not in api.git.trees:
                return self._refuse("base_tree is not a valid tree oid")
            flat = dict(api.git.trees[base]) if base else {}
            for entry in data.get("tree", []):
                path, mode = entry.get("path", ""), entry.get("mode")
                if (
                    mode not in ("100644", "100755", "040000", "160000", "120000")
                    or not path
                    or path.startswith("/")
                ):
                    return self._refuse(
                        "Invalid tree info", [{"resource": "Tree", "field": "tree", "code": "invalid"}]
                    )
                if "sha" in entry and entry["sha"] is None:
                    gone = [p for p in flat if p == path or p.startswith(path + "/")]
                    if not gone:
                        return self._refuse(f"tree.path {path} does not exist in the base tree")
                    for p in gone:
                        del flat[p]
                elif "content" in entry:
                    flat[path] = (mode, api.git.blob(entry["content"].encode()))
                elif entry.get("sha") in api.git.blobs:
                    flat[path] = (mode, entry["sha"])
                else:
                    return self._refuse(
                        "Invalid tree info", [{"resource": "Tree", "field": "sha", "code": "invalid"}]
                    )
            sha = api.git.tree(flat)
            return self._send(201, api.tree_json(sha, recursive=False))

        def _blob(self, sha: str) -> None:
            data = api.git.blobs.get(sha)
            if data is None:
                return self._send(404, {"message": "Not Found"})
            url = f"{api.api_url}{repo}/git/blobs/{sha}"
            content = base64.encodebytes(data).decode()
            return self._send(
                200, {"sha": sha, "size": len(data), "url": url, "encoding": "base64", "content": content}
            )

        def _contents(self, path: str, query: dict[str, list[str]]) -> None:
            ref = query.get("ref", [api.default_branch])[0]
            commit = api.git.resolve(ref)
            if commit is None:
                return self._send(404, {"message": f"No commit found for the ref {ref}"})
            flat = api.git.trees[api.git.commits[commit].tree]
            path = path.strip("/")
            if path in flat:
                return self._send(200, api.content_json(path, flat[path], ref))
            prefix = f"{path}/" if path else ""
            names = sorted({p[len(prefix) :].split("/")[0] for p in flat if p.startswith(prefix)})
            if not names:
                return self._send(404, {"message": "Not Found"})
            listing = [api.content_json(prefix + n, flat.get(prefix + n), ref) for n in names]
            return self._send(
                200, [{k: v for k, v in e.items() if k not in ("content", "encoding")} for e in listing]
            )

        def _create_pull(self, data: dict[str, Any]) -> None:
            head = str(data.get("head", "")).split(":")[-1]
            base = str(data.get("base", ""))
            invalid = [f for f, b in (("base", base), ("head", head)) if b not in api.git.branches]
            if invalid:
                return self._refuse(
                    "Validation Failed",
                    [{"resource": "PullRequest", "field": f, "code": "invalid"} for f in invalid],
                )
            if api.git.branches[head] == api.git.branches[base]:
                return self._refuse(
                    "Validation Failed",
                    [
                        {
                            "resource": "PullRequest",
                            "code": "custom",
                            "message": f"No commits between {base} and {head}",
                        }
                    ],
                )
            owner = api.full_name.split("/")[0]
            if any(p.head == head and p.base == base and p.state == "open" for p in api.pulls.values()):
                return self._refuse(
                    "Validation Failed",
                    [
                        {
                            "resource": "PullRequest",
                            "code": "custom",
                            "message": f"A pull request already exists for {owner}:{head}.",
                        }
                    ],
                )
            number = max(api.pulls, default=0) + 1
            pull = Pull(
                number,
                str(data.get("title") or ""),
                str(data.get("body") or ""),
                head,
                base,
                api.git.branches[head],
                api.git.branches[base],
                bool(data.get("draft")),
            )
            api.pulls[number] = pull
            return self._send(201, api.pull_json(pull))

        def _list_pulls(self, query: dict[str, list[str]]) -> None:
            state = query.get("state", ["open"])[0]
            head = query.get("head", [""])[0].split(":")[-1]
            base = query.get("base", [""])[0]
            pulls = [
                api.pull_json(p)
                for _, p in sorted(api.pulls.items())
                if state in ("all", p.state) and head in ("", p.head) and base in ("", p.base)
            ]
            return self._paged(pulls, query, {})

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
