"""Reddit pages saved to files: the API's JSON answers (a comments response, a listing,
a profile; a ``.json`` URL of the site gives the same objects) and the HTML of
old.reddit comment pages and listings and of the redesign's comment pages, all through
the parsers a crawl uses (``scraper.parsers.reddit``).

Which kind a file is comes from its shape alone. A comments response names its post;
an old.reddit page states its URL (``<link rel="canonical">``). A JSON listing says
nothing of which listing it is (its sort, its period), so it needs its URL: a mirror's
file name or ``--url``. A ``/api/morechildren`` answer is a piece of a thread that
only the thread's other answers can place: it names its thread (each comment's
``link_id``), and ``join`` places it after that thread's comments response, found
among the files or kept by the archive, as a crawl places it (``ThreadPages``). A
"continue this thread" page (``/comments/ID/_/PARENT``) is joined the same way when
its thread's first page is there, else it is a thread of its own as before. A
thread's comments left in stubs are its ``unexpanded`` count, which ``gaps`` reports.
The community dumps (NDJSON, zstd) are not pages: their own importer reads them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from archive.models import Thread
from archive.sites import REDDIT, Site
from scraper.importers.pages import Kind, NotImportable, Parsed
from scraper.parsers.errors import ParseError
from scraper.parsers.jsonload import loads
from scraper.parsers.reddit import errors, html, listing
from scraper.parsers.reddit.answers import CONTINUE_ID
from scraper.parsers.reddit.things import unprefixed
from scraper.parsers.reddit.thread import ThreadPages
from scraper.spiders.reddit_stubs import held

_OLD = re.compile(r"""class=["'][^"']*\bthing\b[^"']*["'][^>]*data-fullname=["']t3_""")
_OLD_COMMENTS = re.compile(r"""data-type=["']comment["']|class=["']commentarea""")
_NEW = re.compile(r"""class=["']Comment t1_|data-testid=["']post-comment-header""")
_MARKS = re.compile(r"reddit\.com|redditstatic\.com|redditmedia\.com")
_CANONICAL = re.compile(r"""<link\s+rel=["']canonical["']\s+href=["']([^"']+)["']""")
# Reddit's pages that are no page of its content, saved while throttled, blocked or
# signed out: recognised, so that their one line says what they are.
_WALL = re.compile(r"whoa there,\s*pardner|blocked by network security|log in to your "
                   r"Reddit account or use your developer token", re.I)
_LOGIN = re.compile(r"""<form[^>]+action=["'][^"']*/login\b|<title>[^<]*\bLog\s*In\b""", re.I)


def _children(obj: Mapping[str, Any]) -> Any:
    """A Listing's ``data.children``, or None where ``data`` is no object (a string
    there was an AttributeError traceback that stopped the import)."""
    data = obj.get("data")
    return data.get("children") if isinstance(data, Mapping) else None


def _shape(obj: Any) -> Kind | str | None:
    """What a decoded JSON body is: a page kind, "morechildren", or None."""
    if isinstance(obj, list) and len(obj) == 2 and all(isinstance(o, Mapping) for o in obj):
        posts = _children(obj[0]) if obj[0].get("kind") == "Listing" else None
        if isinstance(posts, list) and posts and isinstance(posts[0], Mapping) \
                and posts[0].get("kind") == "t3":
            return "thread"
        return None
    if not isinstance(obj, Mapping):
        return None
    if isinstance(obj.get("json"), Mapping) and "data" in obj["json"]:
        return "morechildren"
    if obj.get("kind") == "Listing":
        rows = _children(obj)
        # (t1 rows too: a listing of comments, which the parser names in one line)
        if isinstance(rows, list) and all(isinstance(r, Mapping) and r.get("kind") in
                                          ("t3", "t1") for r in rows):
            return "listing"
        return None
    if obj.get("kind") == "t2":
        return "user"
    if errors.error_status(obj) is not None:
        return "thread"  # the parser says which error it is
    return None


class RedditImporter:
    site: Site = REDDIT

    def recognise(self, text: str) -> Kind | None:
        start = text.lstrip()[:1]
        if start in ("{", "["):
            try:
                shape = _shape(loads(text))
            except json.JSONDecodeError:
                return None
            return "thread" if shape == "morechildren" else shape  # type: ignore[return-value]
        head = text[:262144]
        if _WALL.search(text[:65536]):
            return "thread"  # the parser's check says which wall it is
        if not _MARKS.search(head):
            return None
        if _LOGIN.search(head) and not (_OLD.search(text) or _NEW.search(text)):
            return "thread"
        if _OLD.search(text):
            return "thread" if _OLD_COMMENTS.search(text) else "listing"
        if _NEW.search(text):
            return "thread"
        return None

    def stated_time(self, text: str) -> datetime | None:
        return None  # Reddit's pages state no time of their own

    def read(self, text: str, *, kind: Kind, url: str | None, fetched_at: datetime) -> Parsed:
        if text.lstrip()[:1] in ("{", "["):
            return self._json(text, kind=kind, url=url, fetched_at=fetched_at)
        stated = _CANONICAL.search(text[:262144])
        url = url or (stated.group(1) if stated else None)
        errors.check_text(text, url=url or "reddit.html")
        if not (_OLD.search(text) or _NEW.search(text)):
            raise ParseError(self.site.name, url or "reddit.html", "Reddit's login page "
                             "(saved while signed out), not a thread or listing: nothing in "
                             "it to import")
        if kind == "listing":
            if url is None:
                raise NotImportable("an old.reddit listing without its URL (no canonical "
                                    "link): give --url")
            return Parsed(url=url, listing=html.parse_old_listing(
                text, url=url, fetched_at=fetched_at))
        if _OLD.search(text):
            found = html.parse_old_comments(text, url=url or "reddit.html",
                                            fetched_at=fetched_at)
        else:
            found = html.parse_new_comments(text, url=url or "reddit.html",
                                            fetched_at=fetched_at)
        return Parsed(url=url or self.site.item_url(found.story.id), thread=found)

    def _json(self, text: str, *, kind: Kind, url: str | None, fetched_at: datetime) -> Parsed:
        obj = loads(text)
        if _shape(obj) == "morechildren":
            story_id = _thread_of(obj)
            if story_id is None:
                raise NotImportable("a /api/morechildren answer is a piece of a thread, and "
                                    "this one names none (no comment in it has a link_id)")
            return Parsed(url=url or f"{self.site.base_url}/api/morechildren?api_type=json"
                                     f"&link_id=t3_{story_id}", expands=story_id)
        if kind == "listing":
            if url is None:
                raise NotImportable("a Reddit listing does not say which listing it is "
                                    "(r/SUB, its sort and period): give --url, or import it "
                                    "under its mirror name (www.reddit.com/r/SUB/hot.json)")
            return Parsed(url=url, listing=listing.parse_listing(
                text, url=url, fetched_at=fetched_at, source="html"))
        if kind == "user":
            user = listing.parse_user(text, url=url or "about.json", fetched_at=fetched_at,
                                      source="html")
            return Parsed(url=url or f"{self.site.user_url(user.id)}/about.json", user=user)
        first = url or "comments.json"
        found, _ = _joined([(first, text)], fetched_at=fetched_at)
        story_id = found.story.id
        url = url or f"{self.site.item_url(story_id)}.json"
        path = urlsplit(url).path.rstrip("/").split("/")
        continued = len(path) >= 2 and path[-2] == CONTINUE_ID
        return Parsed(url=url, thread=found, expands=story_id if continued else None,
                      joins=lambda later: _joined([(url, text), *later],
                                                  fetched_at=fetched_at))


def _thread_of(obj: Any) -> str | None:
    """The post a morechildren answer's comments belong to (their ``link_id``); None
    also where ``data`` is no object or its ``things`` no list (each was an
    AttributeError or TypeError traceback that stopped the import)."""
    data = obj["json"]["data"]
    things = data.get("things") if isinstance(data, Mapping) else None
    for thing in things if isinstance(things, list) else ():
        data = thing.get("data") if isinstance(thing, Mapping) else None
        link = data.get("link_id") if isinstance(data, Mapping) else None
        if isinstance(link, str) and link.startswith("t3_"):
            return unprefixed(link)
    return None


def _joined(pages: list[tuple[str, str]], *,
            fetched_at: datetime) -> tuple[Thread, tuple[tuple[int, str], ...]]:
    """The thread of a comments response and its later answers, placed in order as a
    crawl places them; an answer that does not fit is left out, with why. The first
    page's ParseError is the thread's."""
    built = ThreadPages()
    (first_url, first), *later = pages
    built.add(first, url=first_url)
    refused: list[tuple[int, str]] = []
    for i, (url, text) in enumerate(later):
        try:
            built.add(text, url=url)
        except ParseError as e:
            refused.append((i, e.reason))
    found = built.thread(fetched_at=fetched_at, source="html")
    # What its stubs still hold, so that the thread is not taken for whole.
    return replace(found, unexpanded=held(built.unexpanded())), tuple(refused)


IMPORTER = RedditImporter()
