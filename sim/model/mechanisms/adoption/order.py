"""Who adopts next within a cohort: weighted sampling without replacement, drawn once.

Within a cohort (one level in one province) every un-adopted agency is picked
with probability proportional to its size weight ``w_i``.  Successive
weighted picks without replacement are the order of ``E_i / w_i`` with
``E_i`` unit exponentials (the order in which independent exponential clocks
of rates ``w_i`` ring), so each cohort's order is drawn once, vectorised, and
a pick is a pointer increment.
"""

from __future__ import annotations

import math

import numpy as np


class RaceOrder:
    """The agencies of one cohort in the order they adopt, revealed lazily.

    Most agencies of a large cohort never adopt within the horizon, so instead
    of sorting the whole cohort up front the order is revealed in chunks of
    growing size: the next chunk is the smallest remaining keys
    (``argpartition``, linear time), sorted.  The result is the full sort's
    order, at the cost of the part actually used.
    """

    __slots__ = ("_ids", "_keys", "_weight_of", "_agencies", "_weights", "_next", "_chunk", "remaining",
                 "total_weight")

    def __init__(self, agencies: np.ndarray, keys: np.ndarray, weight_of: np.ndarray):
        self._ids = agencies
        self._keys = keys[agencies]
        self._weight_of = weight_of
        self._agencies: list[int] = []
        self._weights: list[float] = []
        self._next = 0
        self._chunk = 64
        self.remaining = int(agencies.size)
        self.total_weight = math.fsum(weight_of[agencies].tolist())

    def pop(self) -> tuple[int, float, bool]:
        """The next adopter, its weight, and whether the cohort is now exhausted."""
        i = self._next
        if i == len(self._agencies):
            self._reveal()
            i = 0
        self._next = i + 1
        self.remaining -= 1
        return self._agencies[i], self._weights[i], self.remaining == 0

    def unadopted(self) -> np.ndarray:
        """The agencies not yet popped (for checks; not used by the engine)."""
        return np.concatenate([np.asarray(self._agencies[self._next:], dtype=np.int64), self._ids])

    def _reveal(self) -> None:
        keys, ids = self._keys, self._ids
        k = min(self._chunk, keys.size)
        if k < keys.size:
            head = np.argpartition(keys, k - 1)[:k]
            rest = np.ones(keys.size, dtype=bool)
            rest[head] = False
            self._keys, self._ids = keys[rest], ids[rest]
        else:
            head = np.arange(keys.size)
            self._keys, self._ids = keys[:0], ids[:0]
        head = head[np.argsort(keys[head], kind="stable")]
        chosen = ids[head]
        self._agencies = chosen.tolist()
        self._weights = self._weight_of[chosen].tolist()
        self._next = 0
        self._chunk = min(self._chunk * 4, 1 << 16)
