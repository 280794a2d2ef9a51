"""Catalog records made lighter to hold, without changing a value: what the proxy keeps of 10,000
skills for as long as it serves them.

Half of a validated record's memory is pydantic's bookkeeping: every model instance carries its own
set of the fields that were given (216 bytes for a file, 728 for a skill). Records are frozen, so
nothing adds to those sets; instances of one class with the same fields given share one set here.
A release whose bundle equals its record's current bundle shares that object too, and the paths
many skills repeat (`SKILL.md`, `references/…`) are held once.
"""

from __future__ import annotations

from sys import intern

from pydantic import BaseModel

from skillport_build.models.catalog import PluginRecord, Release, SkillRecord

_FIELDS_SET = "__pydantic_fields_set__"
_put = object.__setattr__  # a frozen model's own field, written once while nothing else holds it


class Compactor:
    """Shares what records parsed by one proxy have in common (one per live catalog)."""

    def __init__(self) -> None:
        self._sets: dict[tuple[type, frozenset[str]], set[str]] = {}

    def records(self, records: list[BaseModel]) -> None:
        """Make newly validated skill and plugin records lighter, in place."""
        for record in records:
            if isinstance(record, SkillRecord):
                self._skill(record)
            elif isinstance(record, PluginRecord):
                self._plugin(record)

    def _share(self, model: BaseModel) -> None:
        given = model.__pydantic_fields_set__
        shared = self._sets.setdefault((type(model), frozenset(given)), given)
        if shared is not given:
            _put(model, _FIELDS_SET, shared)

    def _skill(self, skill: SkillRecord) -> None:
        self._share(skill)
        self._share(skill.bundle)
        for file in skill.files:
            self._share(file)
            _put(file, "path", intern(file.path))
        self._history(skill, skill.history)
        if skill.deprecated is not None:
            self._share(skill.deprecated)

    def _plugin(self, plugin: PluginRecord) -> None:
        self._share(plugin)
        self._share(plugin.bundle)
        self._history(plugin, plugin.history)
        for part in (plugin.author, plugin.origin, plugin.deprecated):
            if part is not None:
                self._share(part)

    def _history(self, record: SkillRecord | PluginRecord, history: tuple[Release, ...]) -> None:
        bundle = record.bundle
        for release in history:
            self._share(release)
            held = release.bundle
            if held.sha256 == bundle.sha256 and held.path == bundle.path and held.size == bundle.size:
                _put(release, "bundle", bundle)
            else:
                self._share(held)
            if release.digest == record.digest:
                _put(release, "digest", record.digest)
