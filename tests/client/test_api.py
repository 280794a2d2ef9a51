"""The API client against the real proxy on 127.0.0.1, and against canned answers for the failures a
proxy cannot be made to produce."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from integration.registry import free_port
from proxy.live_server import LiveProxy, Tamper, live_proxy
from proxy.served import SEES

from skillport_build.client.api import Client
from skillport_build.errors import ClientError, SignatureError
from skillport_build.models.api import SkillDetail


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveProxy]:
    with live_proxy(tmp_path_factory.mktemp("live")) as proxy:
        yield proxy


@pytest.fixture
def opened() -> Iterator[list[Client | httpx.Client]]:
    """Clients made in a test, closed after it."""
    clients: list[Client | httpx.Client] = []
    yield clients
    for client in clients:
        client.close()


@pytest.fixture
def connect(live: LiveProxy, opened: list[Client | httpx.Client]) -> Callable[..., Client]:
    def make(who: str | None, http: httpx.Client | None = None) -> Client:
        """A client with the token of `who` (one of PEOPLE, else `who` is the token itself)."""
        client = Client(live.url, live.tokens.get(who, who) if who else None, http)
        opened.extend([client] if http is None else [client, http])
        return client

    return make


def canned(handler: Callable[[httpx.Request], httpx.Response], url: str = "http://proxy.test") -> Client:
    return Client(url, "sp_secret", httpx.Client(transport=httpx.MockTransport(handler)))


def test_search_lists_what_the_caller_may_read(connect: Callable[..., Client]) -> None:
    for who in ("anyone", "sre"):
        result = connect(who).search()
        assert {s.name for s in result.skills} == SEES[who]
        assert result.count == len(SEES[who])
    ranked = connect("sre").search("postmortem")
    assert ranked.skills[0].name == "incident-postmortem"
    assert ranked.skills[0].score is not None


def test_search_filters_and_limit(connect: Callable[..., Client]) -> None:
    client = connect("admin")
    assert {s.name for s in client.search(category="data").skills} == {"csv-profiler"}
    assert len(client.search(limit=1).skills) == 1
    first = client.search(limit=4)
    assert (first.count, first.total) == (4, 6) and first.next
    rest = client.search(limit=4, cursor=first.next)
    assert rest.next is None and len(rest.skills) == 2
    every = client.search(limit=4, follow=True)
    assert [s.name for s in every.skills] == [s.name for s in first.skills + rest.skills]
    assert (every.count, every.next) == (6, None)


def test_skill_detail(connect: Callable[..., Client]) -> None:
    skill = connect("anyone").skill("release-notes")
    assert skill.plugin == "writing"
    assert "release notes" in skill.skill_md.lower()
    assert skill.sha256_of(skill.version) == skill.sha256
    assert skill.sha256_of("9.9.9") is None
    assert any(f["path"] == "SKILL.md" for f in skill.files)


def test_a_hidden_skill_reads_as_missing(connect: Callable[..., Client]) -> None:
    with pytest.raises(ClientError) as refused:
        connect("anyone").skill("incident-postmortem")
    assert str(refused.value) == (
        "no skill named incident-postmortem that you may read; `skillport search` lists the skills you can"
    )
    with pytest.raises(ClientError, match="no skill named incident-postmortem"):
        connect("anyone").link("incident-postmortem")


def test_a_bad_token_says_to_sign_in_again(connect: Callable[..., Client]) -> None:
    client = connect("sp_nothing_here")
    with pytest.raises(ClientError) as refused:
        client.whoami()
    url = client.base_url
    assert str(refused.value) == (
        f"{url} did not accept the token (the token is unknown or revoked; create a new one on "
        f"/tokens); run `skillport login {url}` again"
    )


def test_no_proxy_listening() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ClientError) as refused, Client(url, "sp_x") as client:
        client.search()
    assert str(refused.value) == f"cannot connect to {url}: is the proxy running at {url}?"


def test_link_and_download_are_checked(connect: Callable[..., Client]) -> None:
    client = connect("sre")
    link = client.link("incident-postmortem")
    data = client.download(link.url, link.sha256, "incident-postmortem")
    assert hashlib.sha256(data).hexdigest() == link.sha256 and len(data) == link.size
    assert link.filename == f"incident-postmortem-{link.version}.zip"
    with pytest.raises(ClientError, match=r"has no downloadable version 9\.9\.9"):
        client.link("incident-postmortem", "9.9.9")


def test_tampered_bytes_are_refused(connect: Callable[..., Client]) -> None:
    client = connect("anyone", httpx.Client(transport=Tamper()))
    link = client.link("release-notes")
    with pytest.raises(SignatureError) as refused:
        client.download(link.url, link.sha256, "release-notes 1.0.0")
    assert f"but the signed catalog says {link.sha256}; nothing was written" in str(refused.value)


def test_updates(connect: Callable[..., Client]) -> None:
    client = connect("anyone")
    current = client.skill("csv-profiler")
    answer = client.updates(
        [
            {"name": "csv-profiler", "version": current.version},
            {"name": "release-notes", "version": "0.0.1"},
            {"name": "incident-postmortem", "version": "1.0.0"},
        ]
    )
    assert [(r.name, r.status) for r in answer.results] == [
        ("csv-profiler", "current"),
        ("release-notes", "update"),
        ("incident-postmortem", "unknown"),
    ]


def test_marketplace_follows_access(connect: Callable[..., Client]) -> None:
    names = {who: {p.name for p in connect(who).marketplace().plugins} for who in ("anyone", "sre")}
    assert "operations" in names["sre"] and "operations" not in names["anyone"]
    client = connect("sre")
    entry = client.marketplace().plugins[0]
    assert entry.source.url.startswith(f"{client.base_url}/bundles/plugins/")
    data = connect("sre").download(entry.source.url, entry.source.sha256, entry.name)
    assert hashlib.sha256(data).hexdigest() == entry.source.sha256


def test_a_used_sign_in_code_is_refused(connect: Callable[..., Client]) -> None:
    with pytest.raises(ClientError) as refused:
        connect(None).exchange_code("nope", "verifier", "laptop")
    assert "the sign-in code is invalid, used or expired" in str(refused.value)


def test_the_token_goes_to_the_proxy_only() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"zip")

    client = canned(answer)
    sha = hashlib.sha256(b"zip").hexdigest()
    assert client.download("http://proxy.test/bundles/a.zip", sha, "a") == b"zip"
    assert client.download("https://cdn.test/bundles/a.zip?u=x&e=1&s=abc", sha, "a") == b"zip"
    assert seen[0].headers["authorization"] == "Bearer sp_secret"
    assert "authorization" not in seen[1].headers
    with pytest.raises(ClientError, match=r"the token is only sent to http://proxy.test"):
        client.download("https://cdn.test/bundles/a.zip", sha, "a")
    assert len(seen) == 2


@pytest.mark.parametrize(
    ("status", "body", "headers", "message"),
    [
        (
            429,
            {"error": "too many requests; slow down"},
            {"Retry-After": "3"},
            "rate-limiting you; try again in 3",
        ),
        (
            503,
            {"error": "no catalog can be served: expired"},
            {},
            "cannot serve the skill list right now: no catalog",
        ),
        (400, {"error": "bad"}, {}, "refused the skill list: bad (HTTP 400)"),
        (500, "<html>oops</html>", {}, "refused the skill list: <html>oops</html> (HTTP 500)"),
    ],
)
def test_refusals_say_what_happened(status: int, body: object, headers: dict[str, str], message: str) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if isinstance(body, str):
            return httpx.Response(status, text=body, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    with pytest.raises(ClientError, match=re.escape(message)), canned(answer) as client:
        client.search()


def test_something_else_than_a_proxy() -> None:
    client = canned(lambda request: httpx.Response(200, text="<html>a blog</html>"))
    with pytest.raises(ClientError) as refused:
        client.search()
    assert "http://proxy.test answered the skill list with something skillport cannot read" in str(
        refused.value
    )


def test_timeouts_and_other_transport_failures() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(
        ClientError, match=r"did not answer in time; try again, or see http://proxy.test/healthz"
    ):
        canned(slow).marketplace()

    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("garbage", request=request)

    with pytest.raises(ClientError, match=r"cannot talk to http://proxy\.test: garbage"):
        canned(broken).download("http://proxy.test/bundles/x.zip", "0" * 64, "x")


def test_the_token_is_in_no_repr() -> None:
    client = canned(
        lambda request: httpx.Response(200, json={"token": "sp_abc", "user": "a@b", "token_id": "i"})
    )
    grant = client.exchange_code("c", "v", "h")
    assert grant.token == "sp_abc" and "sp_abc" not in repr(grant)


def test_the_client_takes_answers_compressed(connect: Callable[..., Client]) -> None:
    seen: list[tuple[str, str, int]] = []

    def note(response: httpx.Response) -> None:
        response.read()
        seen.append(
            (response.url.path, response.headers.get("content-encoding", ""), response.num_bytes_downloaded)
        )

    http = httpx.Client(timeout=30, event_hooks={"response": [note]})
    client = connect("sre", http)
    listed = client.search()
    detail = client.skill("release-notes")
    assert {s.name for s in listed.skills} == SEES["sre"] and "release notes" in detail.skill_md.lower()
    assert [(path, encoding) for path, encoding, _ in seen] == [
        ("/api/skills", "zstd"),
        ("/api/skills/release-notes", "zstd"),
    ]
    plain = httpx.get(
        f"{client.base_url}/api/skills/release-notes",
        headers={"Authorization": f"Bearer {client._token}", "Accept-Encoding": "identity"},
    )
    assert seen[1][2] < len(plain.content)  # fewer bytes came over the wire than the answer holds
    assert SkillDetail.model_validate(plain.json()) == detail
