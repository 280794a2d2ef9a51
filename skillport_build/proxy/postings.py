"""The skills holding one term, for the search index: numbers ascending with their weights, and the
same in weight order (best first) for the threshold algorithm. Sets of skills are Python ints used
as bitmaps, so filtering, counting and intersecting run in C.

A posting list is never changed in place (queries of the catalog served now may be reading it while
the next catalog is indexed): `with_weight` returns a new one for one skill's new weight, which is
how a catalog that changed a few skills is indexed without sorting every list again.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator

DENSE = 64  # a term in one skill of this many or more keeps its bitmap; rarer ones build it on use


def bitmap(ids: Iterable[int], size: int) -> int:
    """A set of skill numbers as an int whose bit n says whether skill n is in it."""
    buffer = bytearray((size + 7) // 8)
    for n in ids:
        buffer[n >> 3] |= 1 << (n & 7)
    return int.from_bytes(buffer, "little")


class Postings:
    """One term's skills and weights, ascending by skill and in weight order."""

    __slots__ = ("_bits", "ids", "order", "size", "weights")

    def __init__(self, pairs: list[tuple[int, float]], size: int) -> None:
        self.ids = array("I", (n for n, _ in pairs))
        self.weights = array("d", (w for _, w in pairs))
        self.order = array("I", sorted(range(len(pairs)), key=lambda i: (-pairs[i][1], pairs[i][0])))
        self.size = size
        self._bits = bitmap(self.ids, size) if len(pairs) * DENSE >= size else None

    @property
    def bits(self) -> int:
        """The skills holding the term, as a bitmap."""
        return self._bits if self._bits is not None else bitmap(self.ids, self.size)

    def weight(self, n: int) -> float:
        """The term's weight in skill n (0 when it lacks the term)."""
        i = bisect_left(self.ids, n)
        return self.weights[i] if i < len(self.ids) and self.ids[i] == n else 0.0

    def best_first(self, factor: float) -> Iterator[tuple[float, int]]:
        """(-score, skill) in descending score, for heapq.merge."""
        ids, weights = self.ids, self.weights
        for i in self.order:
            yield -factor * weights[i], ids[i]

    def pairs(self) -> list[tuple[int, float]]:
        """(skill, weight), ascending by skill."""
        return list(zip(self.ids, self.weights, strict=True))

    def with_weight(self, n: int, weight: float | None) -> Postings | None:
        """A copy where skill n has `weight` (None: lacks the term); None when no skill is left.

        The same lists a fresh build of those pairs makes, in O(len) copying and no sort."""
        i = bisect_left(self.ids, n)
        present = i < len(self.ids) and self.ids[i] == n
        if not present and weight is None:
            return self
        made = object.__new__(Postings)
        made.ids, made.weights, made.size = array("I", self.ids), array("d", self.weights), self.size
        order = array("I", self.order)
        if present:
            old_ids, old_weights = self.ids, self.weights
            at = bisect_left(order, (-old_weights[i], n), key=lambda k: (-old_weights[k], old_ids[k]))
            del order[at]
            if weight is None:
                del made.ids[i], made.weights[i]
                order = array("I", (k - (k > i) for k in order))
            else:
                made.weights[i] = weight
        else:
            made.ids.insert(i, n)
            made.weights.insert(i, weight or 0.0)
            order = array("I", (k + (k >= i) for k in order))
        if weight is not None:
            ids, weights = made.ids, made.weights
            insort(order, i, key=lambda k: (-weights[k], ids[k]))
        if not made.ids:
            return None
        made.order = order
        if len(made.ids) * DENSE < self.size:
            made._bits = None
        elif self._bits is None:
            made._bits = bitmap(made.ids, self.size)
        else:
            made._bits = self._bits if present == (weight is not None) else self._bits ^ (1 << n)
        return made
