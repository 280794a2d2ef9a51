"""The index page's list: what a person asked (query, filters, page, all in the URL), the hits of one
page with why each matched, the plugins that hold a hit, and the choices the filters offer.

The static site and the proxy fill the same `Listing` and render it with the same template; the
proxy answers a query from its search index, the static site pages through every skill.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from skillport_build.models.catalog import PluginRecord, SkillRecord

PAGE_SIZE = 24
PLUGINS_SHOWN = 24  # plugins the index names; the rest are counted (each skill links its plugin)
MAX_QUERY = 200
SNIPPET = 160  # characters of SKILL.md shown around a match
_WORD = re.compile(r"[^\W_]+[+#]*")
_PARAMS = ("q", "category", "tag", "surface")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Query:
    """What the person asked: a search, filters and a page number, as the URL carries them."""

    q: str = ""
    category: str = ""
    tag: str = ""
    surface: str = ""
    page: int = 1

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> Query:
        """The query of a URL's parameters (anything unknown or malformed is ignored)."""
        values = {name: str(params.get(name) or "").strip()[:MAX_QUERY] for name in _PARAMS}
        page = str(params.get("page") or "1")
        return cls(**values, page=int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1)

    @property
    def narrowed(self) -> bool:
        """Whether a search or a filter narrows the list."""
        return any((self.q, self.category, self.tag, self.surface))

    @property
    def words(self) -> list[str]:
        """The search's words, lower-cased."""
        return words(self.q)

    def href(self, page: int = 1) -> str:
        """The URL query string of this search at `page` (`?` alone when nothing is asked)."""
        pairs = [(name, getattr(self, name)) for name in _PARAMS if getattr(self, name)]
        if page > 1:
            pairs.append(("page", str(page)))
        return "?" + urlencode(pairs)

    def key(self) -> str:
        """One line naming the query, for caches."""
        return "\n".join([*(getattr(self, name) for name in _PARAMS), str(self.page)])


@dataclass(frozen=True)
class Why:
    """Why a skill matched: the field, and for SKILL.md a snippet as (text, highlighted) pieces."""

    field: str
    pieces: tuple[tuple[str, bool], ...] = ()


@dataclass(frozen=True)
class Hit:
    """One skill in the list, and why it is there (None when nothing was searched)."""

    skill: SkillRecord
    why: Why | None = None


@dataclass(frozen=True)
class Options:
    """What each filter offers, from the skills the person may see."""

    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    surfaces: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Listing:
    """One page of the index: the hits, how many matched, the plugins holding a match, the pager."""

    query: Query
    hits: tuple[Hit, ...]
    total: int
    plugins: tuple[PluginRecord, ...]
    options: Options
    prev_href: str | None = None
    next_href: str | None = None
    reset_href: str = "index.html"
    pages: int = 1
    more_plugins: int = 0


def words(text: str) -> list[str]:
    """The words of a text, lower-cased (`c++` and `c#` stay whole), as search splits them."""
    return _WORD.findall(text.lower())


def options(skills: Iterable[SkillRecord], labels: Mapping[str, str]) -> Options:
    """The filters' choices for these skills."""
    listed = list(skills)
    return Options(
        categories=tuple(sorted({s.category for s in listed if s.category})),
        tags=tuple(sorted({t for s in listed for t in s.tags})),
        surfaces=tuple((k, v) for k, v in labels.items() if any(k in s.surfaces for s in listed)),
    )


def plugins_holding(
    plugins: Sequence[PluginRecord], skills: Iterable[SkillRecord]
) -> tuple[tuple[PluginRecord, ...], int]:
    """The first PLUGINS_SHOWN plugins, in catalog order, that hold one of `skills`, and how many more do."""
    names = {s.plugin for s in skills}
    held = [p for p in plugins if p.name in names]
    return tuple(held[:PLUGINS_SHOWN]), max(0, len(held) - PLUGINS_SHOWN)


def pages_of(total: int, size: int = PAGE_SIZE) -> int:
    """How many pages of `size` a list of `total` fills."""
    return max(1, -(-total // size))


def _matches(terms: list[str], text: str) -> bool:
    found = words(text)
    return any(t.startswith(term) for term in terms for t in found)


def why(skill: SkillRecord, text: str, terms: list[str]) -> Why | None:
    """The first field a search's words match, in the order search weighs them; for SKILL.md, the
    passage around the first matching word, with every matching word highlighted."""
    if not terms:
        return None
    for name, value in (
        ("name", skill.name),
        ("tags", " ".join(skill.tags)),
        ("description", skill.description),
        ("category", f"{skill.category or ''} {skill.plugin}"),
    ):
        if _matches(terms, value):
            return Why(name)
    pieces = snippet(text, terms)
    return Why("SKILL.md", pieces) if pieces else None


def snippet(text: str, terms: list[str]) -> tuple[tuple[str, bool], ...]:
    """About SNIPPET characters of `text` around its first word that begins with one of `terms`
    (the words are read up to the passage's end only: a SKILL.md may be long)."""
    spans: list[tuple[int, int]] = []
    start = end = 0
    for m in _WORD.finditer(text):
        if spans and m.start() >= end:
            break
        if any(m[0].lower().startswith(t) for t in terms):
            spans.append((m.start(), m.end()))
            if len(spans) == 1:
                start, end = _passage(text, m.start())
    if not spans:
        return ()
    pieces: list[tuple[str, bool]] = [("…", False)] if start > 0 else []
    at = start
    for s, e in spans:
        if s < start or e > end:
            continue
        pieces += [(text[at:s], False), (text[s:e], True)]
        at = e
    pieces.append((text[at:end] + ("…" if end < len(text) else ""), False))
    return tuple((_SPACE.sub(" ", p), marked) for p, marked in pieces if p)


def _passage(text: str, first: int) -> tuple[int, int]:
    """Where the passage around a word at `first` starts and ends, on word boundaries."""
    start = max(0, first - SNIPPET // 3)
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    end = min(len(text), start + SNIPPET)
    while end < len(text) and not text[end].isspace():
        end += 1
    return start, end


def page_of(query: Query, total: int) -> Query:
    """The query with its page number brought within the pages `total` fills."""
    return replace(query, page=min(query.page, pages_of(total)))
