"""`claude-code sync` against the real proxy on 127.0.0.1: the local marketplace, kept up to date."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from client.proofs import signed_proof, trusting
from proxy.live_server import LiveProxy, Tamper, live_proxy
from releasing import change

from skillport_build.client.api import Client
from skillport_build.client.sync import STATE, default_folder, known_to_claude, sync
from skillport_build.client.trust import Verifier
from skillport_build.errors import ClientError, SignatureError
from skillport_build.models.catalog import PluginRecord
from skillport_build.release.bundle import Entry, zip_bytes

ALL_PLUGINS = {"writing", "data-tools", "engineering", "operations", "skillport"}
# A plugin shows when all its skills may be read.
ENGINEER = {"writing", "data-tools", "engineering", "skillport"}


class Counting(httpx.HTTPTransport):
    """Real HTTP that remembers the paths it fetched."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return super().handle_request(request)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveProxy]:
    with live_proxy(tmp_path / "proxy") as proxy:
        yield proxy


@pytest.fixture
def signed(live: LiveProxy, tmp_path: Path) -> Verifier:
    """Trust in the organisation's key, as `skillport login URL --key FILE` pins it."""
    return trusting(live.url, tmp_path / "config", live.key)


@pytest.fixture
def connect(live: LiveProxy) -> Iterator[Callable[..., Client]]:
    opened: list[Client | httpx.Client] = []

    def make(who: str, transport: httpx.BaseTransport | None = None) -> Client:
        http = httpx.Client(transport=transport) if transport else None
        client = Client(live.url, live.tokens[who], http)
        opened.extend([client] if http is None else [client, http])
        return client

    yield make
    for client in opened:
        client.close()


def manifest(folder: Path) -> dict[str, object]:
    return json.loads((folder / ".claude-plugin/marketplace.json").read_text())  # type: ignore[no-any-return]


def test_first_sync_writes_a_local_marketplace(
    connect: Callable[..., Client], tmp_path: Path, signed: Verifier
) -> None:
    folder = tmp_path / "market"
    result = sync(connect("admin"), signed, folder, {"HOME": str(tmp_path)})
    assert result.name == "acme-skills" and result.folder == folder
    assert set(result.added) == ALL_PLUGINS
    assert not (result.updated or result.removed or result.unchanged or result.known_to_claude)
    for name in result.added:
        assert json.loads((folder / f"plugins/{name}/.claude-plugin/plugin.json").read_text())["name"] == name
    assert (folder / "plugins/operations/skills/incident-postmortem/SKILL.md").is_file()
    written = manifest(folder)
    entries = {e["name"]: e for e in written["plugins"]}  # type: ignore[attr-defined]
    assert entries["operations"] == {
        "name": "operations",
        "source": "./plugins/operations",
        "version": "1.0.0",
        "description": entries["operations"]["description"],
        "author": {"name": "Acme Platform Team", "email": "platform@acme.example"},
        "category": "operations",
        "keywords": ["incident", "incident-response", "operations", "postmortem", "reliability", "sre"],
    }
    assert written["name"] == "acme-skills" and written["owner"]["name"] == "Acme Platform Team"  # type: ignore[index]
    state = json.loads((folder / STATE).read_text())
    assert set(state["plugins"]) == ALL_PLUGINS and state["source"] == connect("admin").base_url
    assert sorted(p.name for p in (folder / "plugins").iterdir()) == sorted(ALL_PLUGINS)


def test_resync_downloads_only_what_changed_and_drops_what_is_hidden(
    connect: Callable[..., Client], live: LiveProxy, tmp_path: Path, signed: Verifier
) -> None:
    folder = tmp_path / "market"
    sync(connect("engineer"), signed, folder)
    counting = Counting()
    again = sync(connect("engineer", counting), signed, folder)
    assert set(again.unchanged) == ENGINEER and not again.added
    assert not [p for p in counting.paths if p.startswith("/bundles/")]

    change(live.repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
    live.republish()
    counting.paths.clear()
    updated = sync(connect("engineer", counting), signed, folder)
    assert (updated.updated, updated.removed) == (["writing"], [])
    assert [p for p in counting.paths if p.startswith("/bundles/")] == [
        "/bundles/plugins/writing/1.0.1/writing-1.0.1.zip"
    ]
    assert "Another tip." in (folder / "plugins/writing/skills/release-notes/SKILL.md").read_text()
    assert {e["name"]: e["version"] for e in manifest(folder)["plugins"]}["writing"] == "1.0.1"  # type: ignore[attr-defined]

    policy = live.repo / ".skillport/access.yaml"
    policy.write_text(
        policy.read_text().replace("plugins:\n", 'plugins:\n  data-tools:\n    read: ["group:data"]\n')
    )
    live.republish()
    hidden = sync(connect("engineer"), signed, folder)
    assert hidden.removed == ["data-tools"]
    assert not (folder / "plugins/data-tools").exists()
    assert "data-tools" not in {e["name"] for e in manifest(folder)["plugins"]}  # type: ignore[attr-defined]
    assert "data-tools" not in json.loads((folder / STATE).read_text())["plugins"]
    assert not [p for p in (folder / "plugins").iterdir() if p.name.startswith(".")]


def test_a_tampered_plugin_changes_nothing(
    connect: Callable[..., Client], live: LiveProxy, tmp_path: Path, signed: Verifier
) -> None:
    folder = tmp_path / "market"
    sync(connect("engineer"), signed, folder)
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    change(live.repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
    live.republish()
    with pytest.raises(SignatureError, match=r"plugin writing 1\.0\.1: the downloaded bytes"):
        sync(connect("engineer", Tamper()), signed, folder)
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before


def test_a_folder_of_something_else_is_refused(
    connect: Callable[..., Client], tmp_path: Path, signed: Verifier
) -> None:
    (tmp_path / "code").mkdir()
    (tmp_path / "code/main.py").write_text("")
    with pytest.raises(ClientError, match=r"was not made by `skillport claude-code sync`; give an empty"):
        sync(connect("anyone"), signed, tmp_path / "code")
    (tmp_path / "code/main.py").unlink()
    (tmp_path / "code" / STATE).write_text(json.dumps({"marketplace": "other", "source": "x", "plugins": {}}))
    with pytest.raises(ClientError, match=r"holds the marketplace 'other', not 'acme-skills'"):
        sync(connect("anyone"), signed, tmp_path / "code")


def test_default_folder_and_claude_code_knowing_it(
    connect: Callable[..., Client], tmp_path: Path, signed: Verifier
) -> None:
    environ = {"HOME": str(tmp_path)}
    expected = tmp_path / ".local/share/skillport/claude-code/acme-skills"
    assert default_folder("acme-skills", environ) == expected
    folder = sync(connect("anyone"), signed, None, environ).folder
    assert folder == expected
    known = tmp_path / ".claude/plugins/known_marketplaces.json"
    known.parent.mkdir(parents=True)
    entry = {"source": {"source": "directory", "path": str(folder)}, "installLocation": str(folder)}
    known.write_text(json.dumps({"acme-skills": entry}))
    assert known_to_claude("acme-skills", folder, environ)
    assert sync(connect("anyone"), signed, None, environ).known_to_claude
    assert not known_to_claude("acme-skills", tmp_path / "elsewhere", environ)
    assert not known_to_claude("other", folder, environ)
    known.write_text("[")
    assert not known_to_claude("acme-skills", folder, environ)


def canned_marketplace(plugins: dict[str, bytes], name: str = "m") -> Client:
    entries = [
        {
            "name": plugin,
            "version": "1.0.0",
            "source": {
                "source": "archive",
                "url": f"http://p.test/bundles/{plugin}.zip",
                "sha256": hashlib.sha256(data).hexdigest(),
            },
        }
        for plugin, data in plugins.items()
    ]
    body = {"name": name, "owner": {"name": "O"}, "plugins": entries}
    proofs = [signed_proof(_plugin_record(plugin, data)).dump() for plugin, data in plugins.items()]

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/claude-code/marketplace.json":
            return httpx.Response(200, json=body)
        if request.url.path == "/api/proofs":
            return httpx.Response(200, json={"catalog_version": 1, "proofs": proofs})
        return httpx.Response(200, content=plugins[request.url.path.split("/")[-1].removesuffix(".zip")])

    return Client("http://p.test", "sp_t", httpx.Client(transport=httpx.MockTransport(answer)))


def _plugin_record(name: str, data: bytes) -> PluginRecord:
    bundle = {"path": f"plugins/{name}/1.0.0/{name}-1.0.0.zip", "sha256": hashlib.sha256(data).hexdigest()}
    return PluginRecord.model_validate(
        {"name": name, "version": "1.0.0", "surfaces": [], "digest": "d", "skills": [], "history": []}
        | {"bundle": bundle | {"size": len(data)}}
    )


def test_a_plugin_zip_wrapped_in_one_folder(tmp_path: Path) -> None:
    data = zip_bytes([Entry("p-1.0.0/.claude-plugin/plugin.json", b'{"name": "p"}')], 0)
    sync(canned_marketplace({"p": data}), trusting("http://p.test", tmp_path / "config"), tmp_path / "m")
    assert (tmp_path / "m/plugins/p/.claude-plugin/plugin.json").is_file()


def test_a_zip_that_is_no_plugin(tmp_path: Path) -> None:
    data = zip_bytes([Entry("a/b/plugin.json", b"{}")], 0)
    with pytest.raises(ClientError, match=r"^plugin p: the zip holds no \.claude-plugin/plugin\.json"):
        sync(canned_marketplace({"p": data}), trusting("http://p.test", tmp_path / "config"), tmp_path / "m")
    assert not (tmp_path / "m/plugins/p").exists()


@pytest.mark.parametrize(("plugin", "market"), [("../evil", "m"), ("p", "../m"), ("p", ".hidden")])
def test_names_unsafe_as_folders_are_refused(tmp_path: Path, plugin: str, market: str) -> None:
    client = canned_marketplace({plugin: b"zip"}, market)
    with pytest.raises(ClientError, match=r"unsafe as a folder"):
        sync(client, trusting("http://p.test", tmp_path / "config"), tmp_path / "m")
    assert not (tmp_path / "m").exists()


class Steering(httpx.HTTPTransport):
    """Real HTTP, but the marketplace answer carries fields meant to steer Claude Code elsewhere."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.url.path != "/claude-code/marketplace.json":
            return response
        market = json.loads(response.read())
        market["metadata"] |= {"pluginRoot": "/etc", "version": {"not": "text"}}
        market["owner"] |= {"pluginRoot": "../..", "name": "Acme Platform Team"}
        market["plugins"][0]["author"] = {"name": "A", "pluginRoot": "/"}
        response.close()
        # the body is re-encoded here: the upstream length and encoding no longer describe it
        headers = {
            k: v
            for k, v in response.headers.items()
            if k.lower() not in {"content-length", "content-encoding"}
        }
        return httpx.Response(response.status_code, headers=headers, json=market)


def test_only_the_fields_we_mean_reach_the_local_marketplace(
    connect: Callable[..., Client], tmp_path: Path, signed: Verifier
) -> None:
    folder = tmp_path / "market"
    sync(connect("engineer", Steering()), signed, folder)
    written = manifest(folder)
    assert written["owner"] == {"name": "Acme Platform Team", "email": "platform@acme.example"}
    assert set(written["metadata"]) == {"description"}  # type: ignore[arg-type]
    assert "pluginRoot" not in json.dumps(written)
