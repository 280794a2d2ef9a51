"""Two `skillport serve` replicas on one PostgreSQL database and one store, behind nginx balancing
requests between them in turn, behave as one proxy: a sign-in and a token made on one work on the
other; a revocation on one is refused by both within TOKEN_CACHE_SECONDS (1 s); a person's rate
limit is one across both; an OAuth code issued by one is redeemed at the other; audit rows and
download counts land in one place; a signed publish notice reaches both within a second, and
without one each polls the store every refresh_interval; and 50 clients for 20 s see no error and
lose no audit row."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import sqlalchemy as sa
from integration.postgres import Postgres, running_postgres
from integration.replicas import NOTIFY_SECRET, Replicas, running_replicas
from proxy.served import publish_template

from skillport_build.proxy.config import ServeConfig
from skillport_build.proxy.db import schema
from skillport_build.proxy.state import TOKEN_CACHE_SECONDS, State
from skillport_build.trust.minisign import SecretKey
from skillport_build.trust.notice import HEADER, sign_notice

pytestmark = pytest.mark.integration
BUNDLE = "/bundles/bundles/release-notes/1.0.0/release-notes-1.0.0.zip"
CALLBACK = "http://127.0.0.1:33418/callback"
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
REFRESH_INTERVAL = 3.0


@dataclass
class Setup:
    """The replicas, their database, and what publishes to their store."""

    replicas: Replicas
    db: str
    work: Path
    key: SecretKey

    @property
    def a(self) -> str:
        return self.replicas.urls[0]

    @property
    def b(self) -> str:
        return self.replicas.urls[1]

    def republish(self) -> None:
        """Publish the template again: a new catalog version in the store."""
        publish_template(self.work, self.key, self.work / "repo")


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    with running_postgres() as server:
        yield server


FLUSHED = ServeConfig.model_fields["audit_flush_ms"].default / 1000 + 1.0  # written by then, even loaded


def serve_settings(work: Path, **extra: object) -> dict[str, object]:
    return {"store": str(work / "store"), "keys": [str(work / "trusted.pub")]} | extra


@pytest.fixture(scope="module")
def setup(postgres: Postgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    work = tmp_path_factory.mktemp("replicas")
    _, _, key = publish_template(work)
    db = postgres.database()
    settings = serve_settings(
        work, refresh_interval=REFRESH_INTERVAL, rate_limit=10_000, rate_burst=100_000, notify_window=60
    )
    with running_replicas(work / "run", db, settings) as replicas:
        yield Setup(replicas, db, work, key)


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found[1]


@contextmanager
def signed_in(base: str, email: str, groups: str = "") -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base) as browser:
        answer = browser.post(
            "/login/dev", data={"email": email, "groups": groups, "csrf": csrf(browser.get("/login").text)}
        )
        assert answer.status_code == 303, answer.text
        yield browser


def make_token(browser: httpx.Client) -> tuple[str, str]:
    """A personal token made on the tokens page: its secret and id."""
    made = browser.post(
        "/tokens", data={"csrf": csrf(browser.get("/tokens").text), "name": "laptop", "days": "7"}
    )
    found = re.search(r'<code class="secret">(sp_([0-9a-f]+)_[^<]+)</code>', made.text)
    assert found, made.text
    return found[1], found[2]


def me(base: str, token: str) -> int:
    return httpx.get(f"{base}/api/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_sign_in_and_a_token_made_on_one_replica_work_on_the_other(setup: Setup) -> None:
    with signed_in(setup.a, "ann@acme.example") as browser:
        token, _ = make_token(browser)
        with httpx.Client(base_url=setup.b, cookies=dict(browser.cookies)) as other:
            assert other.get("/api/me").json()["email"] == "ann@acme.example"  # the session, on B
    assert me(setup.b, token) == 200 and me(setup.a, token) == 200


def test_a_revocation_on_one_is_refused_by_every_replica_within_the_bound(setup: Setup) -> None:
    assert TOKEN_CACHE_SECONDS <= 1.0
    with signed_in(setup.a, "rita@acme.example") as browser:
        token, token_id = make_token(browser)
        assert me(setup.a, token) == 200 and me(setup.b, token) == 200  # both now remember it as good
        page = browser.get("/tokens").text
        assert browser.post(f"/tokens/{token_id}/revoke", data={"csrf": csrf(page)}).status_code in (200, 303)
    revoked = time.monotonic()
    assert me(setup.a, token) == 401  # where it was revoked: at once
    while me(setup.b, token) != 401:
        assert time.monotonic() - revoked < TOKEN_CACHE_SECONDS + 0.25, (
            "replica B still takes a revoked token"
        )
        time.sleep(0.02)
    assert me(setup.replicas.balancer, token) == 401 and me(setup.replicas.balancer, token) == 401


def test_a_persons_rate_limit_is_one_across_replicas(postgres: Postgres, tmp_path: Path) -> None:
    _, _, _ = publish_template(tmp_path)
    db = postgres.database()
    with running_replicas(
        tmp_path / "run", db, serve_settings(tmp_path, rate_limit=0.05, rate_burst=6)
    ) as strict:
        state = State(db)
        token, _ = state.create_token("sam@acme.example", (), "rate")
        state.close()
        answers = [
            httpx.get(f"{strict.balancer}/api/me", headers={"Authorization": f"Bearer {token}"})
            for _ in range(12)
        ]
    assert [a.status_code for a in answers] == [200] * 6 + [429] * 6  # one bucket of 6, not one per replica
    assert len({a.headers["x-upstream"] for a in answers}) == 2  # both replicas answered
    assert all(int(a.headers["retry-after"]) >= 1 for a in answers[6:])


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def test_an_oauth_code_issued_by_one_is_redeemed_at_the_other(setup: Setup) -> None:
    resource = f"{setup.replicas.balancer}/mcp"
    client = {"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none", "client_name": "replicas"}
    client_id = httpx.post(f"{setup.a}/register", json=client).json()["client_id"]
    verifier, challenge = pkce()
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": CALLBACK, "state": "st",
             "code_challenge": challenge, "code_challenge_method": "S256", "resource": resource}  # fmt: skip
    start = httpx.get(f"{setup.a}/authorize", params=query)
    assert start.status_code == 302, start.text
    with signed_in(setup.b, "sam@acme.example", "sre") as browser:  # consent on B
        page = browser.get(start.headers["location"])
        request_id = parse_qs(urlsplit(start.headers["location"]).query)["request"][0]
        back = browser.post(
            "/oauth/consent", data={"csrf": csrf(page.text), "request": request_id, "decision": "allow"}
        )
    code = parse_qs(urlsplit(back.headers["location"]).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "client_id": client_id,
            "code_verifier": verifier, "resource": resource}  # fmt: skip
    tokens = httpx.post(f"{setup.a}/token", data=form)  # redeemed on A
    assert tokens.status_code == 200, tokens.text
    assert httpx.post(f"{setup.b}/token", data=form).status_code == 400  # and once only, on B too
    listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    auth = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
    assert httpx.post(f"{setup.b}/mcp", json=listing, headers=MCP_HEADERS | auth).status_code == 200


def test_audit_and_download_counts_land_in_one_place(setup: Setup) -> None:
    state = State(setup.db)
    token, _ = state.create_token("dan@acme.example", (), "downloads")
    before = state.download_counts().get(("release-notes", "1.0.0"), 0)
    for base in (setup.a, setup.b, setup.a):
        answer = httpx.get(f"{base}{BUNDLE}", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200
    written = time.monotonic()  # each replica writes its rows within audit_flush_ms
    while state.download_counts().get(("release-notes", "1.0.0"), 0) < before + 3:
        assert time.monotonic() - written < FLUSHED, "a download count was not written in time"
        time.sleep(0.02)
    assert state.download_counts()[("release-notes", "1.0.0")] == before + 3
    events = state.rows(sa.select(schema.audit.c.event).where(schema.audit.c.actor == "dan@acme.example"))
    assert Counter(e for (e,) in events)["download"] == 3
    state.close()


def health(base: str) -> int:
    return int(httpx.get(f"{base}/healthz").json()["catalog_version"])


def notice(body: bytes, at: int | None = None, secret: str = NOTIFY_SECRET) -> dict[str, str]:
    return {HEADER: sign_notice(secret.encode(), body, at if at is not None else int(time.time()))}


def test_a_signed_notice_reaches_every_replica_within_a_second(setup: Setup) -> None:
    served = health(setup.a)
    assert health(setup.b) == served
    setup.republish()
    body = json.dumps({"catalog_version": served + 1}).encode()
    headers = notice(body)
    sent = time.monotonic()
    answer = httpx.post(f"{setup.replicas.balancer}/api/notify", content=body, headers=headers)
    assert answer.status_code == 202 and answer.json() == {"catalog_version": served + 1}
    while {health(setup.a), health(setup.b)} != {served + 1}:
        assert time.monotonic() - sent < 1.0, "a replica did not hear of the new catalog within a second"
        time.sleep(0.02)
    for base in setup.replicas.urls:  # a replay is refused by whichever replica it reaches
        assert httpx.post(f"{base}/api/notify", content=body, headers=headers).status_code == 409


def test_a_bad_or_stale_notice_is_refused(setup: Setup) -> None:
    body = b"{}"
    wrong = httpx.post(f"{setup.a}/api/notify", content=body, headers=notice(body, secret="not-the-secret"))
    assert wrong.status_code == 401 and "signature does not match" in wrong.json()["error"]
    stale = httpx.post(
        f"{setup.a}/api/notify", content=body, headers=notice(body, at=int(time.time()) - 3600)
    )
    assert stale.status_code == 401 and "outside the 60 s window" in stale.json()["error"]
    assert httpx.post(f"{setup.a}/api/notify", content=body).status_code == 401


def test_without_a_notice_each_replica_polls_within_refresh_interval(setup: Setup) -> None:
    served = health(setup.a)
    setup.republish()
    published = time.monotonic()
    while {health(setup.a), health(setup.b)} != {served + 1}:
        assert time.monotonic() - published < REFRESH_INTERVAL + 1.0, "a replica missed its poll"
        time.sleep(0.1)


def test_fifty_clients_for_twenty_seconds_see_no_error_and_lose_no_audit_row(setup: Setup) -> None:
    state = State(setup.db)
    people = [f"load{n}@acme.example" for n in range(50)]
    tokens = [state.create_token(person, (), "load")[0] for person in people]
    answered: Counter[int | str] = Counter()
    listed: Counter[str] = Counter()
    lock, stop = threading.Lock(), time.monotonic() + 20

    def client(person: str, token: str) -> None:
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=setup.replicas.balancer, headers=auth, timeout=60) as http:
            while time.monotonic() < stop:
                try:
                    status: int | str = http.get("/api/skills").status_code
                except httpx.HTTPError as exc:  # counted, so the assertion below names it
                    status = type(exc).__name__
                with lock:
                    answered[status] += 1
                    listed[person] += status == 200

    threads = [threading.Thread(target=client, args=pair) for pair in zip(people, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(answered) == {200} and answered[200] > 100, answered
    audit = schema.audit.c
    counted = (
        sa.select(audit.actor, sa.func.count())
        .where(audit.event == "list", audit.actor.in_(people))
        .group_by(audit.actor)
    )
    time.sleep(FLUSHED)  # the replicas write what they queued within audit_flush_ms
    assert dict(state.rows(counted)) == dict(listed)  # every answered request has its audit row, once
    state.close()


def children(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task")
    found = [int(c) for task in tasks.iterdir() for c in (task / "children").read_text().split()]
    return sorted(found)


def test_workers_on_one_host_share_the_database_and_the_rate(tmp_path: Path) -> None:
    """`workers: 2` on a SQLite file: two processes answer, one rate allowance between them."""
    publish_template(tmp_path)
    db = str(tmp_path / "state.db")
    settings = serve_settings(tmp_path, workers=2, rate_limit=0.05, rate_burst=20)
    with running_replicas(tmp_path / "run", db, settings, count=1) as one:
        workers = children(one.pids[0])
        state = State(db)
        token, _ = state.create_token("wes@acme.example", (), "workers")
        state.close()
        auth = {"Authorization": f"Bearer {token}"}

        async def ask() -> list[int]:
            async with httpx.AsyncClient(
                headers=auth, timeout=60
            ) as http:  # a connection each: both workers take some
                return [(await http.get(f"{one.urls[0]}/api/me")).status_code for _ in range(5)]

        async def everyone() -> list[
            int
        ]:  # tasks, not threads: coverage's tracer races a burst of thread starts
            return [
                status for answered in await asyncio.gather(*(ask() for _ in range(8))) for status in answered
            ]

        answers = asyncio.run(everyone())
    assert len(workers) >= 2, workers  # uvicorn's two worker processes (spawned)
    assert sorted(answers) == [200] * 20 + [429] * 20  # one allowance of 20 across both workers
