"""What one person may see of the served catalog. Every route asks this module and nothing else.

A skill is visible when the policy's readers for it name the person. A plugin is visible when its
own readers name them *and* every skill it bundles is visible: a plugin zip carries all its skills,
so one hidden skill hides the plugin. Admins (the policy's `admins`) see everything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from skillport_build.models.access import Identity
from skillport_build.models.catalog import Bundle, Catalog, PluginRecord, SkillRecord
from skillport_build.models.catalog_parse import changed_places

Record = SkillRecord | PluginRecord


@dataclass(frozen=True)
class BundleRef:
    """A bundle path the catalog knows, and what it belongs to."""

    kind: str  # "skill" or "plugin"
    name: str
    version: str
    bundle: Bundle


@dataclass(frozen=True)
class View:
    """The part of one catalog that one audience may see."""

    catalog: Catalog
    skill_names: frozenset[str]
    plugin_names: frozenset[str]
    identity: Identity | None = field(default=None, compare=False)  # whom it was worked out for

    @cached_property
    def key(self) -> str:
        """Names the audience: people who may see the same skills share pages and cached answers."""
        text = f"{self.catalog.catalog_version}\n" + "\n".join(sorted(self.skill_names))
        text += "\n--\n" + "\n".join(sorted(self.plugin_names))
        return f"{self.catalog.catalog_version}-{hashlib.sha256(text.encode()).hexdigest()[:24]}"

    @cached_property
    def skills(self) -> tuple[SkillRecord, ...]:
        """The visible skills, in catalog order."""
        return tuple(s for s in self.catalog.skills if s.ref in self.skill_names)

    @cached_property
    def plugins(self) -> tuple[PluginRecord, ...]:
        """The visible plugins, in catalog order."""
        return tuple(p for p in self.catalog.plugins if p.name in self.plugin_names)

    def skill(self, name: str) -> SkillRecord | None:
        """A visible skill by name (or plugin/skill); None both when it does not exist and when it
        is hidden."""
        found = self.catalog.skill(name)
        return found if found is not None and found.ref in self.skill_names else None

    def bundle(self, refs: dict[str, BundleRef], path: str) -> BundleRef | None:
        """A bundle this audience may download, by store path."""
        ref = refs.get(path)
        if ref is None:
            return None
        visible = self.skill_names if ref.kind == "skill" else self.plugin_names
        return ref if ref.name in visible else None


def view_for(catalog: Catalog, identity: Identity) -> View:
    """Work out what `identity` may see."""
    policy = catalog.access
    if identity.matches(policy.admins):
        return View(
            catalog,
            frozenset(s.ref for s in catalog.skills),
            frozenset(p.name for p in catalog.plugins),
            identity,
        )
    skills = frozenset(s.ref for s in catalog.skills if identity.matches(policy.readers(s.plugin, s.name)))
    plugins = frozenset(
        p.name
        for p in catalog.plugins
        if identity.matches(policy.readers(p.name)) and all(n in skills for n in p.skills)
    )
    return View(catalog, skills, plugins, identity)


def is_admin(catalog: Catalog, identity: Identity) -> bool:
    """Tell whether the policy names this person an admin."""
    return identity.matches(catalog.access.admins)


def _ref(record: Record) -> str:
    return record.ref if isinstance(record, SkillRecord) else record.name


def bundle_refs(
    catalog: Catalog, before: tuple[Catalog, dict[str, BundleRef]] | None = None
) -> dict[str, BundleRef]:
    """Every bundle path of the catalog, current versions and history, to what it belongs to.

    `before` (the previous catalog and its map), when its records are reused objects of this one:
    only the records that are not the very same objects are looked at again."""
    if before is not None:
        return _edited_refs(catalog, *before)
    refs: dict[str, BundleRef] = {}
    for record in catalog.records():
        _add_refs(refs, record)
    return refs


def _add_refs(refs: dict[str, BundleRef], record: SkillRecord | PluginRecord) -> None:
    kind = "skill" if isinstance(record, SkillRecord) else "plugin"
    for release in record.history:
        if release.yanked is None:
            refs[release.bundle.path] = BundleRef(kind, _ref(record), release.version, release.bundle)
    refs[record.bundle.path] = BundleRef(kind, _ref(record), record.version, record.bundle)


def _edited_refs(catalog: Catalog, old: Catalog, old_refs: dict[str, BundleRef]) -> dict[str, BundleRef]:
    gone, added = _edits(catalog.records(), old.records())
    refs = dict(old_refs)
    for record in gone:
        for path in [record.bundle.path, *(r.bundle.path for r in record.history)]:
            refs.pop(path, None)
    for record in added:
        _add_refs(refs, record)
    return refs


def _edits(now: Sequence[Record], then: Sequence[Record]) -> tuple[list[Record], list[Record]]:
    """The records `then` held that `now` does not (the very objects), and those `now` adds: by
    place when the lists are as long (a parse reuses records in place), else by identity."""
    places = changed_places(now, then)
    if places is not None:
        return [then[n] for n in places], [now[n] for n in places]
    ids_now, ids_then = {id(r) for r in now}, {id(r) for r in then}
    return [r for r in then if id(r) not in ids_now], [r for r in now if id(r) not in ids_then]
