"""A Reddit re-crawl that finds its thread's answers as the latest crawl read them.

The thread's first answer has the body its latest crawl read (``stored_pages``, the
page set ``thread_crawls`` keeps): the spider then asks for the URLs that crawl asked
for, in its order, and places none of the answers while each comes back with its
body. The same answers hold the same stubs, so once the last one matches nothing is
left to ask: the thread is an ``UnchangedThread``, stored as O(1) rows. The first
answer that differs (or fails) has the answers so far placed by
``reddit_stubs.replay``, as if the crawl had read each of them, and the expansion goes
on from there. A latest crawl that left stubs unexpanded has no page set to follow
(``archive.revisits.last_page_set``), nor does one whose requests exceed this crawl's
``--max-requests``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from archive.revisits import PageSet, page_set
from scraper.items import FailedPage, UnchangedThread
from scraper.parsers.errors import ParseError
from scraper.spiders.reddit_stubs import Expansion, replay

if TYPE_CHECKING:
    from scrapy.http import Response

    from scraper.spiders.reddit import RedditSpider


def expected_pages(spider: RedditSpider, story_id: str) -> PageSet | None:
    """The answers the thread's latest crawl read, unless this crawl would stop short."""
    if spider.stored_pages is None or spider.reparse:
        return None
    found = spider.stored_pages(story_id)
    if found is None or (spider.max_requests is not None
                         and len(found) - 1 > spider.max_requests):
        return None
    return found


def follow(spider: RedditSpider, state: Expansion) -> Iterator[Any]:
    """The next answer the latest crawl read; once all came back so, the visit."""
    assert state.expected is not None
    if len(state.pages) == len(state.expected):
        yield UnchangedThread(site=spider.site, story_id=state.story_id, pages=state.pages)
        return
    url = state.expected[len(state.pages)][0]
    morechildren = urlsplit(url).path.endswith("/api/morechildren")
    yield from spider.send(spider.expansion_request(url, state, None, morechildren))


def followed(spider: RedditSpider, response: Response | None,
             state: Expansion) -> Iterator[Any]:
    """An answer while following: on, if it is the latest crawl's; else (changed, or
    failed: None) the answers so far are placed and the expansion goes on."""
    if response is not None and response.status < 400:
        fetched = spider.fetched(response)
        state = replace(state, pages=(*state.pages, fetched),
                        unread=(*state.unread, response.text))
        assert state.expected is not None
        if state.expected[len(state.pages) - 1] == page_set((fetched,))[0]:
            yield from follow(spider, state)
            return
    try:
        state, refused = replay(state, sort=spider.sort,
                                url_of=lambda c: spider.api(c.path, **c.params))
    except ParseError as e:  # the first answer, which read before, reads no longer
        spider.fail(state.label, e.reason)
        for f in state.pages:
            yield FailedPage(page=f, error=str(e), story_id=state.story_id)
        return
    for page, error in refused:
        yield FailedPage(page=page, error=str(error), story_id=state.story_id)
    yield from spider.expand(state)
