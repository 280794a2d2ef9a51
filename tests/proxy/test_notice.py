"""`POST /api/notify` in process: hidden without `notify_secret`; a signed notice makes the proxy
serve the new catalog before it answers; a replay, a forgery or a stale notice is refused."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from proxy.live_server import live_proxy
from proxy.served import config, publish_template
from releasing import build_at
from starlette.testclient import TestClient

from skillport_build.cli import main
from skillport_build.proxy.app import create_app
from skillport_build.proxy.state import State
from skillport_build.stores import LocalStore, current_catalog
from skillport_build.trust.keys import load_public_keys
from skillport_build.trust.minisign import SecretKey
from skillport_build.trust.notice import HEADER, SECRET_ENV, sign_notice
from skillport_build.trust.sign import sign_dir

SECRET = "a-notify-secret-for-tests"


KEYS: dict[Path, SecretKey] = {}


def served(tmp_path: Path, **extra: object) -> Iterator[tuple[TestClient, State]]:
    store, public, KEYS[tmp_path] = publish_template(tmp_path)
    settings = config(tmp_path, store, public, **extra)
    state = State(settings.db)
    app = create_app(settings, store, load_public_keys(settings.keys), state, refresh=False)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield client, state
    state.close()


@pytest.fixture
def notified(tmp_path: Path) -> Iterator[tuple[TestClient, State]]:
    yield from served(tmp_path, notify_secret=SECRET, notify_window=60)


def signed(body: bytes, at: float | None = None, secret: str = SECRET) -> dict[str, str]:
    return {HEADER: sign_notice(secret.encode(), body, int(at if at is not None else time.time()))}


def test_without_a_notify_secret_there_is_no_route(tmp_path: Path) -> None:
    for client, _ in served(tmp_path):
        assert client.post("/api/notify", content=b"{}", headers=signed(b"{}")).status_code == 404


def test_a_signed_notice_serves_the_new_catalog_before_answering(
    notified: tuple[TestClient, State], tmp_path: Path
) -> None:
    client, state = notified
    assert client.get("/healthz").json() | {"checked_at": ""} == {
        "ok": True, "catalog_version": 1, "expires": client.get("/healthz").json()["expires"],
        "checked_at": "", "problem": None, "database": "ok",
    }  # fmt: skip
    publish_template(tmp_path, KEYS[tmp_path], tmp_path / "repo")  # unseen yet: no refresh thread here
    assert client.get("/healthz").json()["catalog_version"] == 1
    answer = client.post("/api/notify", content=b"{}", headers=signed(b"{}"))
    assert (answer.status_code, answer.json()) == (202, {"catalog_version": 2})
    assert client.get("/healthz").json()["catalog_version"] == 2
    assert state.audit_tail(1)[0] | {"at": ""} == {
        "at": "",
        "event": "catalog.notice",
        "actor": None,
        "catalog_version": 2,
    }


def test_a_replayed_forged_or_stale_notice_is_refused(notified: tuple[TestClient, State]) -> None:
    client, state = notified
    headers = signed(b"{}")
    assert client.post("/api/notify", content=b"{}", headers=headers).status_code == 202
    replay = client.post("/api/notify", content=b"{}", headers=headers)
    assert (replay.status_code, replay.json()["error"]) == (
        409,
        "this notice was taken already (a replay); sign a new one",
    )
    forged = client.post("/api/notify", content=b"{}", headers=signed(b"{}", secret="guess"))
    assert forged.status_code == 401 and "does not match" in forged.json()["error"]
    stale = client.post("/api/notify", content=b"{}", headers=signed(b"{}", at=time.time() - 61))
    assert stale.status_code == 401 and "outside the 60 s window" in stale.json()["error"]
    assert client.post("/api/notify", content=b"{}").status_code == 401
    assert [e["event"] for e in state.audit_tail(3)] == ["auth.refused"] * 3


def test_publish_notify_has_the_proxy_serve_the_catalog_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with live_proxy(tmp_path, notify_secret=SECRET) as live:
        out = tmp_path / "next"
        build_at(
            live.repo, out, previous=current_catalog(LocalStore(tmp_path / "store")), now=datetime.now(UTC)
        )
        sign_dir(out, live.key)
        argv = ["publish", str(out), "--store", str(tmp_path / "store"), "--notify", live.url]
        monkeypatch.delenv(SECRET_ENV, raising=False)
        assert (
            exit_code(argv) == 2
            and "--notify signs the notice with $SKILLPORT_NOTIFY_SECRET" in capsys.readouterr().err
        )
        monkeypatch.setenv(SECRET_ENV, SECRET)
        assert exit_code(argv) == 0
        assert f"✓ {live.url} notified; it serves catalog 2" in capsys.readouterr().out
        assert httpx.get(f"{live.url}/healthz").json()["catalog_version"] == 2  # no refresh thread here


def exit_code(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    return int(exited.value.code or 0)
