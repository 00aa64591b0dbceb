"""Hacker News, as the registry (``archive.sites``) knows it."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qs

from archive.site import Politeness, Site, TargetError

# -- Hacker News -------------------------------------------------------------------

_HN_ID = re.compile(r"[1-9][0-9]{0,11}")
_HN_DAY = re.compile(r"front\?day=(\d{4}-\d{2}-\d{2})")
_HN_USER = re.compile(r"[A-Za-z0-9_-]{2,15}")


def _real_day(word: str) -> bool:
    match = _HN_DAY.fullmatch(word)
    if match is None:
        return False
    try:
        date.fromisoformat(match.group(1))
    except ValueError:  # 2026-13-01, 2026-02-30
        return False
    return True


class HackerNews(Site):
    """HN: numeric item ids (stories and comments share them), ``/item?id=``."""

    __slots__ = ()  # Site's fields and methods; no field of its own

    def looks_like_listing(self, word: str) -> bool:
        return word in self.listings or word.startswith("front?")

    def item_id(self, word: str, *, base_url: str | None = None) -> str:
        word = word.strip()
        if _HN_ID.fullmatch(word):
            return word
        parts = self._on_site(word, base_url)
        ids = parse_qs(parts.query).get("id", []) if parts is not None else []
        if parts is not None and parts.path == "/item" and ids and _HN_ID.fullmatch(ids[0]):
            return ids[0]
        raise TargetError(f"{word!r} is not a Hacker News item id or item URL "
                          f"(an item URL is on {self.hosts[0]} or the base URL's host)")

    def listing(self, word: str) -> str:
        """``news`` is ``front``; ``front?day=D`` needs a real date."""
        word = word.strip()
        if word in self.listings:
            return "front" if word == "news" else word
        if _real_day(word):
            return word
        raise TargetError(f"{word!r} is not a Hacker News listing ({self.listing_forms()})")

    def listing_forms(self) -> str:
        return ", ".join((*self.listings, "front?day=YYYY-MM-DD"))

    def listing_path(self, name: str) -> str:
        """"front" is the front page, requested as /news."""
        name = self.listing(name)
        return "news" if name == "front" else name

    def snapshot_name(self, name: str) -> str:
        """``news``, or ``front/D`` for a day (each day is its own listing)."""
        return "news" if name in ("front", "news") else name.replace("?day=", "/")

    def user_name(self, word: str) -> str:
        if not _HN_USER.fullmatch(word.strip()):
            raise TargetError(f"{word.strip()!r} is not a Hacker News user name"
                              if word.strip() else "'user' needs a user name after it")
        return word.strip()

    def item_url(self, item_id: str, *, base_url: str | None = None, json: bool = False) -> str:
        self._no_json(json)
        return f"{self._base(base_url)}/item?id={item_id}"

    def comment_url(self, story_id: str, comment_id: str, *,
                    base_url: str | None = None) -> str:
        return self.item_url(comment_id, base_url=base_url)  # a comment is an item

    def user_url(self, name: str, *, base_url: str | None = None, json: bool = False) -> str:
        self._no_json(json)
        return f"{self._base(base_url)}/user?id={name}"

    def listing_url(self, name: str, page: int = 1, *, base_url: str | None = None,
                    json: bool = False) -> str:
        self._no_json(json)
        path = self.listing_path(name)
        more = "" if page <= 1 else ("&" if "?" in path else "?") + f"p={page}"
        return f"{self._base(base_url)}/{path}{more}"


# -- Hacker News' official API (Firebase) -------------------------------------------
# Its host's robots.txt allows /*.json and it publishes no rate limit; the client keeps
# a bounded number of connections open (LINKTHREAD_HN_API_CONCURRENCY) all the same.
# 64: one request per item at a ~50 ms round trip gives 20 items/s a connection, so
# 1,000 items/s (the aim for a backfill) takes 50 of them, 64 some room for
# slower round trips and retries; a 1,000-comment thread's fetch alone is 1.6 s at 32
# connections, 0.8 s at 64 (bench/hn_api.py).

API_URL = "https://hacker-news.firebaseio.com/v0"
API_URL_SETTING = "LINKTHREAD_HN_API_URL"
API_CONCURRENCY = 64
API_CONCURRENCY_SETTING = "LINKTHREAD_HN_API_CONCURRENCY"
# Items per transaction of a backfill or follow: few enough to lose little to a kill.
API_BATCH = 500
# Seconds before the first retry of a failed request (5xx, dropped, timeout); doubling.
API_BACKOFF = 0.25
API_BACKOFF_SETTING = "LINKTHREAD_HN_API_BACKOFF"
# Seconds between two looks of `linkthread follow hn` at maxitem and updates.
FOLLOW_INTERVAL = 30.0
FOLLOW_INTERVAL_SETTING = "LINKTHREAD_HN_FOLLOW_INTERVAL"
# The id lists the API publishes, by the name of their file (topstories.json, ...).
API_LISTS = ("topstories", "newstories", "beststories", "askstories", "showstories",
             "jobstories")


HN = HackerNews(
    name="hn",
    label="Hacker News",
    base_url="https://news.ycombinator.com",
    base_url_setting="LINKTHREAD_HN_BASE_URL",
    hosts=("news.ycombinator.com",),
    listings=("front", "news", "newest", "ask", "show", "jobs", "best"),
    politeness=Politeness(crawl_delay=30.0, min_delay=30.0,
                          note="robots.txt asks for a Crawl-delay of 30 s"),
    api_url=API_URL,
    api_url_setting=API_URL_SETTING,
)
