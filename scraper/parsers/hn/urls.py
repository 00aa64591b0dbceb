"""The URLs of an HN item page: the story id its URL names, its next page's URL."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit, urlunsplit

from scraper.parsers.values import is_id, join_url

SITE = "hn"


def url_story_id(url: str) -> str | None:
    """The ``id`` of an item URL, if it is one."""
    ids = parse_qs(urlsplit(url).query).get("id", [])
    return ids[0] if ids and is_id(ids[0]) else None


def next_url(url: str, href: str, story_id: str) -> str:
    """The next page's absolute URL. A bare ``?p=2`` resolves against ``item?id=N`` to
    ``item?p=2``, which names no item: the page means the same thread, so keep its id."""
    absolute = join_url(url, href, site=SITE, what="the More link")
    parts = urlsplit(absolute)
    query = parse_qs(parts.query)
    if parts.path.endswith("/item") and "id" not in query:
        absolute = urlunsplit(parts._replace(query=f"id={story_id}&{parts.query}"))
    return absolute
