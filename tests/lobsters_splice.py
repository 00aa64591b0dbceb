"""Damaged copies of saved pages for the Lobsters fast-path tests: pieces spliced in at
random places, runs cut out, the end cut off."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path


def spliced(rng: random.Random, texts: list[str], pieces: list[str], *, most: int,
            drop: float = 0.0, cut_end: float = 0.0) -> str:
    """One of ``texts`` given up to ``most`` edits, each a run of up to 400 characters
    removed (with chance ``drop``) or one of ``pieces`` put in; its end cut off with
    chance ``cut_end``."""
    text = rng.choice(texts)
    for _ in range(rng.randint(0, most)):
        at = rng.randrange(len(text))
        if rng.random() < drop:
            text = text[:at] + text[at + rng.randint(1, 400):]
        else:
            text = text[:at] + rng.choice(pieces) + text[at:]
    if rng.random() < cut_end:
        text = text[:rng.randrange(1, len(text))]
    return text


def damaged_pages(seed: int, count: int, paths: list[Path], pieces: list[str], *,
                  most: int, drop: float = 0.0, cut_end: float = 0.0) -> Iterator[str]:
    """``count`` copies of the pages at ``paths``, each damaged by ``spliced``."""
    rng = random.Random(seed)
    texts = [p.read_text(encoding="utf-8") for p in paths]
    for _ in range(count):
        yield spliced(rng, texts, pieces, most=most, drop=drop, cut_end=cut_end)
