"""The previous catalog as a build compares with it: parsed and validated in full, or trusted.

Trusted means its bytes, less the proofs signing added, have the sha256 the build cache noted
when it wrote that catalog into OUT: then every record in it is one this build's code encoded from
inputs the cache still knows, so it is read only where the build needs it (the head, and the
records of plugins that changed or left), each record cut out by the offsets the cache noted.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from skillport_build.models.access import AccessPolicy
from skillport_build.models.catalog import (
    Bundle,
    Catalog,
    PluginRecord,
    Release,
    Removed,
    SkillRecord,
    skill_ref,
)
from skillport_build.release.assemble import Copied
from skillport_build.repo.buildcache import BuildCache

_PROOFS = b'],"proofs":{'  # where signing puts the proofs: right after the plugins array
_AFTER_PROOFS = b'},"removed":['


def unsigned_if_ours(raw: bytes, cache: BuildCache | None) -> bytes | None:
    """`raw` without the proofs signing added, if that is the catalog the cache saw written;
    else None (a foreign, edited or damaged catalog is never trusted)."""
    if cache is None or cache.catalog is None or len(cache.layout) != 4:
        return None
    if hashlib.sha256(raw).hexdigest() == cache.catalog:
        return raw
    end_of_plugins = cache.layout[1]
    if raw[end_of_plugins : end_of_plugins + len(_PROOFS)] != _PROOFS:
        return None
    end = raw.find(_AFTER_PROOFS, end_of_plugins + len(_PROOFS))
    if end < 0:
        return None
    unsigned = raw[:end_of_plugins] + b'],"proofs":{}' + raw[end + 1 :]
    return unsigned if hashlib.sha256(unsigned).hexdigest() == cache.catalog else None


@dataclass
class Previous:
    """The published records a plan and a build compare with; `raw` (the unsigned bytes) and
    `spans` are set when the catalog is trusted, `catalog` when it was parsed in full."""

    head: Catalog  # the whole catalog, or (trusted) every field but its records
    catalog: Catalog | None = None
    raw: bytes | None = None
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)  # record key -> offset, length
    _aliases: dict[str, str] = field(default_factory=dict)  # plugin/skill, slug, bare name -> key
    _parsed: dict[str, PluginRecord | SkillRecord] = field(default_factory=dict)

    @classmethod
    def parsed(cls, catalog: Catalog) -> Previous:
        """A catalog read and validated in full."""
        return cls(catalog, catalog)

    @classmethod
    def trusted(cls, unsigned: bytes, cache: BuildCache) -> Previous:
        """The catalog the cache saw written (see unsigned_if_ours): its head parsed, its records
        left as bytes until asked for."""
        start, end_of_plugins, skills, end = cache.layout
        head = Catalog.from_bytes(
            unsigned[:start] + unsigned[end_of_plugins:skills] + unsigned[end:], "the previous catalog"
        )
        spans = {key: (at, length) for noted in cache.spans.values() for key, (at, length) in noted.items()}
        return cls(head, None, unsigned, spans, _aliases(cache))

    @property
    def is_trusted(self) -> bool:
        """Whether the records are the cache's own, copied as bytes rather than parsed."""
        return self.raw is not None

    @property
    def catalog_version(self) -> int:
        return self.head.catalog_version

    @property
    def removed(self) -> tuple[Removed, ...]:
        return self.head.removed

    @property
    def access(self) -> AccessPolicy:
        return self.head.access

    @property
    def texts(self) -> tuple[Bundle, ...] | None:
        return self.head.texts

    def plugin(self, name: str) -> PluginRecord | None:
        """A plugin's record by name."""
        if self.catalog is not None:
            return self.catalog.plugin(name)
        found = self._record(f"plugin:{name}")
        return found if isinstance(found, PluginRecord) else None

    def skill(self, ref: str) -> SkillRecord | None:
        """A skill's record by its name, plugin/skill or plugin:skill (as Catalog.skill)."""
        if self.catalog is not None:
            return self.catalog.skill(ref)
        key = self._aliases.get(ref.replace(":", "/", 1))
        found = self._record(key) if key else None
        return found if isinstance(found, SkillRecord) else None

    def record_bytes(self, key: str) -> bytes | None:
        """A trusted record's canonical bytes (plugin:<name>, skill:<ref>)."""
        if self.raw is None or key not in self.spans:
            return None
        at, length = self.spans[key]
        return self.raw[at : at + length]

    def place(self, key: str) -> Copied:
        """Where a trusted record's canonical bytes sit in the previous catalog, which the build
        checked they do: assembling copies neighbouring records as one slice."""
        assert self.raw is not None and key in self.spans  # as for cut
        at, length = self.spans[key]
        return Copied(self.raw, at, length)

    def gone(self, plugins: set[str], skills: set[str]) -> tuple[list[PluginRecord], list[SkillRecord]]:
        """The records of plugins and skills not among these names (skills: refs and plugin/skill)."""
        if self.catalog is not None:
            return (
                [p for p in self.catalog.plugins if p.name not in plugins],
                [s for s in self.catalog.skills if s.ref not in skills],
            )
        left_plugins = [k for k in self.spans if k.startswith("plugin:") and k[7:] not in plugins]
        left_skills = [k for k in self.spans if k.startswith("skill:") and k[6:] not in skills]
        return (
            [r for r in map(self._record, left_plugins) if isinstance(r, PluginRecord)],
            [r for r in map(self._record, left_skills) if isinstance(r, SkillRecord)],
        )

    def releases(self) -> Iterator[Release]:
        """Every release of every record parsed so far (all of them for a catalog parsed in full)."""
        records: Iterable[PluginRecord | SkillRecord] = (
            self.catalog.records() if self.catalog is not None else self._parsed.values()
        )
        for record in records:
            yield from record.history

    def _record(self, key: str) -> PluginRecord | SkillRecord | None:
        if key in self._parsed:
            return self._parsed[key]
        raw = self.record_bytes(key)
        if raw is None:
            return None
        kind = PluginRecord if key.startswith("plugin:") else SkillRecord
        record = kind.model_validate_json(raw)
        self._parsed[key] = record
        return record


def _aliases(cache: BuildCache) -> dict[str, str]:
    """How Catalog.skill finds a skill, by the keys the cache noted: plugin/skill, its slug, and
    its bare name where no other plugin has a skill of that name."""
    found: dict[str, str] = {}
    names: Counter[str] = Counter()
    for noted in cache.spans.values():
        plugin = next((key[7:] for key in noted if key.startswith("plugin:")), None)
        for key in noted:
            if not key.startswith("skill:"):
                continue
            ref = key[6:]
            name = ref.rsplit("/", 1)[-1]
            names[name] += 1
            found[ref.replace("/", ".")] = key
            found[ref] = key
            if plugin is not None:
                found[skill_ref(plugin, name)] = key
    return {alias: key for alias, key in found.items() if "/" in alias or "." in alias or names[alias] == 1}
