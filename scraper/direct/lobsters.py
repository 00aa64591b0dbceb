"""``linkthread crawl lobsters ID...`` of threads alone, without Scrapy.

A Lobsters thread is one request (``/s/ID.json``, through LINKTHREAD_LOBSTERS_BASE_URL),
and an unchanged one is not even parsed: for such a crawl Scrapy's imports and reactor
were most of the process's time (bench/recrawl.py). This reads each story as the
spider does (``scraper.spiders.lobsters``): the same URL, the same politeness
(``scraper.direct.pages``: robots.txt and its Crawl-delay, the shared host_pace,
back-off on 429/503 and soft errors, the honest user agent), the same soft-error check
(``check_body`` over the body's head), the same unchanged visit
(``lobsters_visit.unchanged_visit``: same page set, ``save_unchanged_thread``, no
parse), otherwise the parser and ``save_thread``, and stores through the shared runner
(``scraper.direct.run``), in one thread without an event loop (``scraper.direct.stop``:
one request at a time, as the spider asks a host). A listing, a profile, a comment
target, ``--resume``, ``-s`` or ``--ignore-robots`` needs the spider; ``scraper.cli``
sends those there.
"""

from __future__ import annotations

import gc
import logging
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from archive import sites
from archive.models import FetchedPage
from scraper.direct.pages import FetchFailed, Page, PageClient, RobotsRefused, SharedPace
from scraper.direct.run import DirectRun, crawl_threads, reparse_asked, serial_crawl, thread_run
from scraper.direct.stop import Stop
from scraper.spiders.args import attempt, retry_reason, split_args

if TYPE_CHECKING:
    import sqlite3

    from scraper.direct.run import Db

SITE = sites.LOBSTERS
logger = logging.getLogger(__name__)


def direct_threads(spider_args: dict[str, str]) -> list[str] | None:
    """The story ids of a crawl of stories alone, or None if it needs the spider."""
    if any(spider_args.get(k) for k in ("listings", "users", "comments")):
        return None
    base = SITE.configured_base_url()
    ids = [SITE.item_id(t, base_url=base) for t in split_args(spider_args.get("items", ""))]
    return list(dict.fromkeys(ids)) or None


def soft_error(body: bytes, encoding: str, url: str) -> str | None:
    """The spider's ``soft_error``: the head of a long JSON body, else the whole text."""
    from scraper.parsers.lobsters.errors import check_body
    from scraper.spiders.lobsters_visit import json_head

    text = json_head(body, encoding)
    if text is None:
        from w3lib.encoding import html_to_unicode

        text = html_to_unicode(f"charset={encoding}", body)[1]
    return retry_reason(lambda: check_body(text, url=url))


def read_story(db: Db, run: DirectRun, story_id: str, asked: str,
               page: Page, reparse: bool) -> list[Any]:  # fmt: skip
    """The records of one story's JSON, as the spider's ``parse_thread_page`` gives
    them, the page set of its latest crawl read from ``db``."""
    from archive import revisits
    from scraper.items import MergedStories, SeenUsers
    from scraper.spiders.lobsters_visit import parse_asked_story, unchanged_visit

    fetched = FetchedPage(site=SITE.name, url=page.url, fetched_at=datetime.now(UTC),
                          status=page.status, body=page.body)
    if not reparse:
        stored = partial(revisits.last_page_set, db, SITE.name, source="html")
        unchanged = unchanged_visit(SITE.name, asked, fetched, stored)
        if unchanged is not None:
            return unchanged
    from scraper.parsers import lobsters

    label = run.label(story_id)
    read = attempt(label, fetched, lambda: parse_asked_story(
        page.text(), asked=asked, answered=page.url, story_id=story_id,
        fetched_at=fetched.fetched_at), run.fail)
    if not isinstance(read, lobsters.StoryPage):
        return [] if read is None else [read]  # as the spider yields it
    records: list[Any] = []
    if read.users:
        records.append(SeenUsers(users=read.users, fetched_at=fetched.fetched_at))
    if read.merged:
        records.append(MergedStories(stories=read.merged, fetched_at=fetched.fetched_at))
    records.append(replace(read.thread, pages=(fetched,)))
    return records


def crawl(run: DirectRun) -> None:
    reparse = reparse_asked()
    base = SITE.configured_base_url()

    def body(db: sqlite3.Connection, stop: Stop) -> None:
        with PageClient(SharedPace(db), soft_error, stop=stop) as client:

            def visit(story_id: str) -> list[Any] | None:
                url = SITE.item_url(story_id, base_url=base, json=SITE.json_pages)
                try:
                    page = client.get(url)
                except RobotsRefused as e:
                    if SITE.politeness.robots_forbids:
                        run.halt(robots_halt(e.reason))
                        return None
                    run.fail(run.label(story_id), str(e))
                    return []
                except FetchFailed as e:
                    run.fail(run.label(story_id), str(e))
                    return []
                finally:
                    run.requests = client.requests
                return read_story(db, run, story_id, url, page, reparse)

            crawl_threads(run, db, stop, visit)
    serial_crawl(run, body)


def robots_halt(reason: str) -> str:
    """The spider's one line for a site that asks unnamed crawlers not to crawl it."""
    return (f"{SITE.name}: {reason}. {SITE.label} asks not to be crawled: import pages you "
            f"saved with `linkthread import PATH`, or, with the site's permission, "
            f"`linkthread crawl {SITE.name} ... --ignore-robots`")


def crawl_direct(spider_args: dict[str, str], *, db: str, pages: int, threads: bool,
                 log_level: str) -> DirectRun | None:  # fmt: skip
    """``crawl lobsters`` of stories alone, in this thread; None, having done nothing,
    if the crawl needs the spider."""
    from archive.cli import _user_errors

    story_ids = direct_threads(spider_args)
    if story_ids is None:
        return None
    run = thread_run(SITE.name, story_ids, db=db, pages=pages, threads=threads,
                     log_level=log_level)
    gc.freeze()  # what is built by now lives as long as the crawl
    with _user_errors():
        crawl(run)
    return run
