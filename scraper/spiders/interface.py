"""What the pipeline and the progress line read of a spider: the site spiders' interface.

``base.SiteSpider`` implements it. It lives apart from the base so that the pipeline
can name it without importing the spider's own imports (the politeness layer imports
the pipeline).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from archive.crawls import Target


@runtime_checkable
class CrawlingSpider(Protocol):
    name: str
    site: str  # the registry's name of the site
    crawl_args: dict[str, Any]  # as the crawls row records them
    resume: bool
    threads: bool  # follow every thread the listings show
    item_ids: list[str]
    listings: list[str]
    users: list[str]
    scheduled: set[str]  # threads requested so far, those listings led to included
    failures: list[str]  # one line per target that failed
    halted: str | None  # one failure that stopped the whole crawl, standing for the rest
    # story id -> (url, sha256) of the pages its latest crawl read; None: parse every page
    stored_pages: Callable[[str], tuple[tuple[str, str], ...] | None] | None
    page_source: str  # the source its rows record: the one stored_pages asks about

    def targets(self) -> list[Target]: ...

    def listing_target(self, url: str) -> str: ...

    def fail(self, label: str, reason: str) -> None: ...

    def adopt(self, kind: str, target: str) -> None: ...
