"""Connections that would hold the proxy's sockets for ever, against `skillport serve` for real on
127.0.0.1: a client that sends no headers, or half a request line, or headers without end, is cut off;
a person holds at most `mcp_streams` `GET /mcp` event streams, and an idle one ends."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest
from integration.registry import free_port
from proxy.served import PEOPLE, publish_template, state_db
from proxy.test_load import serving

from skillport_build.proxy.state import State

HEADER_TIMEOUT = 1.0
STREAMS = 2
IDLE = 3.0


@dataclass(frozen=True)
class Held:
    """The served proxy and a personal token of someone allowed on /mcp."""

    host: str
    port: int
    token: str

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


@pytest.fixture(scope="module")
def held(state_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Held]:
    tmp = tmp_path_factory.mktemp("held")
    store, public, _ = publish_template(tmp)
    state = State(state_db(tmp))
    email, groups = next(iter(PEOPLE.values()))
    token = state.create_token(email, groups, "streams")[0]
    state.close()
    port = free_port()
    settings = {
        "store": str(store.root),
        "keys": [str(public)],
        "db": state_db(tmp),
        "cache_dir": str(tmp / "sites"),
        "dev": True,
        "port": port,
        "header_timeout": HEADER_TIMEOUT,
        "max_header_bytes": 4096,
        "mcp_streams": STREAMS,
        "mcp_stream_idle": IDLE,
    }
    with serving(tmp, settings, f"http://127.0.0.1:{port}"):
        yield Held("127.0.0.1", port, token)


def closed_after(held: Held, sent: bytes, *, trickle: bool = False) -> float:
    """Send `sent` (a byte every 0.1 s when trickling), then wait: seconds until the server hangs up."""
    with socket.create_connection((held.host, held.port), timeout=10) as sock:
        start = time.monotonic()
        for i in range(len(sent)) if trickle else [0]:
            try:
                sock.sendall(sent[i : i + 1] if trickle else sent)
            except (BrokenPipeError, ConnectionResetError):
                return time.monotonic() - start
            if trickle:
                time.sleep(0.1)
        try:
            while sock.recv(4096):
                pass
        except ConnectionResetError:
            pass
        except TimeoutError:
            pytest.fail(f"the server still held the connection 10 s after {sent[:40]!r}")
        return time.monotonic() - start


@pytest.mark.parametrize("sent", [b"", b"GET /heal"], ids=["nothing", "half-a-request-line"])
def test_a_client_that_sends_no_whole_headers_is_cut_off_after_the_header_timeout(
    held: Held, sent: bytes
) -> None:
    assert HEADER_TIMEOUT * 0.8 < closed_after(held, sent) < HEADER_TIMEOUT + 3


def test_headers_sent_a_byte_at_a_time_are_cut_off_at_the_deadline(held: Held) -> None:
    slow = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100 + b"\r\n\r\n"
    assert closed_after(held, slow, trickle=True) < HEADER_TIMEOUT + 3


def test_headers_over_max_header_bytes_are_cut_off_at_once(held: Held) -> None:
    huge = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 8192
    assert closed_after(held, huge) < HEADER_TIMEOUT * 0.8


def read_response(sock: socket.socket) -> bytes:
    """One whole response with a content-length, from a raw socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    while len(body) < length:
        body += sock.recv(4096)
    return data


def test_a_keep_alive_connection_gets_a_new_deadline_for_each_request(held: Held) -> None:
    with socket.create_connection((held.host, held.port), timeout=10) as sock:
        request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        sock.sendall(request)
        assert read_response(sock).startswith(b"HTTP/1.1 200")
        time.sleep(HEADER_TIMEOUT / 2)
        sock.sendall(request[:9])
        start = time.monotonic()
        assert sock.recv(4096) == b"", "a half request after a response was answered"
        assert time.monotonic() - start < HEADER_TIMEOUT + 3


def open_stream(held: Held, stack: ExitStack) -> httpx.Response:
    """A `GET /mcp` event stream, its headers read, held open until `stack` closes."""
    client = stack.enter_context(httpx.Client(timeout=10, trust_env=False))
    headers = {
        "Authorization": f"Bearer {held.token}",
        "Accept": "text/event-stream",
        "MCP-Protocol-Version": "2025-11-25",
    }
    return stack.enter_context(client.stream("GET", f"{held.url}/mcp", headers=headers))


def test_a_person_holds_at_most_mcp_streams_event_streams(held: Held) -> None:
    with ExitStack() as stack:
        streams = [open_stream(held, stack) for _ in range(STREAMS)]
        assert [s.status_code for s in streams] == [200] * STREAMS
        assert streams[0].headers["content-type"].startswith("text/event-stream")
        refused = open_stream(held, stack)
        assert refused.status_code == 429, refused.status_code
        assert "event streams are open" in refused.read().decode()
    deadline = time.monotonic() + 5  # closed streams are counted off once the server sees them go
    while True:
        with ExitStack() as stack:
            if open_stream(held, stack).status_code == 200:
                break
        assert time.monotonic() < deadline, "closing the streams did not free their places"
        time.sleep(0.2)


def test_an_idle_event_stream_ends_after_mcp_stream_idle(held: Held) -> None:
    with ExitStack() as stack:
        stream = open_stream(held, stack)
        assert stream.status_code == 200
        start = time.monotonic()
        body = b"".join(stream.iter_bytes())  # a read timeout (10 s) if it never ends
        elapsed = time.monotonic() - start
    assert IDLE * 0.8 < elapsed < IDLE + 4, elapsed
    assert not body.strip(b"\r\n").replace(b": ping", b""), body
