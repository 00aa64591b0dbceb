"""The API half of an HN crawl ``--via api|both``: thread trees fetched through the one
Firebase client (``scraper.hnapi.client``), on whatever asyncio loop runs the crawl.

In a spider's crawl that is Scrapy's asyncio reactor, so the client's coroutines run on
the same event loop as the crawl: a tree's requests go out the moment its thread is
scheduled, many at once, while the item pages keep the site's polite pace. The API's
requests never pass through Scrapy's downloader, so the pages' Crawl-delay (a limit of
the site's host, not of the API's, which publishes none and whose robots.txt allows
``/*.json``, read and obeyed by the client) cannot throttle them; the client keeps its
own bound on connections instead. A crawl of API threads alone runs on a plain loop,
without Scrapy (``scraper.hnapi.crawl``), through this same class.

``ApiTrees`` holds one client for the whole crawl and one task per thread, started by
:meth:`ApiTrees.start` and read by :meth:`ApiTrees.thread`. Nothing here imports Scrapy.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from scraper.parsers.errors import ParseError

# The client (aiohttp) and the API's parser are imported when a tree is first asked
# for: a crawl of pages alone (--via html, and every site without an API) needs neither.
if TYPE_CHECKING:
    from archive.models import Thread
    from scraper.hnapi.client import ApiClient, Tree

logger = logging.getLogger(__name__)

VIAS = ("api", "html", "both")
VIA_SETTING = "LINKTHREAD_HN_VIA"
DEFAULT_VIA = "both"


class ApiFailed(Exception):
    """A thread the API could not give; the message is one line for the user."""


class ApiTrees:
    """One Firebase client and the tree fetches of one crawl."""

    def __init__(self, api_url: str, concurrency: int | None = None, *, robots: bool = True,
                 client: ApiClient | None = None) -> None:  # fmt: skip
        """``client``: the one to use (not yet entered), else one made from the arguments
        and the environment when the first tree starts."""
        self.api_url = api_url
        self.concurrency = concurrency
        self.robots = robots
        self.made = client
        self.client: ApiClient | None = None
        self._opened: asyncio.Future[ApiClient] | None = None
        self.tasks: dict[str, asyncio.Task[Tree]] = {}

    async def _client(self) -> ApiClient:
        # Opened once, by whichever fetch comes first: a session belongs to the loop
        # that runs the crawl, which exists only once the reactor runs.
        if self._opened is None:
            from scraper.hnapi.client import ApiClient

            client = self.made or ApiClient.from_env(
                base_url=self.api_url, concurrency=self.concurrency, robots=self.robots)
            self._opened = asyncio.ensure_future(client.__aenter__())
        self.client = await self._opened
        return self.client

    async def _tree(self, story_id: str) -> Tree:
        client = await self._client()
        return await client.fetch_tree(int(story_id))

    def start(self, story_id: str) -> None:
        """Begin fetching a thread's tree (once per crawl); called from a callback."""
        if story_id not in self.tasks:
            self.tasks[story_id] = asyncio.ensure_future(self._tree(story_id))

    async def thread(self, story_id: str) -> Thread:
        """The thread as the API gives it (source "api"); ApiFailed if it cannot."""
        from scraper.hnapi.client import ApiError

        # Imported when a tree is whole, not with the module: a crawl of API threads
        # alone imports the parsers while its first requests are in flight.
        from scraper.parsers.hn.api import tree_to_thread

        self.start(story_id)
        try:
            tree = await self.tasks.pop(story_id)
        except ApiError as e:
            raise ApiFailed(f"the API did not give the thread: {e}") from None
        root = tree.root
        if root is None:
            raise ApiFailed(f"the API has no item {story_id} ({self.api_url})")
        try:
            thread = tree_to_thread(root, tree.items, fetched_at=datetime.now(UTC),
                                    url=f"{self.api_url}/item/{story_id}.json")
        except ParseError as e:
            raise ApiFailed(e.reason) from None
        declared, found = thread.story.comment_count, len(thread.comments)
        if declared is not None and found < declared:
            # Stored all the same: thread_crawls keeps declared against what was found,
            # and `linkthread gaps` lists the shortfall.
            logger.info("hn item %s: the API declares %d comments; %d fetched",
                        story_id, declared, found)
        return thread

    async def close(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        self.tasks.clear()
        if self.client is not None:
            await self.client.__aexit__(None, None, None)
            self.client = None

    @property
    def requests(self) -> int:
        return self.client.requests if self.client is not None else 0
