"""A compromised proxy against the CLI: the real proxy on 127.0.0.1 behind a transport that rewrites
its answers the way an attacker holding the proxy would. The CLI trusts the CI's key, not the proxy."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from client.proofs import signed_proof
from factory import TEMPLATE
from proxy.live_server import LiveProxy, live_proxy
from releasing import change, signed_build

from skillport_build.client.api import Client
from skillport_build.client.install import check_updates, install_skill
from skillport_build.client.sync import sync
from skillport_build.client.trust import Pin, Verifier, load_pins, save_pin, verifier_for
from skillport_build.errors import ClientError
from skillport_build.models.catalog import Catalog
from skillport_build.release.bundle import Entry, zip_bytes
from skillport_build.release.lifecycle import yank

EVIL = zip_bytes([Entry("release-notes/SKILL.md", b"---\nname: release-notes\n---\nexfiltrate")], 0)
EVIL_SHA = hashlib.sha256(EVIL).hexdigest()


class Rewrite(httpx.BaseTransport):
    """Real HTTP to the proxy, with `change(path, json)` applied to every JSON answer and every
    bundle replaced by EVIL when `swap_bytes` is set."""

    def __init__(self, change: Callable[[str, dict], dict], swap_bytes: bool = False) -> None:
        self.inner, self.change, self.swap_bytes = httpx.HTTPTransport(), change, swap_bytes

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        body = response.read()
        response.close()
        if request.url.path.startswith("/bundles/") and self.swap_bytes:
            body = EVIL
        elif response.headers.get("content-type", "").startswith("application/json"):
            body = json.dumps(self.change(request.url.path, json.loads(body))).encode()
        # the body is re-encoded here: the upstream length and encoding no longer describe it
        headers = {
            k: v
            for k, v in response.headers.items()
            if k.lower() not in {"content-length", "content-encoding"}
        }
        return httpx.Response(response.status_code, headers=headers, content=body)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def connect() -> Iterator[Callable[..., Client]]:
    """Clients of a live proxy as `anyone`, through a Rewrite when given one; closed after the test."""
    opened: list[Client | httpx.Client] = []

    def make(live: LiveProxy, rewrite: Rewrite | None = None) -> Client:
        http = httpx.Client(transport=rewrite) if rewrite else None
        client = Client(live.url, live.tokens["anyone"], http)
        opened.extend([client] if http is None else [client, http])
        return client

    yield make
    for opened_one in opened:
        opened_one.close()


def _verifier(live: LiveProxy, tmp_path: Path) -> Verifier:
    """What `skillport login URL --key FILE` pins (in the config folder `tmp_path`)."""
    environ = {"SKILLPORT_CONFIG_DIR": str(tmp_path)}
    save_pin(live.url, Pin(keys=[live.key.public().to_text()]), environ)
    return Verifier(live.url, Pin(keys=[live.key.public().to_text()]), environ)


def test_a_proxy_that_swaps_bundle_and_sha256_installs_nothing(
    tmp_path: Path, connect: Callable[..., Client]
) -> None:
    def swap(path: str, answer: dict) -> dict:
        if path.startswith("/api/skills/release-notes"):
            answer["sha256"], answer["size"] = EVIL_SHA, len(EVIL)
        return answer

    with live_proxy(tmp_path / "proxy") as live:
        client = connect(live, Rewrite(swap, True))
        with pytest.raises(ClientError) as refused:
            install_skill(client, _verifier(live, tmp_path), "release-notes", None, tmp_path / "skills")
        assert f"offered release-notes 1.0.0 with sha256 {EVIL_SHA}, which the signed record" in str(
            refused.value
        )

        def forge(path: str, answer: dict) -> dict:  # the proof's record too: the signature breaks
            answer = swap(path, answer)
            if "proof" in answer:
                answer["proof"]["record"]["bundle"]["sha256"] = EVIL_SHA
            return answer

        client = connect(live, Rewrite(forge, True))
        with pytest.raises(ClientError, match=r"the signed record of skill release-notes 1.0.0 was changed"):
            install_skill(client, _verifier(live, tmp_path), "release-notes", None, tmp_path / "skills")
    assert not (tmp_path / "skills").exists()


def test_a_proxy_without_proofs_or_with_another_skills_proof_installs_nothing(
    tmp_path: Path, connect: Callable[..., Client]
) -> None:
    with live_proxy(tmp_path / "proxy") as live:
        other = connect(live).skill("csv-profiler").proof
        for name, proof in (("none", None), ("another skill's", other.dump() if other else None)):
            client = connect(live, Rewrite(lambda _, a, p=proof: {**a, "proof": p} if "proof" in a else a))
            with pytest.raises(ClientError, match=r"no signed record|with the signed record of skill csv"):
                install_skill(client, _verifier(live, tmp_path), "release-notes", None, tmp_path / "skills")
            assert not (tmp_path / "skills").exists(), name


def test_a_proxy_replaying_an_older_catalog_cannot_roll_back(
    tmp_path: Path, connect: Callable[..., Client]
) -> None:
    with live_proxy(tmp_path / "proxy") as live:
        plain = connect(live)
        old_answer = plain.skill("release-notes").dump()
        change(live.repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
        live.republish()
        verifier = _verifier(live, tmp_path)
        skills = tmp_path / "skills"
        assert install_skill(plain, verifier, "release-notes", None, skills).version == "1.0.1"
        assert verifier.pin.catalog_version == 2

        def replay(path: str, answer: dict) -> dict:
            return old_answer if path == "/api/skills/release-notes" else answer

        client = connect(live, Rewrite(replay))
        again = verifier_for(client, pytest.fail, {"SKILLPORT_CONFIG_DIR": str(tmp_path)})  # as pinned
        with pytest.raises(
            ClientError, match=r"rollback refused: skill release-notes 1.0.0 comes from catalog 1"
        ):
            install_skill(client, again, "release-notes", None, skills)
        assert "1.0.1" in (skills / "release-notes/.skillport.json").read_text()


def test_keys_are_pinned_on_first_use_and_kept(tmp_path: Path, connect: Callable[..., Client]) -> None:
    environ = {"SKILLPORT_CONFIG_DIR": str(tmp_path / "config")}
    warnings: list[str] = []
    with live_proxy(tmp_path / "proxy") as live:
        client = connect(live)
        first = verifier_for(client, warnings.append, environ)
        assert first.keys == [live.key.public()] and len(warnings) == 1
        assert "first use" in warnings[0] and live.key.public().id_hex in warnings[0]
        install_skill(client, first, "csv-profiler", None, tmp_path / "skills")
        again = verifier_for(client, warnings.append, environ)
        assert len(warnings) == 1  # pinned: no second warning, and the catalog seen is remembered
        assert (again.pin.marketplace, again.pin.catalog_version) == ("acme-skills", 1)
        assert load_pins(environ)[live.url] == again.pin


def test_an_update_answer_its_signed_record_contradicts_is_refused(
    tmp_path: Path, connect: Callable[..., Client]
) -> None:
    with live_proxy(tmp_path / "proxy") as live:
        skills = tmp_path / "skills"
        install_skill(connect(live), _verifier(live, tmp_path), "release-notes", None, skills)
        change(live.repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
        live.republish()

        def hide_the_update(path: str, answer: dict) -> dict:
            if path == "/api/updates":
                for result in answer["results"]:
                    result.update(status="current", latest=result["installed"])
            return answer

        quiet = connect(live, Rewrite(hide_the_update))
        with pytest.raises(
            ClientError, match=r"says release-notes is current \(latest 1\.0\.0\), which its signed"
        ):
            check_updates(quiet, _verifier(live, tmp_path), skills)
        honest = check_updates(connect(live), _verifier(live, tmp_path), skills)
        assert [(r.status, r.latest) for r in honest.results] == [("update", "1.0.1")]

        yank(live.repo, "release-notes", "1.0.0", "leaks a customer name")
        live.republish()

        def hide_the_yank(path: str, answer: dict) -> dict:
            if path == "/api/updates":
                for result in answer["results"]:
                    result.update(status="update")
            return answer

        assert check_updates(connect(live), _verifier(live, tmp_path), skills).results[0].status == "yanked"
        with pytest.raises(ClientError, match=r"says release-notes is update \(latest 1\.0\.1\), which its"):
            check_updates(connect(live, Rewrite(hide_the_yank)), _verifier(live, tmp_path), skills)


def test_a_proxy_that_swaps_a_plugin_changes_no_local_marketplace(
    tmp_path: Path, connect: Callable[..., Client]
) -> None:
    def swap(path: str, answer: dict) -> dict:
        if path == "/claude-code/marketplace.json":
            for plugin in answer["plugins"]:
                plugin["source"]["sha256"] = EVIL_SHA
        return answer

    refused = pytest.raises(ClientError, match=r"offers plugin .* with sha256 .*, which its signed record")
    with live_proxy(tmp_path / "proxy") as live, refused:
        sync(connect(live, Rewrite(swap, True)), _verifier(live, tmp_path), tmp_path / "market")
    assert not (tmp_path / "market").exists()


def test_a_record_of_another_marketplace_signed_by_the_same_key_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "build"
    _, key = signed_build(TEMPLATE, out)
    record = Catalog.from_bytes((out / "catalog.json").read_bytes()).skill("release-notes")
    assert record is not None
    environ = {"SKILLPORT_CONFIG_DIR": str(tmp_path)}
    pin = Pin(keys=[key.public().to_text()], marketplace="acme-skills", catalog_version=1)
    verifier = Verifier("https://skills.acme.example", pin, environ)
    with pytest.raises(ClientError, match="belongs to the marketplace 'm', not 'acme-skills'"):
        verifier.skill(signed_proof(record, key), "release-notes")  # a proof made for marketplace "m"
    assert verifier.pin.marketplace == "acme-skills"


class Replay(httpx.BaseTransport):
    """Real HTTP to the proxy, except the answers in `canned` (path -> status and bytes) it replays:
    what a proxy holding old answers and old bytes would send."""

    def __init__(self, canned: dict[str, tuple[int, bytes, str]]) -> None:
        self.inner, self.canned = httpx.HTTPTransport(), canned

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path in self.canned:
            status, body, kind = self.canned[request.url.path]
            return httpx.Response(status, content=body, headers={"content-type": kind})
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_a_proxy_offering_a_yanked_release_with_its_old_bytes_installs_nothing(tmp_path: Path) -> None:
    with live_proxy(tmp_path / "proxy") as live:
        change(live.repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
        live.republish()
        auth = {"Authorization": f"Bearer {live.tokens['anyone']}"}
        old = httpx.post(f"{live.url}/api/skills/release-notes/link", json={"version": "1.0.0"}, headers=auth)
        assert old.status_code == 200
        zipped = httpx.get(old.json()["url"])
        assert zipped.status_code == 200
        yank(live.repo, "release-notes", "1.0.0", "leaks a customer name")
        live.republish()
        canned = {
            "/api/skills/release-notes/link": (200, old.content, "application/json"),
            httpx.URL(old.json()["url"]).path: (200, zipped.content, "application/zip"),
        }
        with (
            httpx.Client(transport=Replay(canned)) as http,
            Client(live.url, live.tokens["anyone"], http) as client,
            pytest.raises(ClientError, match=r"does not list for 1\.0\.0; nothing was installed"),
        ):
            install_skill(client, _verifier(live, tmp_path), "release-notes", "1.0.0", tmp_path / "skills")
        assert not (tmp_path / "skills").exists()
