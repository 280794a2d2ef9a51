"""Ranked search over the skills one audience may see, through an inverted index built once per
catalog: name, tags, description, category and plugin, and the text of SKILL.md.

Why a small index of our own rather than an engine (tantivy, bm25s): what a person may read
changes per audience, and a hidden skill must not move a visible one's score or the total. Engines
rank with statistics over every document they hold; here a score is a document-only weight (each
field's term frequency saturated against a fixed length, so no catalog average enters it) times
an inverse document frequency counted over the caller's view alone. Sets of skills are Python
ints used as bitmaps, so filtering, counting and intersecting run in C; the best `k` are found by
the threshold algorithm over postings kept in weight order, which stops after a few hundred of
ten thousand skills even when every skill matches. The next catalog, when it holds the same skills
in the same order (a few of them changed), is indexed by editing the posting lists of the changed
skills' terms only (proxy/postings.py).

Matching: every query word must match a term of the skill, as the word itself, as a prefix of a
term (search as you type), or, only when neither matches any skill the caller may see, one edit
away (a typo). A skill's name typed in full outranks everything.
"""

from __future__ import annotations

import heapq
import math
import re
import threading
from array import array
from bisect import bisect_left
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from skillport_build.models.catalog import SkillRecord
from skillport_build.proxy.postings import Postings, bitmap

_TOKEN = re.compile(r"[^\W_]+[+#]*")
K1 = 1.2
# Each field: its weight, and the length (in terms) it is saturated against, with the length
# normalisation b of BM25. The references are fixed so that a score depends on its skill alone.
FIELDS = {"name": (12.0, 2, 0.0), "tags": (6.0, 4, 0.0), "description": (4.0, 24, 0.5), "meta": (2.0, 3, 0.0)}
BODY = (1.0, 400, 0.75)
EXACT_NAME = 50.0
TYPO = 0.5  # what a term one edit away counts, of an exact one
MIN_PREFIX, MIN_TYPO = 2, 4  # shortest query word completed as a prefix, corrected as a typo
MAX_EXPANSIONS = 64  # terms one query word may stand for (those the caller may see, in term order)
VIEW_CACHE = 256
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


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

    @property
    def given(self) -> bool:
        """Whether any filter narrows at all."""
        return any(v is not None for v in (self.surface, self.category, self.tag, self.plugin))


def words(text: str) -> list[str]:
    """The terms of a text, lower-cased, in order (`c++` and `c#` stay whole)."""
    return _TOKEN.findall(text.lower())


def _saturated(count: int, length: int, spec: tuple[float, int, float]) -> float:
    weight, reference, b = spec
    return weight * count * (K1 + 1) / (count + K1 * (1 - b + b * length / reference))


def _field_weights(text: str, spec: tuple[float, int, float], into: dict[str, float]) -> None:
    terms = words(text)
    for term, count in Counter(terms).items():
        into[term] = into.get(term, 0.0) + _saturated(count, len(terms), spec)


@dataclass(frozen=True)
class Document:
    """One skill analysed: each term's document-only weight. Kept across catalogs by fingerprint."""

    fingerprint: tuple[str, ...]
    weights: dict[str, float]


def fingerprint(skill: SkillRecord, text: str) -> tuple[str, ...]:
    """What a skill's document is made of: the same fingerprint in the next catalog reuses it."""
    return (skill.ref, skill.digest, skill.description, "\n".join(skill.tags), skill.category or "", text)


def analyse(skill: SkillRecord, text: str) -> Document:
    """A skill's fields and SKILL.md text reduced to weighted terms."""
    weights: dict[str, float] = {}
    fields = {
        "name": skill.name,
        "tags": " ".join(skill.tags),
        "description": skill.description,
        "meta": f"{skill.category or ''} {skill.plugin}",
    }
    for field, value in fields.items():
        _field_weights(value, FIELDS[field], weights)
    _field_weights(text, BODY, weights)
    return Document(fingerprint(skill, text), weights)


@dataclass(frozen=True)
class Word:
    """One query word and the terms it stands for, each with what it counts."""

    terms: tuple[tuple[Postings, float], ...]

    def score(self, n: int) -> float:
        """The best of its terms' scores in skill n."""
        if len(self.terms) == 1:
            return self.terms[0][0].weight(n) * self.terms[0][1]
        return max(postings.weight(n) * factor for postings, factor in self.terms)

    def stream(self) -> Iterator[tuple[float, int]]:
        """(-score, skill) over every skill holding one of its terms, best first."""
        if len(self.terms) == 1:
            return self.terms[0][0].best_first(self.terms[0][1])
        return heapq.merge(*(postings.best_first(factor) for postings, factor in self.terms))


def _same_places(before: Sequence[SkillRecord], after: Sequence[SkillRecord]) -> bool:
    """Whether two catalogs hold the same skills under the same numbers."""
    return len(before) == len(after) and all(
        a is b or a.ref == b.ref for a, b in zip(before, after, strict=True)
    )


def _same_name(before: SkillRecord, after: SkillRecord) -> bool:
    return before.name == after.name and before.plugin == after.plugin and before.ref == after.ref


class SearchIndex:
    """The inverted index of one catalog's skills; queries name the view they answer for."""

    def __init__(
        self,
        skills: Sequence[SkillRecord],
        texts: Mapping[str, str],
        previous: SearchIndex | None = None,
    ) -> None:
        """Index `skills`, reusing the analysis of every skill `previous` held unchanged."""
        self.skills = tuple(skills)
        self.postings: dict[str, Postings] = {}
        self.vocabulary: list[str] = []
        self.name_order: list[int] = []
        self.name_rank = array("I")
        self.by_name: dict[str, list[int]] = {}
        self._numbers: dict[str, int] = {}
        known = previous.documents if previous is not None else {}
        self.documents: dict[tuple[str, ...], Document] = {}
        self.numbered: tuple[Document, ...] = tuple(
            self._document(n, skill, texts.get(skill.ref, ""), previous, known)
            for n, skill in enumerate(self.skills)
        )
        self.documents = {document.fingerprint: document for document in self.numbered}
        self.reused = sum(1 for key in self.documents if key in known)
        if previous is not None and _same_places(previous.skills, self.skills):
            self._edit(previous)
        else:
            self._build()
        self._views: OrderedDict[str, int] = OrderedDict()
        self._filters: OrderedDict[Filters, int] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _document(
        n: int,
        skill: SkillRecord,
        text: str,
        previous: SearchIndex | None,
        known: Mapping[tuple[str, ...], Document],
    ) -> Document:
        """The skill's document: the previous one when the same record and text sit at n, else
        one of the same fingerprint, else analysed now."""
        if previous is not None and n < len(previous.skills) and previous.skills[n] is skill:
            document = previous.numbered[n]
            if document.fingerprint[-1] is text:
                return document
        return known.get(fingerprint(skill, text)) or analyse(skill, text)

    def _build(self) -> None:
        """Every posting list and name order from the documents."""
        size = len(self.skills)
        gathered: dict[str, list[tuple[int, float]]] = {}
        for n, document in enumerate(self.numbered):
            for term, weight in document.weights.items():
                gathered.setdefault(term, []).append((n, weight))
        self.postings = {term: Postings(pairs, size) for term, pairs in gathered.items()}
        self.vocabulary = sorted(self.postings)
        self._names()

    def _edit(self, previous: SearchIndex) -> None:
        """The previous index's lists, edited where a skill's document changed (same skills, same
        numbers): the lists of terms no changed skill holds, and the name orders, are shared."""
        self.postings = dict(previous.postings)
        changed = [n for n, d in enumerate(self.numbered) if d is not previous.numbered[n]]
        for n in changed:
            old, new = previous.numbered[n].weights, self.numbered[n].weights
            for term in old.keys() | new.keys():
                postings = self.postings.get(term)
                if postings is None:
                    self.postings[term] = Postings([(n, new[term])], len(self.skills))
                    continue
                edited = postings.with_weight(n, new.get(term))
                if edited is None:
                    del self.postings[term]
                else:
                    self.postings[term] = edited
        same_terms = len(self.postings) == len(previous.postings) and all(
            term in previous.postings for n in changed for term in self.numbered[n].weights
        )
        self.vocabulary = previous.vocabulary if same_terms else sorted(self.postings)
        if all(_same_name(previous.skills[n], self.skills[n]) for n in changed):
            self.name_order, self.name_rank = previous.name_order, previous.name_rank
            self.by_name, self._numbers = previous.by_name, previous._numbers
        else:
            self._names()

    def _names(self) -> None:
        """The orders and maps by name (for listings without a query and a name typed in full)."""
        size = len(self.skills)
        self.name_order = sorted(range(size), key=lambda n: (self.skills[n].name, self.skills[n].plugin))
        self.name_rank = array("I", bytes(4 * size))
        for rank, n in enumerate(self.name_order):
            self.name_rank[n] = rank
        self.by_name = {}
        for n, skill in enumerate(self.skills):
            for name in dict.fromkeys((skill.name.lower(), skill.ref.lower())):
                self.by_name.setdefault(name, []).append(n)
        self._numbers = {skill.ref: n for n, skill in enumerate(self.skills)}

    # sets of skills ------------------------------------------------------------------------

    def visible(self, key: str, refs: Iterable[str]) -> int:
        """The bitmap of the skills a view may read (cached per view key)."""
        found = self._views.get(key)
        if found is None:
            found = bitmap((self._numbers[r] for r in refs if r in self._numbers), len(self.skills))
            self._remember(self._views, key, found)
        return found

    def filtered(self, filters: Filters) -> int:
        """The bitmap of the skills passing `filters` (cached per filters)."""
        if not filters.given:
            return (1 << len(self.skills)) - 1
        found = self._filters.get(filters)
        if found is None:
            found = bitmap((n for n, s in enumerate(self.skills) if filters.keep(s)), len(self.skills))
            self._remember(self._filters, filters, found)
        return found

    def _remember(self, cache: OrderedDict, key: object, value: int) -> None:  # type: ignore[type-arg]
        with self._lock:  # routes run on the event loop and in worker threads
            cache[key] = value
            if len(cache) > VIEW_CACHE:
                cache.popitem(last=False)

    # queries -------------------------------------------------------------------------------

    def search(
        self,
        view_key: str,
        refs: Iterable[str],
        query: str,
        filters: Filters = Filters(),
        offset: int = 0,
        limit: int | None = None,
    ) -> tuple[int, list[tuple[SkillRecord, float]]]:
        """How many of the view's skills match every query word, and the ranked page
        [offset, offset + limit) of them, best first (by name when the query is empty)."""
        visible = self.visible(view_key, refs)
        allowed = visible & self.filtered(filters)
        terms = words(query)
        stop = None if limit is None else offset + limit
        if not terms:
            return allowed.bit_count(), [(self.skills[n], 1.0) for n in self._by_name(allowed, stop)][offset:]
        matched = [self._word(term, allowed, visible) for term in terms]
        if any(not w.terms for w in matched):
            return 0, []
        candidates = allowed
        for w in matched:
            candidates &= self._bits(w)
        total = candidates.bit_count()
        wanted = total if stop is None else min(stop, total)
        bonus = [n for n in self.by_name.get(query.strip().lower(), []) if candidates >> n & 1]
        ranked = self._top(matched, candidates, bonus, wanted)
        return total, [(self.skills[n], score) for score, n in ranked[offset:]]

    def matching(
        self, view_key: str, refs: Iterable[str], query: str, filters: Filters = Filters()
    ) -> list[int]:
        """Every skill of the view that matches the query and filters, unranked (skill numbers,
        ascending): what the website needs to name the plugins holding a match."""
        visible = self.visible(view_key, refs)
        allowed = candidates = visible & self.filtered(filters)
        for term in words(query):
            word = self._word(term, allowed, visible)
            if not word.terms:
                return []
            candidates &= self._bits(word)
        return [n for n, bit in enumerate(reversed(bin(candidates)[2:])) if bit == "1"]

    def _by_name(self, allowed: int, stop: int | None) -> list[int]:
        found: list[int] = []
        for n in self.name_order:
            if allowed >> n & 1:
                found.append(n)
                if stop is not None and len(found) >= stop:
                    break
        return found

    @staticmethod
    def _bits(word: Word) -> int:
        bits = 0
        for postings, _ in word.terms:
            bits |= postings.bits
        return bits

    def _word(self, term: str, allowed: int, visible: int) -> Word:
        """The terms a query word stands for among the allowed skills, scored against the view."""
        found = self._completions(term, allowed)
        if not found and len(term) >= MIN_TYPO:
            found = [(t, TYPO) for t in self._typos(term) if self.postings[t].bits & allowed]
        size = visible.bit_count()
        return Word(
            tuple((self.postings[t], m * self._idf(self.postings[t], visible, size)) for t, m in found)
        )

    def _completions(self, term: str, allowed: int) -> list[tuple[str, float]]:
        """The term itself and the terms it begins, nearest first in term order, up to the cap; only
        those held by an allowed skill count, so a hidden skill's words cannot crowd out others."""
        found: list[tuple[str, float]] = []
        exact = self.postings.get(term)
        if exact is not None and exact.bits & allowed:
            found.append((term, 1.0))
        if len(term) < MIN_PREFIX:
            return found
        i = bisect_left(self.vocabulary, term)
        while i < len(self.vocabulary) and len(found) < MAX_EXPANSIONS:
            other = self.vocabulary[i]
            if not other.startswith(term):
                break
            if other != term and self.postings[other].bits & allowed:
                found.append((other, 0.5 + 0.5 * len(term) / len(other)))
            i += 1
        return found

    def _typos(self, term: str) -> list[str]:
        """Terms of the index one edit (delete, insert, change, swap) away from `term`."""
        letters = ALPHABET + "".join(sorted(set(term) - set(ALPHABET)))
        splits = [(term[:i], term[i:]) for i in range(len(term) + 1)]
        edits = {a + b[1:] for a, b in splits if b}
        edits |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
        edits |= {a + c + b[1:] for a, b in splits if b for c in letters}
        edits |= {a + c + b for a, b in splits for c in letters}
        edits.discard(term)
        return sorted(e for e in edits if e in self.postings)

    @staticmethod
    def _idf(postings: Postings, visible: int, size: int) -> float:
        """Inverse document frequency counted over the view only (never over hidden skills)."""
        held = (postings.bits & visible).bit_count()
        return math.log(1 + size / held) if held else 0.0

    def _top(self, matched: list[Word], candidates: int, bonus: list[int], k: int) -> list[tuple[float, int]]:
        """The best k candidates by the threshold algorithm: read each word's skills best first in
        turn, score each new candidate in full, stop once the k-th best beats any unseen skill."""
        best: list[tuple[float, int, int]] = []  # a min-heap of (score, -name rank, skill)
        seen: set[int] = set()

        def consider(n: int, extra: float) -> None:
            seen.add(n)
            item = (extra + sum(w.score(n) for w in matched), -self.name_rank[n], n)
            if len(best) < k:
                heapq.heappush(best, item)
            elif item > best[0]:
                heapq.heapreplace(best, item)

        for n in bonus:
            consider(n, EXACT_NAME)
        streams = [w.stream() for w in matched]
        bounds = [0.0 for _ in matched]  # each word's last score read: no unseen skill scores more
        live = list(range(len(streams)))
        while live and k:
            for i in list(live):
                step = next(streams[i], None)
                if step is None:
                    live.remove(i)
                    bounds[i] = 0.0
                    continue
                bounds[i] = -step[0]
                n = step[1]
                if n not in seen and candidates >> n & 1:
                    consider(n, 0.0)
            if len(best) >= k and best[0][0] > sum(bounds):
                break
        return [(score, n) for score, _, n in sorted(best, reverse=True)]
