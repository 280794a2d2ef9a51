"""The browser sign-in of the CLI, end to end: the real proxy, its dev sign-in form, the loopback
server, the code traded for a token."""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from proxy.live_server import LiveProxy, browser_sign_in, live_proxy

from skillport_build.client.api import Client
from skillport_build.client.login import Callback, browser_login, login_url, new_pkce
from skillport_build.errors import ClientError


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveProxy]:
    with live_proxy(tmp_path_factory.mktemp("live")) as proxy:
        yield proxy


def test_pkce_pair() -> None:
    pair = new_pkce()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", pair.challenge)
    digest = hashlib.sha256(pair.verifier.encode()).digest()
    assert pair.challenge == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert new_pkce() != pair


def test_login_url() -> None:
    url = login_url("https://s.example", 50123, "st", "ch")
    assert url == "https://s.example/cli/login?port=50123&state=st&challenge=ch"


def test_sign_in_through_the_browser(live: LiveProxy) -> None:
    shown: list[str] = []
    answers: list[httpx.Response] = []

    def browser(url: str) -> None:
        answers.append(browser_sign_in(url, "sam@acme.example", "sre"))

    with Client(live.url) as client:
        grant = browser_login(client, shown.append, browser, timeout=10)
    assert grant.user == "sam@acme.example" and grant.token.startswith("sp_")
    assert answers[0].status_code == 200 and "Signed in" in answers[0].text
    query = parse_qs(urlsplit(shown[0]).query)
    assert shown[0].startswith(f"{live.url}/cli/login?") and set(query) == {"port", "state", "challenge"}
    with Client(live.url, grant.token) as signed_in:
        assert "incident-postmortem" in {s.name for s in signed_in.search().skills}
    assert any(t.name.startswith("skillport CLI on ") for t in live.state.tokens("sam@acme.example"))


def test_sign_in_without_opening_a_browser(live: LiveProxy) -> None:
    """--no-browser: the person copies the URL; here a thread plays the person."""
    threads: list[threading.Thread] = []

    def person(url: str) -> None:
        threads.append(threading.Thread(target=browser_sign_in, args=(url, "eve@acme.example")))
        threads[0].start()

    with Client(live.url) as client:
        grant = browser_login(client, person, None, timeout=10)
    threads[0].join()
    assert grant.user == "eve@acme.example"


def test_the_loopback_server_takes_one_matching_answer() -> None:
    with Callback("s" * 20) as callback, httpx.Client() as browser:
        base = f"http://127.0.0.1:{callback.port}"
        assert browser.get(f"{base}/callback?code=c&state=wrong").status_code == 400
        assert browser.get(f"{base}/favicon.ico").status_code == 404
        assert browser.get(f"{base}/callback?state={'s' * 20}").status_code == 400
        assert browser.get(f"{base}/callback?code=c1&state={'s' * 20}").status_code == 200
        assert browser.get(f"{base}/callback?code=c2&state={'s' * 20}").status_code == 404
        assert callback.wait(1) == "c1"
    with pytest.raises(httpx.ConnectError), httpx.Client() as late:
        late.get(f"{base}/callback")


def test_no_answer_in_time() -> None:
    with Callback("s" * 20) as callback, pytest.raises(ClientError) as waited:
        callback.wait(0.3)
    assert str(waited.value) == "no sign-in arrived within 0.3 seconds; run `skillport login` again"


def test_a_forged_code_is_refused(live: LiveProxy) -> None:
    def forger(url: str) -> None:
        port = parse_qs(urlsplit(url).query)["port"][0]
        state = parse_qs(urlsplit(url).query)["state"][0]
        httpx.get(f"http://127.0.0.1:{port}/callback?code=forged&state={state}")

    with Client(live.url) as client, pytest.raises(ClientError, match="the sign-in code is invalid"):
        browser_login(client, lambda url: None, forger, timeout=10)
