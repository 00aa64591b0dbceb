"""Pages with pieces put in at random places, for the tests that hold a reading of a
whole page to its reference on markup HN never served there (fixed seeds)."""

from __future__ import annotations

import random
from collections.abc import Sequence


def spiked(page: str, pieces: Sequence[str], rng: random.Random, *, most: int) -> str:
    """``page`` with 1 to ``most`` of ``pieces`` put in, each at a random offset."""
    for _ in range(rng.randint(1, most)):
        at = rng.randrange(len(page))
        page = page[:at] + rng.choice(pieces) + page[at:]
    return page
