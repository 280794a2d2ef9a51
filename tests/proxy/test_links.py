"""Signed download links: the whole signature must match, never a prefix of it; and on the real proxy
on 127.0.0.1, a link opens its bundle only while its person may still read it."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from proxy.live_server import LiveProxy, live_proxy

from skillport_build.proxy.links import LinkSigner
from skillport_build.proxy.state import State

PATH, SHA = "bundles/release-notes/1.0.0/release-notes-1.0.0.zip", "ab" * 32


def made(signer: LinkSigner) -> dict[str, str]:
    path, _ = signer.make(PATH, SHA, "ann@acme.example", 300)
    return dict(parse_qsl(urlsplit(path).query))


def test_a_valid_link_checks() -> None:
    signer = LinkSigner(b"secret")
    claims = signer.check(PATH, SHA, made(signer))
    assert claims is not None and claims.user == "ann@acme.example"


@pytest.mark.parametrize(
    "forge",
    [
        lambda s: s[:1],  # a one-character guess
        lambda s: s[:-1],  # all but the last character
        lambda s: s + "0",  # one character too many
        lambda s: s.upper(),  # the same hex in capitals is another string
    ],
)
def test_a_signature_that_is_not_exactly_the_mac_is_refused(forge: object) -> None:
    signer = LinkSigner(b"secret")
    query = made(signer)
    query["s"] = forge(query["s"])  # type: ignore[operator]
    assert signer.check(PATH, SHA, query) is None


@pytest.fixture(scope="module")
def live(state_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveProxy]:
    with live_proxy(tmp_path_factory.mktemp("links")) as served:
        yield served


def link(live: LiveProxy, who: str, skill: str) -> str:
    auth = {"Authorization": f"Bearer {live.tokens[who]}"}
    answer = httpx.post(f"{live.url}/api/skills/{skill}/link", headers=auth)
    assert answer.status_code == 200, answer.text
    url: str = answer.json()["url"]
    assert httpx.get(url).status_code == 200
    return url


def test_a_link_stops_working_when_its_person_loses_a_group_at_a_later_sign_in(live: LiveProxy) -> None:
    url = link(live, "engineer", "decision-record")
    later = State(live.state.path)
    later.clock = lambda: live.state.clock() + 2  # a sign-in after the link was made
    later.record_sign_in("eve@acme.example", [])  # the IdP no longer puts Eve in engineering
    later.close()
    refused = httpx.get(url)
    assert refused.status_code == 403 and "invalid, expired or not yours" in refused.json()["error"]


def test_a_link_stops_working_when_the_policy_no_longer_lets_its_person_read(live: LiveProxy) -> None:
    url = link(live, "sre", "incident-postmortem")
    policy = live.repo / ".skillport/access.yaml"
    policy.write_text(
        policy.read_text().replace(
            'read: ["group:sre", "group:engineering-managers"]', 'read: ["group:engineering-managers"]'
        )
    )
    live.republish()
    assert httpx.get(url).status_code == 403


def test_a_link_is_refused_from_the_second_after_its_expiry() -> None:
    clock = [1_000_000.0]
    signer = LinkSigner(b"secret", now=lambda: clock[0])
    query = made(signer)
    clock[0] += 300
    assert signer.check(PATH, SHA, query) is not None
    clock[0] += 1
    assert signer.check(PATH, SHA, query) is None


def test_a_link_opens_only_the_bytes_and_groups_it_was_made_for() -> None:
    signer = LinkSigner(b"secret")
    path, _ = signer.make(PATH, SHA, "ann@acme.example", 300, groups=("sre",))
    query = dict(parse_qsl(urlsplit(path).query))
    assert signer.check(PATH, SHA, query) is not None
    assert signer.check(PATH, "cd" * 32, query) is None  # the catalog now names other bytes
    assert signer.check(PATH, SHA, {**query, "g": "sre,engineering"}) is None  # groups added to the URL
    assert signer.check(PATH, SHA, {**query, "g": ""}) is None
