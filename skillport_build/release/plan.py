"""`skillport plan`: what a build would publish, compared with the last published catalog.

Identity is content: a skill or plugin whose digest changed needs a new version; one whose digest
did not change keeps its bundle. Versions are immutable (FORMATS.md rule 43): a published version
is never rebuilt with different content, and versions never go backwards.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

import semver

from skillport_build.models.catalog import Catalog, Release
from skillport_build.release.previous import Previous
from skillport_build.repo.marketplace import Marketplace, Plugin

LEVELS = ("patch", "minor", "major", "prerelease")


class Change(StrEnum):
    """How an item differs from the published catalog."""

    NEW = "new"
    CHANGED = "changed"
    VERSION_ONLY = "version-only"  # same content, new version (its plugin was bumped)
    UNCHANGED = "unchanged"
    REMOVED = "removed"


@dataclass(frozen=True)
class Item:
    """One plugin or skill in the plan."""

    kind: str  # "plugin" or "skill"
    name: str
    change: Change
    version: str | None  # in the repo now (None when removed)
    published: str | None  # latest published version (None when new)
    digest: str | None
    plugin: str | None = None  # a skill's plugin
    bump: str | None = None  # "patch" etc. when the content changed but the version did not
    problem: str | None = None  # rule 43: refuses the build
    commit: str | None = None  # a remote plugin's commit now
    published_commit: str | None = None  # the commit its published record was built from


@dataclass(frozen=True)
class Plan:
    """Every item, the catalog version the build would write, and what stops it."""

    items: tuple[Item, ...]
    catalog_version: int
    previous_version: int | None

    @property
    def problems(self) -> tuple[Item, ...]:
        """Items that break rule 43."""
        return tuple(i for i in self.items if i.problem)

    @property
    def needs_bump(self) -> tuple[Item, ...]:
        """Plugins whose content changed while their version stayed."""
        return tuple(i for i in self.items if i.kind == "plugin" and i.bump)

    def of(self, kind: str, change: Change) -> tuple[Item, ...]:
        """The items of one kind with one kind of change."""
        return tuple(i for i in self.items if i.kind == kind and i.change is change)

    @property
    def publishes_anything(self) -> bool:
        """Whether a build would add any bundle to the store."""
        return any(i.change is not Change.UNCHANGED for i in self.items)


def make_plan(
    market: Marketplace,
    previous: Catalog | Previous | None,
    level: str = "patch",
    unchanged: frozenset[str] = frozenset(),
) -> Plan:
    """Compare the repository with `previous` (None: nothing published yet). The plugin folders in
    `unchanged` are known to be as published (the build cache vouches for their records), so
    their records are not looked at."""
    if isinstance(previous, Catalog):
        previous = Previous.parsed(previous)
    items: list[Item] = []
    for plugin in market.plugins:
        if plugin.path in unchanged:
            items += _unchanged_items(plugin)
            continue
        plugin_item = _plugin_item(plugin, previous, level)
        items.append(plugin_item)
        for skill in plugin.skills:
            item = _skill_item(plugin, skill.ref, skill.digest, previous)
            if plugin_item.bump and item.change is not Change.UNCHANGED:
                item = replace(item, bump=plugin_item.bump)  # it rides on its plugin's bump
            items.append(item)
    if previous is not None:
        current_plugins = {p.name for p in market.plugins}
        current_skills = {s.ref for s in market.skills} | {f"{s.plugin}/{s.name}" for s in market.skills}
        plugins, skills = previous.gone(current_plugins, current_skills)
        items += [Item("plugin", p.name, Change.REMOVED, None, p.version, None) for p in plugins]
        items += [
            Item("skill", s.ref, Change.REMOVED, None, s.version, None, plugin=s.plugin) for s in skills
        ]
    previous_version = previous.catalog_version if previous else None
    return Plan(tuple(items), (previous_version or 0) + 1, previous_version)


def _unchanged_items(plugin: Plugin) -> list[Item]:
    """A plugin and its skills exactly as published: same version, same digests."""
    version = plugin.release_version
    commit = plugin.origin.commit if plugin.origin else None
    items = [Item("plugin", plugin.name, Change.UNCHANGED, version, version, plugin.digest, commit=commit,
                  published_commit=commit)]  # fmt: skip
    items += [
        Item("skill", s.ref, Change.UNCHANGED, version, version, s.digest, plugin=plugin.name)
        for s in plugin.skills
    ]
    return items


def _history(previous: Previous | None, kind: str, name: str) -> tuple[tuple[Release, ...], str | None]:
    if previous is None:
        return (), None
    record = previous.plugin(name) if kind == "plugin" else previous.skill(name)
    if record is not None:
        return record.history, record.version
    gone = next((r for r in previous.removed if (r.kind, r.name) == (kind, name)), None)
    return (gone.history, gone.last_version) if gone else ((), None)


def _plugin_item(plugin: Plugin, previous: Previous | None, level: str) -> Item:
    version, digest = plugin.release_version, plugin.digest
    history, published = _history(previous, "plugin", plugin.name)
    change, problem = _compare("plugin", plugin.name, version, digest, history, published)
    bump = None
    if problem and published == version and _release(history, version):
        # The usual case: content changed, version not bumped yet. `bump` fixes it.
        bump, problem = level, None
    record = previous.plugin(plugin.name) if previous else None
    return Item(
        "plugin",
        plugin.name,
        change,
        version,
        published,
        digest,
        bump=bump,
        problem=problem,
        commit=plugin.origin.commit if plugin.origin else None,
        published_commit=record.origin.commit if record and record.origin else None,
    )


def _skill_item(plugin: Plugin, name: str, digest: str, previous: Previous | None) -> Item:
    version = plugin.release_version
    history, published = _history(previous, "skill", name)
    change, problem = _compare("skill", name, version, digest, history, published)
    if problem and published == version:
        problem = None  # reported once, on the plugin, as a bump to make
    return Item("skill", name, change, version, published, digest, plugin=plugin.name, problem=problem)


def _release(history: tuple[Release, ...], version: str) -> Release | None:
    return next((r for r in history if r.version == version), None)


def _compare(
    kind: str, name: str, version: str, digest: str, history: tuple[Release, ...], published: str | None
) -> tuple[Change, str | None]:
    if published is None:
        return Change.NEW, None
    same = _release(history, version)
    if same is not None and same.digest == digest:
        if version != published:
            return (
                Change.CHANGED,
                f"{kind} {name} {version} was published before {published}: versions go forward",
            )
        return Change.UNCHANGED, None
    if same is not None:
        return Change.CHANGED, (
            f"{kind} {name} {version} is already published with other content; give the change a new "
            "version (`skillport bump`)"
        )
    if semver.Version.parse(version) < semver.Version.parse(published):
        return Change.CHANGED, f"{kind} {name} would go back from {published} to {version}"
    latest = history[-1].digest if history else None
    return (Change.VERSION_ONLY if latest == digest else Change.CHANGED), None


def next_version(version: str, level: str) -> str:
    """The version after `version` at `level` (a prerelease's patch is its release)."""
    return str(semver.Version.parse(version).next_version(level))
