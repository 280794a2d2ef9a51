"""Ranked search over the skills one audience may see, through an inverted index built once per
catalog: name, tags, description, category and plugin, and the text of SKILL.md.

Why a small index of our own rather than an engine (tantivy, bm25s): what a person may read
changes per audience, and a hidden skill must not move a visible one's score or the total. Engines
rank with statistics over every document they hold; here a score is a document-only weight (each
field's term frequency saturated against a fixed length, so no catalog average enters it) times
an inverse document frequency counted over the caller's view alone. The posting lists are NumPy
arrays (proxy/postings.py) and a query is a few whole-array operations: each word's terms are
scattered into one dense score array over the catalog, the view's and filters' masks (cached) are
and-ed with every word's, and the best `k` are picked by a partial sort, so a word every skill
holds costs no more Python than a rare one and the total is exact. A new catalog reuses the
analysis of every skill it holds unchanged (and its term numbers), so its index is one inversion.

Matching: every query word must match a term of the skill, as the word itself, as a prefix of a
term (search as you type), or, only when neither matches any skill the caller may see, one edit
away (a typo). A skill's name typed in full outranks everything.
"""

from __future__ import annotations

import math
import operator
import threading
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress, count, repeat

import numpy as np
import numpy.typing as npt

from skillport_build.models.catalog import SkillRecord
from skillport_build.models.catalog_parse import changed_places
from skillport_build.models.terms import words
from skillport_build.proxy.documents import Counts, Document, analyse, fingerprint
from skillport_build.proxy.postings import Ids, Lexicon, Postings, bitmask

Mask = npt.NDArray[np.bool_]
Scores = npt.NDArray[np.float64]

EXACT_NAME = 50.0
TYPO = 0.5  # what a term one edit away counts, of an exact one
MIN_PREFIX, MIN_TYPO = 2, 4  # shortest query word completed as a prefix, corrected as a typo
MAX_EXPANSIONS = 64  # terms one query word may stand for (those the caller may see, in term order)
VIEW_CACHE = 256
FREQUENCY_CACHE = 32  # views whose per-term counts are kept (a lexicon's length of int32 each)
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
EDIT_SHARE = 8  # fewer than one skill in this many changed: edit the posting lists, else invert
SPARE_TERMS = 4096  # terms no skill holds any more that a lexicon may carry before it is renewed


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


@dataclass(frozen=True)
class Word:
    """One query word: the numbers of the terms it stands for, each with what it counts."""

    terms: tuple[tuple[int, float], ...]


@dataclass(frozen=True)
class Seen:
    """A view's skills as a mask, and how many."""

    mask: Mask
    size: int


@dataclass(frozen=True)
class _Edited:
    """A previous index's documents edited where the catalog changed."""

    numbered: tuple[Document, ...]
    documents: dict[tuple[str, ...], Document]  # by fingerprint
    reused: int  # documents the previous index held
    refs: list[str]  # each skill's ref, by number
    places: list[int]  # the numbers whose record or text changed


class SearchIndex:
    """The inverted index of one catalog's skills; queries name the view they answer for."""

    lexicon: Lexicon
    name_order: Ids  # skill numbers by (name, plugin)
    name_rank: Ids  # each skill's place in that order
    by_name: dict[str, list[int]]  # a name or ref, lower-cased: the skills it names
    _numbers: dict[str, int]  # ref: skill number

    def __init__(
        self,
        skills: Sequence[SkillRecord],
        texts: Mapping[str, str],
        previous: SearchIndex | None = None,
        counts: Counts | None = None,
    ) -> None:
        """Index `skills`, reusing the analysis of every skill `previous` held unchanged; `counts`
        holds the build's term counts of texts, by the sha256 of the bundle each text is from."""
        self.skills = tuple(skills)
        self.lexicon = previous.lexicon if previous is not None and not previous._worn() else Lexicon()
        known = previous.documents if previous is not None else {}
        edited = self._edited(texts, previous, counts)
        self.in_place = edited is not None  # the previous documents edited where the catalog changed
        if edited is None:
            self.numbered = self._documents(texts, previous, known, counts)
            self.documents: dict[tuple[str, ...], Document] = {d.fingerprint: d for d in self.numbered}
            self.reused = sum(1 for key in self.documents if key in known)
            self.refs = [d.fingerprint[0] for d in self.numbered]  # each skill's, by number
            self._places: Sequence[int] = range(len(self.skills))  # where it may differ from previous
        else:
            self.numbered, self.documents, self.reused = edited.numbered, edited.documents, edited.reused
            self.refs, self._places = edited.refs, edited.places
        self.postings = self._inverted(previous)
        self.vocabulary = self._vocabulary(previous)
        self._names(previous)
        self._views: OrderedDict[str, Seen] = OrderedDict()
        self._filters: OrderedDict[Filters, Mask] = OrderedDict()
        self._frequencies: OrderedDict[int, tuple[Seen, npt.NDArray[np.int32]]] = OrderedDict()
        self._groups: tuple[Sequence[str], npt.NDArray[np.int64]] | None = None
        self._lock = threading.Lock()

    def _documents(
        self,
        texts: Mapping[str, str],
        previous: SearchIndex | None,
        known: Mapping[tuple[str, ...], Document],
        counts: Counts | None,
    ) -> tuple[Document, ...]:
        """Each skill's document: the previous one when the same record and text sit at its
        number, else one of the same fingerprint, else analysed now (all such at once)."""
        before = previous.skills if previous is not None else ()
        found: list[Document | None] = []
        unknown: list[tuple[int, str]] = []
        for n, skill in enumerate(self.skills):
            text = texts.get(skill.ref, "")
            document = None
            if previous is not None and n < len(before) and before[n] is skill:
                document = previous.numbered[n]
                if document.fingerprint[-1] is not text:
                    document = None
            document = document or known.get(fingerprint(skill, text))
            if document is None:
                unknown.append((n, text))
            found.append(document.encoded(self.lexicon) if document is not None else None)
        made = analyse([(self.skills[n], text) for n, text in unknown], self.lexicon, counts)
        for (n, _), document in zip(unknown, made, strict=True):
            found[n] = document
        return tuple(d for d in found if d is not None)

    def _edited(
        self, texts: Mapping[str, str], previous: SearchIndex | None, counts: Counts | None
    ) -> _Edited | None:
        """The previous documents edited at the places that hold another record or text now (the
        catalog reused the rest in place); None when the index is made in full."""
        if previous is None or previous.lexicon is not self.lexicon:
            return None
        places = changed_places(self.skills, previous.skills)
        if places is None or len(places) * EDIT_SHARE >= len(self.skills):
            return None
        refs = list(previous.refs)
        for n in places:
            refs[n] = self.skills[n].ref
        now = map(texts.get, refs, repeat(""))
        then = (d.fingerprint[-1] for d in previous.numbered)
        dirty = sorted({*places, *compress(count(), map(operator.is_not, now, then))})
        if len(dirty) * EDIT_SHARE >= len(self.skills):
            return None
        numbered = list(previous.numbered)
        documents = dict(previous.documents)
        for n in dirty:
            documents.pop(numbered[n].fingerprint, None)  # absent only if two skills shared one
        unknown: list[int] = []
        for n in dirty:
            key = fingerprint(self.skills[n], texts.get(refs[n], ""))
            found = previous.documents.get(key)
            if found is None:
                unknown.append(n)
            else:
                numbered[n] = found
        made = analyse([(self.skills[n], texts.get(refs[n], "")) for n in unknown], self.lexicon, counts)
        for n, document in zip(unknown, made, strict=True):
            numbered[n] = document
        for n in dirty:
            documents[numbered[n].fingerprint] = numbered[n]
        return _Edited(tuple(numbered), documents, len(documents) - len(unknown), refs, dirty)

    def _inverted(self, previous: SearchIndex | None) -> Postings:
        """The posting lists: the previous ones edited where few skills changed (the same number
        of skills, the same lexicon), else inverted from every document."""
        if (
            previous is not None
            and previous.lexicon is self.lexicon
            and len(previous.skills) == len(self.skills)
        ):
            numbered, before = self.numbered, previous.numbered
            changed = {
                n: (numbered[n].ids, numbered[n].weights)
                for n in self._places
                if numbered[n] is not before[n]
            }
            if len(changed) * EDIT_SHARE < len(self.skills):
                return previous.postings.edited(changed, len(self.lexicon))
        return Postings([(d.ids, d.weights) for d in self.numbered], len(self.lexicon))

    def _worn(self) -> bool:
        """Whether the lexicon carries so many terms no skill holds that the next index renews it."""
        return len(self.lexicon) > 2 * int(np.count_nonzero(self.postings.counts)) + SPARE_TERMS

    def _vocabulary(self, previous: SearchIndex | None) -> list[str]:
        """The terms some skill holds, sorted (for prefixes): the previous list when the same."""
        live = self.postings.live()
        if previous is not None and previous.lexicon is self.lexicon:
            before = previous.postings.live()
            if not live[len(before) :].any() and np.array_equal(live[: len(before)], before):
                return previous.vocabulary
        terms = self.lexicon.terms
        return sorted(terms[t] for t in np.flatnonzero(live).tolist())

    def _names(self, previous: SearchIndex | None) -> None:
        """The orders and maps by name (for listings without a query and a name typed in full):
        the previous ones when every skill keeps its name and number."""
        same = previous is not None and len(previous.skills) == len(self.skills)
        if previous is not None and same:
            pairs = ((previous.skills[n], self.skills[n]) for n in self._places)
            if all(a is b or _same_name(a, b) for a, b in pairs):
                self.name_order, self.name_rank = previous.name_order, previous.name_rank
                self.by_name, self._numbers = previous.by_name, previous._numbers
                return
        size = len(self.skills)
        order = sorted(range(size), key=lambda n: (self.skills[n].name, self.skills[n].plugin))
        self.name_order = np.array(order, np.int32)
        self.name_rank = np.zeros(size, np.int32)
        self.name_rank[self.name_order] = np.arange(size, dtype=np.int32)
        self.by_name = {}
        for n, skill in enumerate(self.skills):
            for name in dict.fromkeys((skill.name.lower(), skill.ref.lower())):
                self.by_name.setdefault(name, []).append(n)
        self._numbers = {skill.ref: n for n, skill in enumerate(self.skills)}

    # sets of skills ------------------------------------------------------------------------

    def visible(self, key: str, refs: Iterable[str]) -> Seen:
        """The skills a view may read (cached per view key)."""
        found = self._views.get(key)
        if found is None:
            mask = bitmask((self._numbers[r] for r in refs if r in self._numbers), len(self.skills))
            found = Seen(mask, int(np.count_nonzero(mask)))
            self._remember(self._views, key, found)
        return found

    def filtered(self, filters: Filters) -> Mask | None:
        """The skills passing `filters` (cached per filters); None when nothing is filtered."""
        if not filters.given:
            return None
        found = self._filters.get(filters)
        if found is None:
            found = bitmask((n for n, s in enumerate(self.skills) if filters.keep(s)), len(self.skills))
            self._remember(self._filters, filters, found)
        return found

    def _remember(self, cache: OrderedDict, key: object, value: object, most: int = VIEW_CACHE) -> None:  # type: ignore[type-arg]
        with self._lock:  # routes run on the event loop and in worker threads
            cache[key] = value
            if len(cache) > most:
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
        seen = self.visible(view_key, refs)
        narrowed = self.filtered(filters)
        allowed = seen.mask if narrowed is None else seen.mask & narrowed
        stop = None if limit is None else offset + limit
        terms = words(query)
        if not terms:
            listed = self.name_order[allowed[self.name_order]]
            return len(listed), [(self.skills[n], 1.0) for n in listed[offset:stop].tolist()]
        scored = self._scored(query, terms, allowed, seen, narrowed is None)
        if scored is None:
            return 0, []
        numbers, scores = scored
        total = len(numbers)
        wanted = total if stop is None else min(stop, total)
        ranked = self._top(numbers, scores, wanted) if wanted > offset else []
        return total, [(self.skills[n], score) for n, score in ranked[offset:]]

    def matching(
        self, view_key: str, refs: Iterable[str], query: str, filters: Filters = Filters()
    ) -> npt.NDArray[np.int64]:
        """Every skill of the view that matches the query and filters, unranked (skill numbers,
        ascending): what the website needs to name the plugins holding a match."""
        seen = self.visible(view_key, refs)
        narrowed = self.filtered(filters)
        allowed = seen.mask if narrowed is None else seen.mask & narrowed
        terms = words(query)
        if not terms:
            return np.flatnonzero(allowed)
        scored = self._scored(query, terms, allowed, seen, narrowed is None)
        return scored[0].astype(np.int64) if scored is not None else np.zeros(0, np.int64)

    def groups(self, plugins: Sequence[str]) -> npt.NDArray[np.int64]:
        """Each skill's plugin as its place in `plugins` (-1: not there), kept for the last order."""
        known = self._groups
        if known is not None and known[0] is plugins:
            return known[1]
        place = {name: i for i, name in enumerate(plugins)}
        found = np.fromiter((place.get(s.plugin, -1) for s in self.skills), np.int64, len(self.skills))
        self._groups = (plugins, found)
        return found

    def _scored(
        self, query: str, terms: list[str], allowed: Mask, seen: Seen, whole: bool
    ) -> tuple[npt.NDArray[np.integer], Scores] | None:
        """The allowed skills matching every query word (ascending) and their scores (None: some
        word matches no allowed skill). `whole`: `allowed` is the view itself (no filter).

        One word needs no array as wide as the catalog: its posting list is read through the mask.
        More: each adds its best term's weight to the skills holding it and counts one for them,
        so a skill matches when its count is the number of words (two scatters a word)."""
        counts = self.frequencies(seen)
        matched = [self._word(term, allowed, seen, counts, whole) for term in terms]
        if any(not w.terms for w in matched):
            return None
        numbers: npt.NDArray[np.integer]
        if len(matched) == 1:
            ids, values = self._best(matched[0])
            inside = allowed[ids]
            numbers, scores = ids[inside], values[inside]
        else:
            size = len(self.skills)
            dense, held = np.zeros(size), np.zeros(size, np.int32)
            for word in matched:
                ids, values = self._best(word)
                dense[ids] += values
                held[ids] += 1
            numbers = np.flatnonzero(allowed & (held == len(matched)))
            scores = dense[numbers]
        for n in self.by_name.get(query.strip().lower(), []):
            at = int(np.searchsorted(numbers, n))
            if at < len(numbers) and numbers[at] == n:
                scores[at] += EXACT_NAME
        return numbers, scores

    def _best(self, word: Word) -> tuple[Ids, Scores]:
        """The skills holding some term of the word (each once) and the best of their terms' weights
        in each, times what the term counts."""
        if len(word.terms) == 1:
            ((term, factor),) = word.terms
            ids, weights = self.postings.span(term)
            return ids, np.multiply(weights, factor, dtype=np.float64)
        spans = [self.postings.span(term) for term, _ in word.terms]
        ids = np.concatenate([i for i, _ in spans])
        values = np.concatenate(
            [
                np.multiply(w, factor, dtype=np.float64)
                for (_, w), (_, factor) in zip(spans, word.terms, strict=True)
            ]
        )
        best = np.zeros(len(self.skills))
        np.maximum.at(best, ids, values)
        held = np.zeros(len(self.skills), np.bool_)
        held[ids] = True
        unique = np.flatnonzero(held).astype(np.int32)
        return unique, best[unique]

    def frequencies(self, seen: Seen) -> npt.NDArray[np.integer]:
        """How many of the view's skills hold each term (cached per view; the posting counts
        themselves when the view is every skill)."""
        if seen.size == len(self.skills):
            return self.postings.counts
        found = self._frequencies.get(id(seen))
        if found is None or found[0] is not seen:
            running = np.zeros(len(self.postings.skills) + 1, np.int32)
            np.cumsum(seen.mask[self.postings.skills], out=running[1:])
            starts = self.postings.starts
            found = (seen, (running[starts[1:]] - running[starts[:-1]]).astype(np.int32))
            self._remember(self._frequencies, id(seen), found, FREQUENCY_CACHE)
        return found[1]

    def _word(
        self, term: str, allowed: Mask, seen: Seen, counts: npt.NDArray[np.integer], whole: bool
    ) -> Word:
        """The terms a query word stands for among the allowed skills, scored against the view."""
        held = self._holder(allowed, counts, whole)
        found = self._completions(term, held)
        if not found and len(term) >= MIN_TYPO:
            found = [(t, TYPO) for t in self._typos(term) if held(self.lexicon.numbers[t])]
        numbers = self.lexicon.numbers
        return Word(tuple((numbers[t], m * _idf(int(counts[numbers[t]]), seen.size)) for t, m in found))

    def _holder(self, allowed: Mask, counts: npt.NDArray[np.integer], whole: bool) -> Callable[[int], bool]:
        """Whether an allowed skill holds a term (by number): the view's count when nothing is
        filtered, else the term's posting list read through the filter."""
        size = len(counts)
        if whole:
            return lambda number: number < size and bool(counts[number])
        span = self.postings.span
        return lambda number: number < size and bool(counts[number]) and bool(allowed[span(number)[0]].any())

    def _completions(self, term: str, held: Callable[[int], bool]) -> list[tuple[str, float]]:
        """The term itself and the terms it begins, nearest first in term order, up to the cap; only
        those held by an allowed skill count, so a hidden skill's words cannot crowd out others."""
        numbers = self.lexicon.numbers
        found: list[tuple[str, float]] = []
        number = numbers.get(term)
        if number is not None and held(number):
            found.append((term, 1.0))
        if len(term) < MIN_PREFIX:
            return found
        vocabulary = self.vocabulary
        i = bisect_left(vocabulary, term)
        while i < len(vocabulary) and len(found) < MAX_EXPANSIONS:
            other = vocabulary[i]
            if not other.startswith(term):
                break
            if other != term and held(numbers[other]):
                found.append((other, 0.5 + 0.5 * len(term) / len(other)))
            i += 1
        return found

    def _typos(self, term: str) -> list[str]:
        """Terms some skill holds one edit (delete, insert, change, swap) away from `term`."""
        letters = ALPHABET + "".join(sorted(set(term) - set(ALPHABET)))
        splits = [(term[:i], term[i:]) for i in range(len(term) + 1)]
        edits = {a + b[1:] for a, b in splits if b}
        edits |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
        edits |= {a + c + b[1:] for a, b in splits if b for c in letters}
        edits |= {a + c + b for a, b in splits for c in letters}
        edits.discard(term)
        numbers = self.lexicon.numbers
        return sorted(e for e in edits if e in numbers and self.postings.holds(numbers[e]))

    def _top(self, numbers: npt.NDArray[np.integer], values: Scores, k: int) -> list[tuple[int, float]]:
        """The best k of the skills `numbers` scoring `values`, best first; equal scores in name
        order. A partial sort finds the k-th best score; of the skills scoring just that, a second
        keeps those first by name, so only k are sorted however many tie (a word every skill
        holds ties thousands)."""
        if k < len(numbers):
            kth = values[np.argpartition(-values, k - 1)[k - 1]]
            keep = values > kth
            ties = np.flatnonzero(values == kth)
            wanted = k - int(np.count_nonzero(keep))
            if wanted < len(ties):
                ties = ties[np.argpartition(self.name_rank[numbers[ties]], wanted - 1)[:wanted]]
            keep[ties] = True
            numbers, values = numbers[keep], values[keep]
        order = np.lexsort((self.name_rank[numbers], -values))
        return list(zip(numbers[order].tolist(), values[order].tolist(), strict=True))


def _idf(held: int, seen: int) -> float:
    """Inverse document frequency counted over the view only (never over hidden skills)."""
    return math.log(1 + seen / held) if held else 0.0


def _same_name(before: SkillRecord, after: SkillRecord) -> bool:
    return before.name == after.name and before.plugin == after.plugin and before.ref == after.ref
