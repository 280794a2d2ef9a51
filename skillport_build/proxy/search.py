"""Ranked search over the skills one audience may see: name, description, tags, category, plugin
and the text of SKILL.md. Small and in memory: a thousand skills take a few milliseconds a query."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from skillport_build.catalog import SkillRecord

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
    tags: str
    description: str
    meta: str
    body: str


class SearchIndex:
    """Lower-cased fields of every skill of one catalog, with their SKILL.md text."""

    def __init__(self, skills: Iterable[SkillRecord], texts: Mapping[str, str]) -> None:
        self._fields = {
            s.name: _Fields(
                s.name.lower(),
                " ".join(s.tags).lower(),
                s.description.lower(),
                f"{s.category or ''} {s.plugin}".lower(),
                texts.get(s.name, "").lower(),
            )
            for s in skills
        }

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
            fields = self._fields.get(skill.name)
            if fields is None:
                continue
            score = _score(fields, words, query.strip().lower()) if words else 1.0
            if score > 0:
                hits.append((skill, score))
        hits.sort(key=lambda hit: (-hit[1], hit[0].name))
        return hits[:limit] if limit is not None else hits


def _score(fields: _Fields, words: list[str], phrase: str) -> float:
    total = EXACT_NAME if fields.name == phrase else 0.0
    for word in words:
        best = 0.0
        for field, weight in WEIGHTS.items():
            text = getattr(fields, field)
            if word in text:
                best += weight * (1.5 if _starts_word(text, word) else 1.0)
        if best == 0:
            return 0.0  # every word must match somewhere
        total += best
    return total


def _starts_word(text: str, word: str) -> bool:
    index = text.find(word)
    return index == 0 or not text[index - 1].isalnum()
