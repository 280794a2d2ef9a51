"""Links, tokens and bundles that must be refused; the catalog kept through store failures."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from proxy.served import Served, config, publish_template
from starlette.testclient import TestClient

from skillport_build.proxy.app import create_app
from skillport_build.proxy.links import LinkSigner
from skillport_build.proxy.state import State
from skillport_build.stores import LocalStore
from skillport_build.trust.keys import load_public_keys

BUNDLE = "bundles/release-notes/1.0.0/release-notes-1.0.0.zip"


def link_for(served: Served, who: str, skill: str = "release-notes") -> tuple[str, dict[str, str]]:
    url = served.post(who, f"/api/skills/{skill}/link").json()["url"]
    parts = urlsplit(url)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


def test_a_signed_link_downloads_without_other_credentials(served: Served) -> None:
    path, query = link_for(served, "anyone")
    response = served.client.get(f"{path}?{urlencode(query)}")
    assert response.status_code == 200
    assert response.content.startswith(b"PK")


@pytest.mark.parametrize(
    "tamper",
    [
        {"u": "sam@acme.example"},  # another user
        {"e": str(int(time.time()) + 86400)},  # a longer life
        {"s": "0" * 64},  # a forged signature
        {"s": ""},
    ],
)
def test_altered_links_are_refused(served: Served, tamper: dict[str, str]) -> None:
    path, query = link_for(served, "anyone")
    response = served.client.get(f"{path}?{urlencode(query | tamper)}")
    assert response.status_code == 403
    assert served.state.audit_tail(1)[0]["event"] == "download.refused"


def test_a_link_for_one_bundle_does_not_open_another(served: Served) -> None:
    _, query = link_for(served, "anyone")
    response = served.client.get(
        f"/bundles/bundles/csv-profiler/1.0.0/csv-profiler-1.0.0.zip?{urlencode(query)}"
    )
    assert response.status_code == 403


def test_expired_links_are_refused(served: Served) -> None:
    proxy = served.client.app.state.proxy  # type: ignore[attr-defined]
    signer: LinkSigner = proxy.signer
    bundle = proxy.indexed().refs[BUNDLE].bundle
    past = LinkSigner(b"", now=lambda: time.time() - 3600)
    past._key = signer._key  # same secret, made an hour ago
    path, _ = past.make(BUNDLE, bundle.sha256, "ann@acme.example", 300)
    assert served.client.get(path).status_code == 403


def test_another_persons_link_is_refused_when_presented_with_own_credentials(served: Served) -> None:
    path, query = link_for(served, "anyone")
    response = served.get("sre", f"{path}?{urlencode(query)}")
    assert response.status_code == 403


def test_tokens_in_the_query_string_are_refused(served: Served) -> None:
    for name in ("token", "access_token"):
        response = served.client.get(f"/api/skills?{name}={served.tokens['admin']}")
        assert response.status_code == 400
        assert "Authorization header" in response.json()["error"]


def test_revoked_and_unknown_tokens_are_refused(served: Served) -> None:
    token = served.tokens["sre"]
    assert served.get("sre", "/api/skills").status_code == 200
    token_id = token.split("_")[1]
    assert served.state.revoke_token(token_id, "test")
    response = served.get("sre", "/api/skills")
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]
    bogus = served.client.get("/api/skills", headers={"Authorization": "Bearer sp_000000000000_nope"})
    assert bogus.status_code == 401


def test_a_bad_token_is_never_treated_as_anonymous_even_with_a_session(served: Served) -> None:
    response = served.client.get("/bundles/" + BUNDLE, headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401


def test_security_headers_on_every_response(served: Served) -> None:
    for response in (
        served.get("anyone", "/api/skills"),
        served.client.get("/login"),
        served.client.get("/healthz"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["referrer-policy"] == "no-referrer"


def test_request_bodies_are_limited(served: Served) -> None:
    big = b'{"installed": [' + b" " * 2_000_000 + b"]}"
    response = served.post(
        "anyone", "/api/updates", content=big, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_rate_limit_per_token(published: tuple[Path, LocalStore, Path], tmp_path: Path) -> None:
    _, store, public = published
    settings = config(tmp_path, store, public, rate_limit=1, rate_burst=3)
    state = State(settings.db)
    token, _ = state.create_token("ann@acme.example")
    app = create_app(settings, store, load_public_keys(settings.keys), state, refresh=False)
    with TestClient(app) as client:
        codes = [
            client.get("/api/skills", headers={"Authorization": f"Bearer {token}"}).status_code
            for _ in range(5)
        ]
    assert codes[:3] == [200, 200, 200]
    assert codes[3] == 429
    state.close()


def test_a_tampered_bundle_is_refused_and_audited(tmp_path: Path) -> None:
    store, public, _ = publish_template(tmp_path)
    target = store.root / BUNDLE
    data = bytearray(target.read_bytes())
    data[100] ^= 0xFF
    target.unlink()  # published files are hard links: replace, never edit in place
    target.write_bytes(bytes(data))
    settings = config(tmp_path, store, public)
    state = State(settings.db)
    token, _ = state.create_token("ann@acme.example")
    app = create_app(settings, store, load_public_keys(settings.keys), state, refresh=False)
    with TestClient(app) as client:
        response = client.get("/bundles/" + BUNDLE, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 502
        assert "PK" not in response.text
    events = [e for e in state.audit_tail(50) if e["event"] in ("bundle.refused", "download.refused")]
    assert events and all("release-notes" in str(e) for e in events)
    state.close()


def test_store_failures_keep_the_last_verified_catalog(tmp_path: Path) -> None:
    store, public, _ = publish_template(tmp_path)
    settings = config(tmp_path, store, public)
    state = State(settings.db)
    token, _ = state.create_token("ann@acme.example")
    app = create_app(settings, store, load_public_keys(settings.keys), state, refresh=False)
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        proxy = app.state.proxy
        assert client.get("/bundles/" + BUNDLE, headers=auth).status_code == 200
        # The store vanishes.
        store.root.rename(tmp_path / "gone")
        proxy.refresh()
        health = client.get("/healthz")
        assert health.status_code == 200 and health.json()["problem"]
        assert client.get("/api/skills", headers=auth).status_code == 200
        assert client.get("/bundles/" + BUNDLE, headers=auth).status_code == 200  # verified copy in memory
        (tmp_path / "gone").rename(store.root)
        # The store serves a catalog that does not match its signature.
        pointer = store.root / "catalog.json"
        tampered = pointer.read_bytes().replace(b'"group:sre"', b'"*"')
        pointer.unlink()
        pointer.write_bytes(tampered)
        proxy.refresh()
        assert "signature" in client.get("/healthz").json()["problem"]
        incident = client.get("/api/skills/incident-postmortem", headers=auth)
        assert incident.status_code == 404  # the tampered policy never took effect
        assert client.get("/api/skills", headers=auth).json()["catalog_version"] == 1
    state.close()


def test_an_expired_catalog_is_not_served(published: tuple[Path, LocalStore, Path], tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    _, store, public = published
    settings = config(tmp_path, store, public)
    state = State(settings.db)
    token, _ = state.create_token("ann@acme.example")
    later = datetime.now(UTC) + timedelta(days=400)
    moments = iter([datetime.now(UTC)] * 3)
    app = create_app(
        settings,
        store,
        load_public_keys(settings.keys),
        state,
        clock=lambda: next(moments, later),
        refresh=False,
    )
    with TestClient(app) as client:
        client.get("/healthz")
        response = client.get("/api/skills", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 503
        assert "expired" in response.json()["error"]
        assert client.get("/healthz").status_code == 503
    state.close()


def test_whoami_names_the_token_holder(served: Served) -> None:
    me = served.get("sre", "/api/me").json()
    assert me == {"email": "sam@acme.example", "groups": ["sre"], "via": "token", "admin": False}
    assert served.get("admin", "/api/me").json()["admin"] is True
    assert served.client.get("/api/me").status_code == 401


def test_lists_report_the_total_before_the_limit(served: Served) -> None:
    page = served.get("admin", "/api/skills?limit=2").json()
    assert page["count"] == 2 and page["total"] == 6
    history = served.get("admin", "/api/skills/release-notes").json()["history"]
    assert history[0]["digest"] and history[0]["sha256"]


def test_deeply_nested_json_is_a_bad_request_not_a_crash(served: Served) -> None:
    body = '{"installed": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = served.post(
        "anyone", "/api/updates", content=body, headers={"Content-Type": "application/json"}
    )
    assert (response.status_code, response.json()["error"]) == (400, "the request body nests too deeply")
