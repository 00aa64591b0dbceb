"""Random strings made of a test's pieces, for the tests that hold a fast path to its
reference: the same strings on every run (fixed seeds)."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence


def joined(pieces: Sequence[str], *, seeds: range, each: int, most: int) -> Iterator[
        tuple[random.Random, str]]:
    """``each`` strings a seed, each of 0 to ``most`` pieces, with the seed's generator
    (for what the caller adds)."""
    for seed in seeds:
        rng = random.Random(seed)
        for _ in range(each):
            yield rng, "".join(rng.choice(pieces) for _ in range(rng.randint(0, most)))
