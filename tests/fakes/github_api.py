"""A local HTTP server that answers the part of GitHub's REST API that Skillport uses.

Releases and their assets, asset downloads (a 302 to a storage URL, as github.com does for
`Accept: application/octet-stream`), "latest release", tag refs, and the refusals: 401 for a bad
token, 404, 422 for a second release with the same tag or a second asset with the same name. The
real PyGithub client talks to it over HTTP; nothing is patched. `fail_next` makes the next
requests answer 502, to exercise retries.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

TOKEN = "ghp_test_token_for_the_fake_api_0000000000"


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


class FakeGitHub:
    """State of one repository's releases, served over HTTP."""

    def __init__(self, owner: str = "acme", repo: str = "skill-store", token: str = TOKEN) -> None:
        self.full_name, self.token = f"{owner}/{repo}", token
        self.releases: dict[int, Release] = {}
        self.latest: int | None = None
        self.lock = threading.Lock()
        self.ids = iter(range(1, 1_000_000))
        self.failures = 0
        self.requests: list[tuple[str, str]] = []
        self.comments: dict[int, dict[int, str]] = {}  # issue number -> comment id -> body
        self.pull_labels: dict[str, list[str]] = {}  # commit sha -> labels of its merged PR
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

        def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
            raw = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header(
                "Content-Type", "application/octet-stream" if isinstance(body, bytes) else "application/json"
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
            auth = self.headers.get("Authorization", "")
            if auth.split(" ", 1)[-1] != api.token:
                return self._send(401, {"message": "Bad credentials"})
            with api.lock:
                return self._dispatch(method, path, parse_qs(url.query), body)

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
