"""The end of a crawl in the archive, whichever loop ran it: the pipeline of a Scrapy
crawl (``scraper.pipelines``) or the API's own (``scraper.hnapi.crawl``). No Scrapy here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING

from archive import search_auto, store
from archive.crawls import Target, failed_targets, target_label
from archive.errors import ArchiveError
from archive.health import Health

if TYPE_CHECKING:
    import sqlite_utils


def close_crawl(db: sqlite_utils.Database | sqlite3.Connection, crawl_id: int, *,
                db_path: str, status: str,
                pages: int, threads: int, comments: int, failures: Sequence[str],
                unstored: Sequence[Target], health: Health,
                halted: bool = False) -> tuple[list[str], list[str]]:  # fmt: skip
    """Close the crawl's row with its outcome and counts. Returns (failures, drift):
    ``failures`` and each target that failed with no message of its own (a request that
    vanished), unless ``halted`` (one failure of the whole crawl stands for them all);
    drift: the markup-drift lines of a crawl that ran to its end ('finished').
    An archive that cannot take it is one more failure, not an exception: the crawl
    stays 'running' until a later one finds its process gone and marks it interrupted,
    its queued targets resumable."""
    failures = list(failures)
    drift: list[str] = []
    try:
        if status == "finished":  # a stopped crawl read too little to judge
            drift = store.record_health(db, crawl_id, health)
        store.finish_crawl(
            db, crawl_id, status=status, pages=pages, threads=threads, comments=comments,
            errors=len(failures), message="; ".join(failures) or None, failures=failures,
            unstored=unstored,
        )  # fmt: skip
        if not halted:
            failures += [f"{target_label(t)}: {why}" for t, why in
                         failed_targets(db, crawl_id) if why not in failures]  # fmt: skip
        search_auto.after_write(db)  # the search bands: bounded, and never fails the crawl
    except (sqlite3.Error, ArchiveError) as e:
        failures.append(f"could not record the end of crawl {crawl_id} in {db_path}: {e}")
    return failures, drift
