"""What a crawl or a watch is of: a target of one site (a leaf module, imports nothing).

``archive.sites`` reads targets from what a user types; ``archive.crawls`` queues
them. Both import it from here, so the registry stays free of the crawl's database.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("thread", "listing", "user")


@dataclass(frozen=True, slots=True)
class Target:
    site: str
    kind: str  # one of KINDS (the grammar may also answer "comment": see archive.sites)
    target: str  # a thread id, a listing path ("news", "front?day=..."), a user name
