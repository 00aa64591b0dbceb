"""A concurrent client of Hacker News' official API (Firebase, ``/v0/item/N.json``).

asyncio with aiohttp: one event loop on one core keeps ~64 requests in flight for a few
hundred microseconds of CPU each, which is what 1,000 items/s at 50 ms latency takes
(a thread per request, or Scrapy's one-slot-per-domain politeness, cannot).

* Connections are bounded (``concurrency``, LINKTHREAD_HN_API_CONCURRENCY, default 64):
  aiohttp's connector never opens more, and requests beyond it wait for one.
* A 5xx, a dropped connection, a truncated body or a timeout is retried with an
  exponential back-off (``retries`` times); a 4xx or a body that is not JSON is an
  :class:`ApiError` at once, as retrying it would give the same answer.
* Bodies are capped (LINKTHREAD_MAX_BODY, as crawls are), decompressed size included.
* The user agent is the crawl's honest one (scraper.settings.USER_AGENT), and the API
  host's robots.txt is read before the first request and obeyed (``robots``; see
  :mod:`scraper.hnapi.robots`): a URL it forbids is an :class:`ApiError`, never asked.
* ``requests`` counts every request sent to the API, retries included (robots.txt's own
  are ``robots_requests``); ``retried`` the retries.

Use it as an async context manager::

    async with ApiClient.from_env() as api:
        async for item_id, item in api.fetch_items(range(1, 101)):
            ...
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
from yarl import URL

from archive import sites_hn
from scraper.hnapi.robots import MAX_AGE, Rules, origin_of, robots_url
from scraper.parsers.jsonload import loads
from scraper.settings import DEFAULT_MAX_BODY, USER_AGENT

Item = dict[str, Any]


class ApiError(Exception):
    """A request that failed for good: one line naming the URL and why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Tree:
    """A thread as :meth:`ApiClient.fetch_tree` found it: the root item and every item
    reached through ``kids`` (``None`` for an id the API answered ``null`` for)."""

    root_id: int
    items: dict[int, Item | None]

    @property
    def root(self) -> Item | None:
        return self.items.get(self.root_id)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name) or ""
    try:
        value = int(raw) if raw.strip() else default
    except ValueError as e:
        raise ValueError(f"{name} must be a whole number, e.g. {default}") from e
    if value < 1:
        raise ValueError(f"{name} must be at least 1")
    return value


class ApiClient:
    """See the module docstring. Not shared between event loops."""

    def __init__(self, base_url: str = sites_hn.API_URL, *,
                 concurrency: int = sites_hn.API_CONCURRENCY, max_body: int = DEFAULT_MAX_BODY,
                 retries: int = 6, timeout: float = 30.0, backoff: float = sites_hn.API_BACKOFF,
                 user_agent: str = USER_AGENT, robots: bool = True) -> None:  # fmt: skip
        self.base_url = base_url.rstrip("/")
        self.robots = robots
        self.concurrency = concurrency
        self.max_body = max_body
        self.retries = retries
        self.timeout = timeout
        self.backoff = backoff
        self.user_agent = user_agent
        self.requests = 0
        self.robots_requests = 0
        self.retried = 0
        self._session: aiohttp.ClientSession | None = None
        self._rules: asyncio.Task[Rules] | None = None  # the reading of robots.txt
        self._read: Rules | None = None  # its result

    @classmethod
    def from_env(cls, base_url: str | None = None, concurrency: int | None = None,
                 **kwargs: Any) -> ApiClient:
        """Settings from the environment: LINKTHREAD_HN_API_URL,
        LINKTHREAD_HN_API_CONCURRENCY, LINKTHREAD_HN_API_BACKOFF, LINKTHREAD_MAX_BODY
        (arguments win)."""
        url = base_url or os.environ.get(sites_hn.API_URL_SETTING) or sites_hn.API_URL
        if concurrency is None:
            concurrency = _env_int(sites_hn.API_CONCURRENCY_SETTING, sites_hn.API_CONCURRENCY)
        kwargs.setdefault("max_body", _env_int("LINKTHREAD_MAX_BODY", DEFAULT_MAX_BODY))
        raw = os.environ.get(sites_hn.API_BACKOFF_SETTING) or ""
        try:
            kwargs.setdefault("backoff", float(raw) if raw.strip() else sites_hn.API_BACKOFF)
        except ValueError as e:
            raise ValueError(f"{sites_hn.API_BACKOFF_SETTING} must be a number of seconds, "
                             f"e.g. {sites_hn.API_BACKOFF}") from e
        return cls(url, concurrency=concurrency, **kwargs)

    async def __aenter__(self) -> ApiClient:
        connector = aiohttp.TCPConnector(limit=self.concurrency, limit_per_host=self.concurrency,
                                         ttl_dns_cache=300)  # fmt: skip
        self._session = aiohttp.ClientSession(
            connector=connector, headers={"User-Agent": self.user_agent},
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            json_serialize=json.dumps, raise_for_status=False,
            # The API sets no cookies worth keeping; the jar's work is per request.
            cookie_jar=aiohttp.DummyCookieJar(),
        )  # fmt: skip
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._rules is not None and not self._rules.done():
            self._rules.cancel()
            await asyncio.gather(self._rules, return_exceptions=True)
        self._rules = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- one request -----------------------------------------------------------

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path}"

    async def get(self, path: str) -> Any:
        """The decoded JSON at ``path`` (e.g. ``item/8863.json``); None for ``null``."""
        url = self.url(path)
        if self.robots:
            refused = (await self.rules()).refusal(url, self.user_agent)
            if refused is not None:
                raise ApiError(refused)
        status, body = await self._fetch(url)
        if status >= 400:
            raise ApiError(f"{url}: HTTP {status}")
        return _decode(body, url)

    async def rules(self) -> Rules:
        """The API host's robots.txt as last read: read by the first caller, shared by
        the callers meanwhile (one request), read again once :data:`MAX_AGE` old or
        after a reading that failed."""
        rules = self._read
        if rules is not None and time.monotonic() - rules.read_at <= MAX_AGE:
            return rules
        if self._rules is None or self._rules.done():
            self._rules = asyncio.ensure_future(self._read_rules())
        # Shielded: one caller cancelled (a stopped tree) must not cancel the others' read.
        rules = self._read = await asyncio.shield(self._rules)
        return rules

    async def _read_rules(self) -> Rules:
        url = robots_url(self.base_url)
        try:
            status, body = await self._fetch(url, robots=True)
        except ApiError as e:
            raise ApiError(f"{e}: robots.txt of {origin_of(url)} could not be read, so "
                           "nothing is asked of the API until it can be") from None
        return Rules.read(origin_of(url), status, body, time.monotonic())

    async def _fetch(self, url: str, *, robots: bool = False) -> tuple[int, bytes]:
        """(status, body) of a GET below 500; 5xx and broken transfers are retried.
        ``robots``: counted as robots.txt's request, not the API's."""
        if self._session is None:
            raise RuntimeError("ApiClient is used outside `async with`")
        # Built as already encoded: yarl's parsing and quoting of every URL was a tenth
        # of the CPU of a request, and the paths asked for are plain ASCII.
        target = URL(url, encoded=True)
        for attempt in range(self.retries + 1):
            if robots:
                self.robots_requests += 1
            else:
                self.requests += 1
            try:
                async with self._session.get(target) as resp:
                    if resp.status < 500:
                        return resp.status, await self._body(resp, url)
                    why = f"HTTP {resp.status}"
            except (TimeoutError, aiohttp.ClientConnectionError,
                    aiohttp.ClientPayloadError) as e:  # fmt: skip
                why = type(e).__name__
            if attempt == self.retries:
                raise ApiError(f"{url}: {why}, {self.retries + 1} attempts")
            self.retried += 1
            await asyncio.sleep(min(self.backoff * 2**attempt, 30.0))
        raise AssertionError("unreachable")

    async def _body(self, resp: aiohttp.ClientResponse, url: str) -> bytes:
        length = resp.content_length
        if length is not None and length > self.max_body:
            raise ApiError(f"{url}: {length} bytes is over the cap (LINKTHREAD_MAX_BODY)")
        if length is not None and "Content-Encoding" not in resp.headers:
            return await resp.read()
        # Compressed or of unknown length: counted as it is decompressed.
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(1 << 16):
            size += len(chunk)
            if size > self.max_body:
                raise ApiError(f"{url}: over {self.max_body} bytes (LINKTHREAD_MAX_BODY)")
            chunks.append(chunk)
        return b"".join(chunks)

    # -- what the API serves -----------------------------------------------------

    async def item(self, item_id: int) -> Item | None:
        value = await self.get(f"item/{item_id}.json")
        if value is not None:
            why = _not_the_item(value, item_id)
            if why is not None:
                raise ApiError(f"{self.url(f'item/{item_id}.json')}: {why}")
        return value

    async def user(self, name: str) -> Item | None:
        value = await self.get(f"user/{quote(name, safe='')}.json")
        return value if isinstance(value, dict) else None

    async def maxitem(self) -> int:
        value = await self.get("maxitem.json")
        if not isinstance(value, int):
            raise ApiError(f"{self.url('maxitem.json')}: not a number")
        return value

    async def updates(self) -> tuple[list[int], list[str]]:
        """(changed item ids, changed profile names), as ``updates.json`` lists them."""
        value = await self.get("updates.json") or {}
        if not isinstance(value, dict):
            raise ApiError(f"{self.url('updates.json')}: not an object")
        items, profiles = value.get("items") or [], value.get("profiles") or []
        if not isinstance(items, list) or not isinstance(profiles, list):
            raise ApiError(f"{self.url('updates.json')}: its items or profiles are no list")
        return [i for i in items if _is_id(i)], [p for p in profiles if isinstance(p, str)]

    async def story_ids(self, listing: str) -> list[int]:
        """The ids of ``topstories``, ``newstories``, ... (sites_hn.API_LISTS), in order."""
        if listing not in sites_hn.API_LISTS:
            raise ValueError(f"{listing!r} is not one of {', '.join(sites_hn.API_LISTS)}")
        value = await self.get(f"{listing}.json") or []
        if not isinstance(value, list):
            raise ApiError(f"{self.url(f'{listing}.json')}: not a list of item ids")
        return [i for i in value if _is_id(i)]

    async def fetch_items(self, ids: Iterable[int], *, window: int | None = None,
                          stop: asyncio.Event | None = None,
                          ) -> AsyncIterator[tuple[int, Item | None]]:
        """(id, item or None) for every id, in the order given, fetched concurrently.

        At most ``window`` (default 4x the connections) requests are started ahead of
        the one to yield next: enough that one slow retry does not empty the pipe,
        few enough that memory stays flat over any range. Once ``stop`` is set it
        yields nothing more, even while a request hangs (a clean stop is prompt)."""
        ahead = window or 4 * self.concurrency
        pending: deque[tuple[int, asyncio.Task[Item | None]]] = deque()
        stopper = asyncio.ensure_future(stop.wait()) if stop is not None else None
        source = iter(ids)
        try:
            while True:
                for item_id in source:
                    pending.append((item_id, asyncio.ensure_future(self.item(item_id))))
                    if len(pending) >= ahead:
                        break
                if not pending:
                    return
                first, task = pending.popleft()
                if stopper is not None and not task.done():
                    await asyncio.wait((task, stopper), return_when=asyncio.FIRST_COMPLETED)
                    if not task.done():
                        pending.appendleft((first, task))
                        return
                yield first, await task
        finally:
            for _, task in pending:
                task.cancel()
            if stopper is not None:
                stopper.cancel()
            if pending:
                await asyncio.gather(*(t for _, t in pending), return_exceptions=True)

    async def fetch_tree(self, root_id: int) -> Tree:
        """The item ``root_id`` and everything under it, breadth-first through ``kids``:
        each item's kids are queued as soon as it arrives, and ``concurrency`` workers
        take the queue in order, so the connections stay busy across levels. A null,
        deleted or dead item is kept in ``items`` (None for null); a null item has no
        kids to follow. Each id is asked for once, whatever lists it."""
        items: dict[int, Item | None] = {}
        queued = {root_id}
        todo: asyncio.Queue[int] = asyncio.Queue()
        todo.put_nowait(root_id)
        whole = asyncio.get_running_loop().create_future()
        left = 1  # ids queued or being fetched

        async def worker() -> None:
            nonlocal left
            while True:
                item_id = await todo.get()
                item = items[item_id] = await self.item(item_id)
                for kid in _kids(item):
                    if kid not in queued:
                        queued.add(kid)
                        todo.put_nowait(kid)
                        left += 1
                left -= 1
                if not left:
                    whole.set_result(None)

        # One worker per connection, each with one request at a time: the client's bound
        # without a task per item waiting in aiohttp's connector.
        workers = [asyncio.ensure_future(worker()) for _ in range(self.concurrency)]
        try:
            await asyncio.wait([whole, *workers], return_when=asyncio.FIRST_COMPLETED)
            for task in workers:
                if task.done():
                    task.result()  # a worker's error (ApiError), raised here
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        return Tree(root_id=root_id, items=items)


def _is_id(value: object) -> bool:
    return type(value) is int and value > 0  # bool is an int too


def _not_the_item(value: object, item_id: int) -> str | None:
    """Why an answer is not item ``item_id`` as the API writes one, or None. Each field
    the tree is walked and placed by is checked: an answer naming another id was stored
    as that item (a ``True`` id as a comment "True"), and kids that were no list of ids
    ("101", 102.0) were dropped, leaving a thread stored whole without them."""
    if not isinstance(value, dict):
        return "not an item"
    if value.get("id") != item_id or not _is_id(value.get("id")):
        return f"an answer for item {str(value.get('id'))[:40]!r}, not {item_id}"
    kids = value.get("kids")
    if kids is not None and not (isinstance(kids, list) and all(map(_is_id, kids))):
        return "its 'kids' are not a list of item ids"
    return None


def _kids(item: Item | None) -> list[int]:
    kids: list[int] = (item or {}).get("kids") or []
    return kids


def _decode(body: bytes, url: str) -> Any:
    try:
        return loads(body)
    except ValueError as e:
        raise ApiError(f"{url}: the body is not JSON ({e})") from None
