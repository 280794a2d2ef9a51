"""`skillport publish --notify`: one signed POST per proxy; a refusal says why."""

from __future__ import annotations

import httpx
import pytest

from skillport_build.errors import ClientError
from skillport_build.release.notify import notify_proxy
from skillport_build.trust.notice import HEADER, verify_notice

SECRET = b"the-notify-secret"


def proxy(status: int = 202, seen: list[httpx.Request] | None = None) -> httpx.Client:
    def answer(request: httpx.Request) -> httpx.Response:
        (seen if seen is not None else []).append(request)
        if status != 202:
            return httpx.Response(status, json={"error": "the notice's signature does not match"})
        return httpx.Response(202, json={"catalog_version": 7})

    return httpx.Client(transport=httpx.MockTransport(answer))


def test_the_notice_is_signed_and_posted_to_the_notify_route() -> None:
    seen: list[httpx.Request] = []
    served = notify_proxy(
        "https://skills.acme.example/", SECRET, 7, proxy(seen=seen), clock=lambda: 1_900_000_000
    )
    assert served == 7
    [request] = seen
    assert str(request.url) == "https://skills.acme.example/api/notify"
    assert request.content == b'{"catalog_version": 7}'
    assert verify_notice(SECRET, request.content, request.headers[HEADER], 1_900_000_000, 60)


def test_a_refused_notice_says_what_the_proxy_answered() -> None:
    with pytest.raises(
        ClientError, match=r"api/notify: the proxy refused the notice \(401: the notice's signature"
    ):
        notify_proxy("https://skills.acme.example/api/notify", SECRET, 7, proxy(401))
