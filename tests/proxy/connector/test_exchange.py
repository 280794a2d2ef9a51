"""A handshake-era `POST /mcp` answered in its own task (`Exchange`) gets the answer the SDK's
transport gives. The template marketplace is served on 127.0.0.1; each request is sent twice, once
as is (the exchange answers it) and once with an `Mcp-Session-Id` header, which the stateless SDK
ignores and which sends the request past the exchange to the SDK, and the two answers are compared.
What the exchange must leave to the SDK (the handshake, notifications, batches, refusals, the newer
protocol era) is checked to reach it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from proxy.live_server import LiveProxy, live_proxy

from skillport_build.proxy.connector.exchange import Exchange

VERSION = "2025-11-25"
PAST_IT = {"Mcp-Session-Id": "past-the-exchange"}
REQUESTS = [
    ("tools/call", {"name": "search_skills", "arguments": {"query": "incident"}}),
    ("tools/call", {"name": "search_skills", "arguments": {}}),
    ("tools/call", {"name": "get_skill", "arguments": {"name": "incident-postmortem"}}),
    ("tools/call", {"name": "get_skill", "arguments": {"name": "no-such-skill"}}),
    ("tools/call", {"name": "search_skills", "arguments": {"limit": 500}}),
    ("tools/call", {"name": "no_such_tool", "arguments": {}}),
    ("tools/list", {}),
    ("skills/list", {}),
    ("resources/read", {"uri": "skill://no-such-skill/SKILL.md"}),
    ("resources/templates/list", {}),
    ("ping", {}),
    ("no/such-method", {}),
]


@pytest.fixture(scope="module")
def live(state_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveProxy]:
    with live_proxy(tmp_path_factory.mktemp("exchange")) as served:
        yield served


@pytest.fixture
def answered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The methods the exchange answered itself."""
    methods: list[str] = []
    answer = Exchange._answer

    async def counted(self: Exchange, request: Any, message: Any, version: str) -> Any:
        methods.append(message.method)
        return await answer(self, request, message, version)

    monkeypatch.setattr(Exchange, "_answer", counted)
    return methods


def post(live: LiveProxy, who: str, body: Any, **headers: str | None) -> httpx.Response:
    """POST `body` with the headers a client sends, changed by `headers` (None leaves one out)."""
    sent = {
        "Accept": "application/json, text/event-stream",
        "Content-Type": "application/json",
        "MCP-Protocol-Version": VERSION,
        "Authorization": f"Bearer {live.tokens[who]}",
        **headers,
    }
    sent = {name: value for name, value in sent.items() if value is not None}
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(f"{live.url}/mcp", content=content, headers=sent)


def _call(method: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 7, "method": method, "params": params}


@pytest.mark.parametrize(
    ("method", "params"), REQUESTS, ids=[f"{m}-{i}" for i, (m, _) in enumerate(REQUESTS)]
)
@pytest.mark.parametrize("who", ["anyone", "sre"])
def test_the_exchange_answers_as_the_sdk_does(
    live: LiveProxy, answered: list[str], who: str, method: str, params: dict[str, Any]
) -> None:
    ours = post(live, who, _call(method, params))
    assert answered == [method]
    theirs = post(live, who, _call(method, params), **PAST_IT)
    assert answered == [method], "the session header did not send the request past the exchange"
    assert (ours.status_code, ours.headers["content-type"]) == (
        theirs.status_code,
        theirs.headers["content-type"],
    )
    assert ours.json() == theirs.json()
    assert ours.json()["id"] == 7


def test_the_version_header_may_be_absent(live: LiveProxy, answered: list[str]) -> None:
    body = _call("tools/call", {"name": "search_skills", "arguments": {"query": "review"}})
    ours = post(live, "anyone", body, **{"MCP-Protocol-Version": None})
    theirs = post(live, "anyone", body, **{"MCP-Protocol-Version": None}, **PAST_IT)
    assert answered == ["tools/call"] and ours.status_code == 200
    assert ours.json() == theirs.json()


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (
            _call(
                "initialize",
                {"protocolVersion": VERSION, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
            ),
            {},
            200,
        ),
        ({"jsonrpc": "2.0", "method": "notifications/initialized"}, {}, 202),
        ([_call("ping", {})], {}, 400),
        (b"{not json", {}, 400),
        ({"jsonrpc": "2.0", "id": 1, "result": {}}, {}, 202),
        (_call("ping", {}), {"Accept": "text/html"}, 406),
        (_call("ping", {}), {"Content-Type": "text/plain"}, 400),
    ],
    ids=["initialize", "notification", "batch", "not-json", "response", "accept", "content-type"],
)
def test_what_the_exchange_leaves_to_the_sdk(
    live: LiveProxy, answered: list[str], body: Any, headers: dict[str, str], status: int
) -> None:
    got = post(live, "anyone", body, **headers)
    assert answered == []
    assert got.status_code == status, got.text
    again = post(live, "anyone", body, **headers, **PAST_IT)
    assert (again.status_code, again.content) == (got.status_code, got.content)


def test_a_bearer_check_still_comes_first(live: LiveProxy, answered: list[str]) -> None:
    body = _call("tools/call", {"name": "search_skills", "arguments": {}})
    refused = httpx.post(
        f"{live.url}/mcp",
        json=body,
        headers={
            "Accept": "application/json",
            "MCP-Protocol-Version": VERSION,
            "Authorization": "Bearer nope",
        },
    )
    assert refused.status_code == 401 and answered == []


def test_a_body_over_the_limit_is_refused_before_the_exchange(live: LiveProxy, answered: list[str]) -> None:
    arguments = {"query": "x" * (2 * 1024 * 1024)}
    got = post(live, "anyone", _call("tools/call", {"name": "search_skills", "arguments": arguments}))
    assert got.status_code == 413 and answered == []
