"""Ranked search over the skills one audience may see: name, description, tags, category, plugin
and the text of SKILL.md. Small and in memory: a thousand skills take a few milliseconds a query."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from skillport_build.models.catalog import SkillRecord

_WORD = re.compile(r"[\w.+#-]+")
# How much a query word counts in each field; an exact name match outranks everything.
WEIGHTS = {"name": 12.0, "tags": 6.0, "description": 4.0, "meta": 2.0, "body": 1.0}
EXACT_NAME = 50.0


@dataclass(frozen=True)
class Filters:
    """Narrowing that is not ranking."""

    surface: str | None = None
    category: str | None = None
    tag: str | None = None
    plugin: str | None = None

    def keep(self, skill: SkillRecord) -> bool:
        """Tell whether a skill passes every filter given."""
        return (
            (self.surface is None or self.surface in skill.surfaces)
            and (self.category is None or (skill.category or "").lower() == self.category.lower())
            and (self.tag is None or self.tag.lower() in (t.lower() for t in skill.tags))
            and (self.plugin is None or skill.plugin == self.plugin)
        )


@dataclass(frozen=True)
class _Fields:
    name: str
    weighted: tuple[tuple[str, float], ...]  # each field's lower-cased text with its weight
    everything: str  # all of them, for one quick test that a word occurs at all


def _fields(skill: SkillRecord, body: str) -> _Fields:
    texts = {
        "name": skill.name.lower(),
        "tags": " ".join(skill.tags).lower(),
        "description": skill.description.lower(),
        "meta": f"{skill.category or ''} {skill.plugin}".lower(),
        "body": body.lower(),
    }
    return _Fields(texts["name"], tuple((texts[f], w) for f, w in WEIGHTS.items()), "\n".join(texts.values()))


class SearchIndex:
    """Lower-cased fields of every skill of one catalog, with their SKILL.md text."""

    def __init__(self, skills: Iterable[SkillRecord], texts: Mapping[str, str]) -> None:
        self._fields = {s.ref: _fields(s, texts.get(s.ref, "")) for s in skills}

    def search(
        self,
        skills: Iterable[SkillRecord],
        query: str,
        filters: Filters = Filters(),
        limit: int | None = None,
    ) -> list[tuple[SkillRecord, float]]:
        """The skills (of those given) matching every query word, best first."""
        words = [w.lower() for w in _WORD.findall(query)]
        hits: list[tuple[SkillRecord, float]] = []
        for skill in skills:
            if not filters.keep(skill):
                continue
            fields = self._fields.get(skill.ref)
            if fields is None:
                continue
            score = _score(fields, words, query.strip().lower()) if words else 1.0
            if score > 0:
                hits.append((skill, score))
        hits.sort(key=lambda hit: (-hit[1], hit[0].name, hit[0].plugin))
        return hits[:limit] if limit is not None else hits


def _score(fields: _Fields, words: list[str], phrase: str) -> float:
    if not all(word in fields.everything for word in words):
        return 0.0  # every word must match somewhere
    total = EXACT_NAME if fields.name == phrase else 0.0
    for word in words:
        for text, weight in fields.weighted:
            index = text.find(word)
            if index >= 0:
                starts_word = index == 0 or not text[index - 1].isalnum()
                total += weight * (1.5 if starts_word else 1.0)
    return total
