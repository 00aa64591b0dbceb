"""Reddit's API listings (``/r/SUB/hot`` ...) and profiles (``/user/NAME/about``). Pure.

A listing page is ``{"kind": "Listing", "data": {"children": [t3 ...], "after": ...}}``.
Reddit numbers no pages: the next one is asked for with ``after=<last fullname>``, and
``count=<rows seen so far>`` tells Reddit (and here the ranks) where it starts. So the
URL of a page says its place: ranks are ``count + 1`` on, page ``count // limit + 1``,
and ``next_url`` carries both on (None when ``after`` is null: the end, or Reddit's cap
of about 1,000 rows a listing; ``reached_cap`` says which).

A profile is a ``t2``: karma (``total_karma``, else link + comment karma), creation time,
the about text (its profile subreddit's ``public_description``). A suspended account
answers ``{"name": ..., "is_suspended": true}`` and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from archive.models import Listing, ListingEntry, User
from archive.sites import REDDIT, TargetError
from scraper.parsers.errors import ParseError, parser_entry
from scraper.parsers.integers import beyond, keep_beyond, stored_int
from scraper.parsers.reddit.errors import SITE, read_json
from scraper.parsers.reddit.post_rows import post_entry
from scraper.parsers.reddit.things import epoch
from scraper.parsers.values import number

LISTING_CAP = 1000  # Reddit serves about this many rows of a listing, then no "after"
DEFAULT_LIMIT = 25
_USER_EXTRA = ("link_karma", "comment_karma", "awardee_karma", "awarder_karma",
               "is_employee", "is_mod", "is_gold", "verified", "has_verified_email",
               "is_suspended", "icon_img")


def listing_name(url: str) -> str:
    """The listing a URL asks for, as the registry names it (``r/python/top?t=week``);
    a path the grammar does not know (``/user/NAME/submitted``) as it is."""
    parts = urlsplit(url)
    path = parts.path.removesuffix(".json").strip("/")
    period = parse_qs(parts.query).get("t", [""])[0]
    try:
        return REDDIT.listing(f"{path}?t={period}" if period else path)
    except TargetError:
        return path or "front"


def _place(url: str) -> tuple[int, int]:
    """(rows before this page, rows a page holds) from the URL's count and limit."""
    query = parse_qs(urlsplit(url).query)
    count = query.get("count", ["0"])[0]
    limit = query.get("limit", [str(DEFAULT_LIMIT)])[0]
    rows, size = number(count), number(limit)
    return rows or 0, size if size else DEFAULT_LIMIT


def next_page_url(url: str, after: str, seen: int) -> str:
    """The URL of the page after ``url``: ``after`` and the rows ``seen`` so far."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()
             if k not in ("after", "before", "count")}
    query.update(after=after, count=str(seen))
    return urlunsplit(parts._replace(query=urlencode(query)))


@parser_entry(SITE)
def parse_listing(body: str, *, url: str, fetched_at: datetime, source: str = "api") -> Listing:
    """One page of an API listing: its posts ranked across pages, the next page's URL.
    (``source`` is the Listing's: a row's entry is the same whatever read it.)"""
    obj = read_json(body, url=url)
    data = obj.get("data") if isinstance(obj, Mapping) and obj.get("kind") == "Listing" \
        else None
    children = data.get("children") if isinstance(data, Mapping) else None
    if not isinstance(data, Mapping) or not isinstance(children, list):
        raise ParseError(SITE, url, "not a listing (no Listing of posts)")
    before, limit = _place(url)
    _refuse_comments(children, url)
    entries: list[ListingEntry] = []
    for thing in children:
        if not isinstance(thing, Mapping) or thing.get("kind") != "t3" or \
                not isinstance(thing.get("data"), Mapping):
            raise ParseError(SITE, url, "a listing row that is not a post (t3)")
        entry = post_entry(thing["data"], before + len(entries) + 1)
        if entry is None:
            raise ParseError(SITE, url, f"row {len(entries) + 1} has no id")
        entries.append(entry)
    after = data.get("after")
    seen = before + len(entries)
    return Listing(
        site=SITE, name=listing_name(url), page=before // limit + 1, url=url,
        fetched_at=fetched_at, entries=tuple(entries),
        next_url=next_page_url(url, after, seen) if isinstance(after, str) and after
        else None, source=source)


_OF_COMMENTS = ("comments", "overview")  # the listings of comments: r/SUB/, user/NAME/


def _refuse_comments(children: list[Any], url: str) -> None:
    """The one line for a listing of comments (``r/SUB/comments``, a user's comments,
    overview or saved page): a comment alone has no place in its thread's tree."""
    kinds = [t.get("kind") for t in children if isinstance(t, Mapping)]
    comments, posts = kinds.count("t1"), kinds.count("t3")
    # An empty page of a listing that holds comments is no listing of posts either.
    named = urlsplit(url).path.removesuffix(".json").rstrip("/").rsplit("/", 1)[-1] in \
        _OF_COMMENTS
    if not comments and not (named and not posts):
        return
    held = f"{comments} comment(s)" + (f" and {posts} post(s)" if posts else "")
    raise ParseError(SITE, url, f"a listing of comments ({held}), not of posts: a comment "
                                "alone has no place in its thread's tree, so its thread is "
                                "what to archive (crawl the user with --threads, or import "
                                "the threads' /comments/ID pages)")


def reached_cap(listing: Listing) -> bool:
    """Whether a listing ended because Reddit serves no more than ~1,000 rows of it."""
    last = listing.entries[-1].rank if listing.entries else 0
    return listing.next_url is None and last >= LISTING_CAP - 5


@parser_entry(SITE)
def parse_user(body: str, *, url: str, fetched_at: datetime, source: str = "api") -> User:
    """A profile (``/user/NAME/about``, a ``t2``)."""
    obj = read_json(body, url=url)
    data: Any = obj.get("data") if isinstance(obj, Mapping) else None
    if not isinstance(obj, Mapping) or obj.get("kind") != "t2" or not isinstance(data, Mapping):
        raise ParseError(SITE, url, "not a user profile (no t2)")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise ParseError(SITE, url, "a profile without a name")
    created_at, created_raw = epoch(data.get("created_utc"))
    total = data.get("total_karma")
    karma = stored_int(total)
    if karma is None and not beyond(total):
        parts = [stored_int(data.get(k)) for k in ("link_karma", "comment_karma")]
        karma = stored_int(sum(p for p in parts if p is not None)) if any(
            p is not None for p in parts) else None
    sub = data.get("subreddit")
    about = sub.get("public_description") if isinstance(sub, Mapping) else None
    extra = keep_beyond({k: data[k] for k in _USER_EXTRA if k in data}, total_karma=total)
    return User(site=SITE, id=name, created_at=created_at, created_at_raw=created_raw,
                karma=karma, about=about if isinstance(about, str) and about else None,
                extra=extra or None, source=source)
