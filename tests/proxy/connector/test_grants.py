"""The OAuth state's own contract (unit, over a real SQLite file): a token past its expiry is refused
by Grants itself, not only by the SDK's later check; a grant ends at its absolute lifetime however
often it is refreshed, and `signin_ttl` after the person's last sign-in, which re-derives its
groups; a code is redeemed once even when two threads race for it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from proxy.served import state_db

from skillport_build.proxy.connector.grants import Grants, Issued
from skillport_build.proxy.state import State

DAY = 86_400.0
RESOURCE = "https://skills.acme.example/mcp"


class Clock:
    """Time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def state(tmp_path: Path) -> Iterator[State]:
    opened = State(state_db(tmp_path))
    yield opened
    opened.close()


def grants(state: State, clock: Clock) -> Grants:
    return Grants(state, clock, grant_ttl=30 * DAY, signin_ttl=7 * DAY)


def connect(grants: Grants, groups: tuple[str, ...] = ("sre",)) -> Issued:
    issued = grants.issue("c", "sam@acme.example", groups, ("skills:read",), RESOURCE, 3600, 7 * DAY)
    assert issued is not None
    return issued


def refresh(grants: Grants, issued: Issued) -> Issued | None:
    assert grants.use_refresh(issued.refresh)
    g = issued.grant
    return grants.issue(g.client_id, g.user, (), g.scopes, g.resource, 3600, 7 * DAY, grant_id=g.grant_id)


def test_an_expired_access_or_refresh_token_is_refused_by_grants_itself(state: State) -> None:
    clock = Clock()
    oauth = grants(state, clock)
    issued = connect(oauth)
    assert oauth.token(issued.access, "access") is not None
    clock.now += 3601
    assert oauth.token(issued.access, "access") is None
    assert oauth.token(issued.refresh, "refresh") is not None
    clock.now += 7 * DAY
    assert oauth.token(issued.refresh, "refresh") is None


def test_refreshing_every_day_never_outlives_the_last_sign_in(state: State) -> None:
    clock = Clock()
    oauth = grants(state, clock)
    issued: Issued | None = connect(oauth)
    days = 0
    while issued is not None and days < 60:
        clock.now += DAY
        days += 1
        issued = refresh(oauth, issued)
    assert days == 7  # refreshed daily, yet ended a week after the sign-in


def test_each_sign_in_re_derives_the_groups_but_the_grant_ends_after_its_lifetime(state: State) -> None:
    clock = Clock()
    oauth = grants(state, clock)
    issued: Issued | None = connect(oauth, ("sre",))
    days = 0
    while issued is not None and days < 60:
        clock.now += DAY
        days += 1
        oauth.signed_in("sam@acme.example", ("engineering",))  # the person signs in every day
        issued = refresh(oauth, issued)
        if issued is not None:
            assert oauth.token(issued.access, "access").groups == ("engineering",)  # type: ignore[union-attr]
            assert issued.grant.groups == ("engineering",)
    assert days == 30  # the absolute lifetime: then the person consents again


def test_a_sign_in_does_not_revive_an_ended_grant(state: State) -> None:
    clock = Clock()
    oauth = grants(state, clock)
    issued = connect(oauth)
    clock.now += 8 * DAY
    assert oauth.signed_in("sam@acme.example", ("sre",)) == 0
    assert oauth.token(issued.refresh, "refresh") is None and oauth.connected("sam@acme.example") == []


def test_a_token_never_outlives_its_grant(state: State) -> None:
    clock = Clock()
    oauth = Grants(state, clock, grant_ttl=600, signin_ttl=7 * DAY)
    issued = connect(oauth)
    assert issued.grant.expires == clock.now + 600
    stored = oauth.token(issued.refresh, "refresh")
    assert stored is not None and stored.expires == clock.now + 600


def test_a_code_is_redeemed_once_when_two_threads_race(state: State) -> None:
    oauth = Grants(state)
    for _ in range(20):
        code = oauth.put_code("c", "sam@acme.example", ("sre",), {"scopes": ["skills:read"]}, 300)
        start, won = threading.Barrier(2), []

        def redeem(code: str = code, start: threading.Barrier = start, won: list[object] = won) -> None:
            start.wait()
            if oauth.take_code(code) is not None:
                won.append(code)

        threads = [threading.Thread(target=redeem) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(won) == 1


def test_an_expired_code_is_not_redeemed(state: State) -> None:
    clock = Clock()
    oauth = grants(state, clock)
    code = oauth.put_code("c", "sam@acme.example", (), {}, 300)
    clock.now += 301
    assert oauth.take_code(code) is None


def test_a_refresh_token_used_twice_ends_the_whole_grant(state: State) -> None:
    oauth = grants(state, Clock())
    issued = connect(oauth)
    renewed = refresh(oauth, issued)
    assert renewed is not None and oauth.token(renewed.access, "access") is not None
    assert not oauth.use_refresh(issued.refresh)  # a second rotation of the same token loses
    assert oauth.token(issued.refresh, "refresh") is None  # a thief replays the used one...
    assert oauth.token(renewed.access, "access") is None  # ...and the grant ends for both
    assert oauth.token(renewed.refresh, "refresh") is None


def test_a_parked_authorization_request_ends_at_its_expiry(state: State) -> None:
    clock = Clock()
    oauth = grants(state, clock)
    request_id = oauth.put_request("c", {"scopes": ["skills:read"]}, 600)
    assert oauth.request(request_id) == ("c", {"scopes": ["skills:read"]})
    clock.now += 601
    assert oauth.request(request_id) is None
