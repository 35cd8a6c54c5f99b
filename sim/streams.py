"""Named random streams spawned from one ``SeedSequence`` per run.

Every stochastic process of the model draws from its own stream, identified
by name, so that changing one mechanism's parameters does not reshuffle the
draws of another (common random numbers across a sweep or a calibration).
Streams are derived from ``SeedSequence(seed, spawn_key=(replication,
hash(name)))``: adding a stream never shifts the others, and a run is a
function of (scenario seed, replication index) only, whichever worker runs
it.  The global ``random`` and ``numpy.random`` states are never touched.
"""

from __future__ import annotations

import hashlib

import numpy as np


def _name_key(name: str) -> int:
    """A stable 32-bit key for a stream name (Python's ``hash`` is salted)."""
    return int.from_bytes(hashlib.blake2s(name.encode(), digest_size=4).digest(), "little")


def run_seed_sequence(seed: int, replication: int) -> np.random.SeedSequence:
    """The one SeedSequence of replication ``replication`` of a scenario."""
    if replication < 0:
        raise ValueError("replication index must be non-negative")
    return np.random.SeedSequence(seed, spawn_key=(replication,))


class Streams:
    """Factory of independent, named ``numpy.random.Generator`` streams."""

    def __init__(self, seed_sequence: np.random.SeedSequence):
        self._root = seed_sequence
        self._issued: set[str] = set()

    @classmethod
    def for_run(cls, seed: int, replication: int) -> "Streams":
        return cls(run_seed_sequence(seed, replication))

    def generator(self, name: str) -> np.random.Generator:
        """The generator for stream ``name``; each name may be issued once."""
        if name in self._issued:
            raise ValueError(f"random stream {name!r} was already issued for this run")
        self._issued.add(name)
        child = np.random.SeedSequence(
            self._root.entropy,
            spawn_key=(*self._root.spawn_key, _name_key(name)),
        )
        return np.random.Generator(np.random.PCG64(child))


class DrawBuffer:
    """Scalar draws served from vectorised numpy batches.

    The adoption engine needs one exponential or uniform variate per event;
    asking numpy for them one at a time costs about a microsecond each, so
    they are drawn in blocks.  The values served are a deterministic function
    of the generator's seed and the order of the calls, which the engine's
    event order fixes, so a run stays reproducible bit for bit.
    """

    __slots__ = ("_rng", "_block", "_exp", "_exp_i", "_uni", "_uni_i")

    def __init__(self, rng: np.random.Generator, block: int = 4096):
        self._rng = rng
        self._block = block
        self._exp: list[float] = []
        self._exp_i = 0
        self._uni: list[float] = []
        self._uni_i = 0

    def exponential(self) -> float:
        """A standard exponential variate (mean 1)."""
        i = self._exp_i
        if i == len(self._exp):
            self._exp = self._rng.standard_exponential(self._block).tolist()
            i = 0
        self._exp_i = i + 1
        return self._exp[i]

    def uniform(self) -> float:
        """A uniform variate on [0, 1)."""
        i = self._uni_i
        if i == len(self._uni):
            self._uni = self._rng.random(self._block).tolist()
            i = 0
        self._uni_i = i + 1
        return self._uni[i]
