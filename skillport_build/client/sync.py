"""`skillport claude-code sync`: the proxy's Claude Code marketplace, for this person, as a local
folder Claude Code adds with `claude plugin marketplace add DIR` (no token in Claude Code at all).

    DIR/.claude-plugin/marketplace.json    the person's plugins, with "./plugins/<name>" sources
    DIR/plugins/<name>/                    each plugin, unpacked from its verified zip
    DIR/.skillport-sync.json               {"marketplace", "source", "plugins": {name: {version, sha256}}}

Every changed zip is downloaded and checked against its plugin's record as the CI signed it (the
organisation's pinned keys) before the folder is touched; each plugin is then swapped in with one
rename. Plugins the person no longer sees go.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from skillport_build.client.agents import claude_dir
from skillport_build.client.api import Client
from skillport_build.client.places import places
from skillport_build.client.trust import Verifier
from skillport_build.client.unpack import extract_zip, remove, staging, swap_in, write_atomic
from skillport_build.errors import ClientError
from skillport_build.models.api import Marketplace, MarketplaceEntry
from skillport_build.models.catalog import PluginRecord

STATE = ".skillport-sync.json"
MANIFEST = Path(".claude-plugin") / "marketplace.json"
PLUGIN_JSON = Path(".claude-plugin") / "plugin.json"
KEPT_KEYS = ("description", "author", "category", "keywords")
OWNER_KEYS = ("name", "email", "url")
METADATA_KEYS = ("description", "version")
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class Synced(BaseModel):
    """One plugin as the last sync unpacked it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str | None = None
    sha256: str


class SyncState(BaseModel):
    """DIR/.skillport-sync.json."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    marketplace: str
    source: str = Field(description="the proxy's base URL")
    plugins: dict[str, Synced] = Field(default_factory=dict)


@dataclass
class SyncResult:
    """What a sync changed."""

    folder: Path
    name: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    known_to_claude: bool = False


def default_folder(name: str, environ: Mapping[str, str] = os.environ) -> Path:
    """The data folder's claude-code/<marketplace name> (~/.local/share/skillport/claude-code/NAME)."""
    return places(environ).data / "claude-code" / name


def sync(
    client: Client,
    verifier: Verifier,
    folder: Path | None = None,
    environ: Mapping[str, str] = os.environ,
) -> SyncResult:
    """Bring the local marketplace folder up to date with what the proxy lets this person see."""
    market = client.marketplace()
    for name in [market.name, *(p.name for p in market.plugins)]:
        if not SAFE_NAME.match(name):
            raise ClientError(
                f"{client.base_url} sent a plugin or marketplace name {name!r} unsafe as a folder"
            )
    folder = (folder or default_folder(market.name, environ)).absolute()
    previous = _read_state(folder, market.name, client.base_url)
    result = SyncResult(folder, market.name)
    # 1. Download every new or changed plugin, checked against its signed record, before the
    #    folder is touched.
    changed = [
        entry
        for entry in market.plugins
        if not (
            (before := previous.get(entry.name)) is not None
            and before.sha256 == entry.source.sha256
            and _unpacked(folder, entry.name)
        )
    ]
    result.unchanged = [p.name for p in market.plugins if p not in changed]
    signed = _signed_plugins(client, verifier, changed)
    fresh: dict[str, bytes] = {}
    for entry in changed:
        what = f"plugin {entry.name} {entry.version or ''}".strip()
        fresh[entry.name] = client.download(entry.source.url, signed[entry.name].bundle.sha256, what)
        (result.updated if entry.name in previous else result.added).append(entry.name)
    try:
        # 2. Swap each changed plugin in, remove the ones no longer visible.
        plugins = folder / "plugins"
        for name, data in fresh.items():
            _place(plugins, name, data)
        visible = {p.name for p in market.plugins}
        present = (
            {p.name for p in plugins.iterdir() if not p.name.startswith(".")} if plugins.is_dir() else set()
        )
        for stale in sorted(present - visible):
            remove(plugins / stale)
            result.removed.append(stale)
        # 3. The manifest, then the state that says it is all in place.
        (folder / MANIFEST).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(folder / MANIFEST, _dumps(_manifest(market)))
        state = SyncState(
            marketplace=market.name,
            source=client.base_url,
            plugins={p.name: Synced(version=p.version, sha256=p.source.sha256) for p in market.plugins},
        )
        write_atomic(folder / STATE, _dumps(state.model_dump(exclude_none=True)))
    except OSError as exc:
        raise ClientError(f"cannot write the marketplace into {folder}: {exc.strerror or exc}") from exc
    result.known_to_claude = known_to_claude(market.name, folder, environ)
    return result


def _signed_plugins(
    client: Client, verifier: Verifier, entries: list[MarketplaceEntry]
) -> dict[str, PluginRecord]:
    """The signed record of each plugin to download; the marketplace must agree with it."""
    if not entries:
        return {}
    proofs = {str(p.record.get("name")): p for p in client.proofs(plugins=[e.name for e in entries]).proofs}
    signed = {}
    for entry in entries:
        record = verifier.plugin(proofs.get(entry.name), entry.name)
        if entry.source.sha256 != record.bundle.sha256 or (entry.version or record.version) != record.version:
            raise ClientError(
                f"{client.base_url} offers plugin {entry.name} {entry.version or ''} with sha256 "
                f"{entry.source.sha256}, which its signed record ({record.version}, "
                f"{record.bundle.sha256}) does not; nothing was changed. Tell your skillport admin"
            )
        signed[entry.name] = record
    return signed


def _read_state(folder: Path, name: str, source: str) -> dict[str, Synced]:
    """The plugins the last sync into `folder` unpacked; refuse a folder that is something else."""
    path = folder / STATE
    if not path.exists():
        if folder.exists() and any(folder.iterdir()):
            raise ClientError(
                f"{folder} is not empty and was not made by `skillport claude-code sync`; give an empty "
                "or new folder with --dir"
            )
        return {}
    try:
        state = SyncState.model_validate_json(path.read_bytes())
    except (OSError, ValidationError) as exc:
        raise ClientError(f"{path}: cannot read the last sync's record ({exc}); delete {folder}") from exc
    if state.marketplace != name:
        raise ClientError(
            f"{folder} holds the marketplace {state.marketplace!r}, not {name!r}; give another --dir"
        )
    return dict(state.plugins) if state.source == source else {}


def _unpacked(folder: Path, name: str) -> bool:
    return (folder / "plugins" / name / PLUGIN_JSON).is_file()


def _place(plugins: Path, name: str, data: bytes) -> None:
    """Unpack a plugin zip beside plugins/<name> and rename it into place."""
    what = f"plugin {name}"
    with staging(plugins) as stage:
        extract_zip(data, stage / "zip", what)
        swap_in(_plugin_root(stage / "zip", what), plugins / name)


def _plugin_root(unpacked: Path, what: str) -> Path:
    """The folder holding .claude-plugin/plugin.json: the zip's root, or its one top folder."""
    if (unpacked / PLUGIN_JSON).is_file():
        return unpacked
    tops = list(unpacked.iterdir()) if unpacked.is_dir() else []
    if len(tops) == 1 and (tops[0] / PLUGIN_JSON).is_file():
        return tops[0]
    raise ClientError(f"{what}: the zip holds no .claude-plugin/plugin.json at its root; not installed")


def _manifest(market: Marketplace) -> dict[str, Any]:
    """The marketplace.json Claude Code reads: the proxy's, with local folder sources."""
    return {
        "name": market.name,
        "owner": {"name": market.name} | _strings(market.owner, OWNER_KEYS),
        "metadata": _strings(market.metadata, METADATA_KEYS),
        "plugins": [_entry(p) for p in market.plugins],
    }


def _strings(sent: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, str]:
    """Only the fields we mean to write, and only as text: a proxy's `pluginRoot` (or any key Claude
    Code may read one day) must not steer where Claude Code looks for plugins."""
    return {key: sent[key] for key in keys if isinstance(sent.get(key), str)}


def _entry(plugin: MarketplaceEntry) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": plugin.name, "source": f"./plugins/{plugin.name}"}
    if plugin.version:
        entry["version"] = plugin.version
    kept = plugin.model_dump(include=set(KEPT_KEYS), exclude_none=True)
    entry.update({key: kept[key] for key in KEPT_KEYS if key in kept})
    if "author" in entry:
        entry["author"] = _strings(entry["author"], OWNER_KEYS)
    return entry


def _dumps(value: Any) -> bytes:
    return json.dumps(value, indent=2, ensure_ascii=False).encode() + b"\n"


def known_to_claude(name: str, folder: Path, environ: Mapping[str, str] = os.environ) -> bool:
    """Tell whether Claude Code has already added this folder as marketplace `name`."""
    known = claude_dir(environ) / "plugins" / "known_marketplaces.json"
    try:
        entry = json.loads(known.read_text("utf-8")).get(name)
    except (OSError, ValueError, AttributeError):
        return False
    if not isinstance(entry, dict):
        return False
    source = entry.get("source")
    paths = {entry.get("installLocation"), source.get("path") if isinstance(source, dict) else None}
    # resolved: a folder moved from its old place leaves a link there, which Claude Code still names
    return any(isinstance(p, str) and Path(p).resolve() == folder.resolve() for p in paths)
