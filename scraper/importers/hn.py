"""Hacker News pages saved to files: item (thread) pages, listings, profiles.

HN pages state no time of their own: relative ages ("3 hours ago", all that pages
before ~2017 show) are resolved against the time the import takes for the page (see
``pages``); later pages carry each age's exact time in a ``title`` attribute, which
wins. The URL comes from the page: a thread's id from its story header, its page
number from its "More" link (``item?id=N&p=3`` is followed by page 3, so this is page
2); a listing's name from ``<html op="news">`` and its page from its first rank ("31."
is page 2); a profile's name from its "user:" row.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from archive.sites import HN, Site
from scraper.importers.pages import Kind, NotImportable, Parsed
from scraper.parsers import hn, values
from scraper.parsers.errors import ParseError
from scraper.parsers.hn import listing as hn_listing
from scraper.parsers.pages import ItemPage

_MARKS = re.compile(r"news\.ycombinator\.com|class=[\"']?pagetop\b|<b>Hacker News</b>")
_USER_ROW = re.compile(r"<td[^>]*>\s*user:\s*</td>")
_SUBTEXT = re.compile(r"""class=["']?subtext\b""")
_OP = re.compile(r"""<html[^>]*\bop=["']?([a-z]+)""", re.I)
_TITLE = re.compile(r"<title>\s*([^<]*?)\s*</title>", re.I)
_NO_STORY = "cannot tell which story this page belongs to"


class HnImporter:
    site: Site = HN

    def recognise(self, text: str) -> Kind | None:
        head = text[:65536]
        if hn.is_throttle_page(text) or text.strip() == "No such item.":
            return "thread"  # the parser names what it is
        if not head.lstrip().startswith("<") or not _MARKS.search(head):
            return None
        if _USER_ROW.search(text):
            return "user"
        if len(_SUBTEXT.findall(text)) > 1:
            return "listing"
        return "thread"

    def stated_time(self, text: str) -> datetime | None:
        return None

    def read(self, text: str, *, kind: Kind, url: str | None, fetched_at: datetime) -> Parsed:
        base = self.site.base_url
        if kind == "user":
            user = hn.parse_user(text, url=url or f"{base}/user", fetched_at=fetched_at)
            return Parsed(url=url or self.site.user_url(user.id), user=user)
        if kind == "listing":
            return self._listing(text, url=url, fetched_at=fetched_at)
        return self._item(text, url=url, fetched_at=fetched_at)

    def _listing(self, text: str, *, url: str | None, fetched_at: datetime) -> Parsed:
        if url is None:
            op = _OP.search(text[:2048])
            title = _TITLE.search(text[:8192])
            if op is not None and op.group(1).lower() in self.site.listings:
                name = op.group(1).lower()
            elif title is not None and title.group(1) == "Hacker News":
                name = "news"  # the front page's title before <html op=...> (2015)
            else:
                raise NotImportable("an HN listing that does not say which one it is "
                                    "(no <html op=...>): give --url")
            url = f"{base_url(self.site)}/{name}"
            listing = hn_listing.parse_listing(text, url=url, fetched_at=fetched_at)
            # The page number is in its rows: page 2 of 30 a page starts at "31.".
            first = min((e.rank for e in listing.entries), default=1)
            number = (first - 1) // hn_listing.PER_PAGE + 1
            if number > 1:
                url = f"{url}?p={number}"
                listing = hn_listing.parse_listing(text, url=url, fetched_at=fetched_at)
            return Parsed(url=url, listing=listing)
        return Parsed(url=url, listing=hn_listing.parse_listing(text, url=url,
                                                                fetched_at=fetched_at))

    def _item(self, text: str, *, url: str | None, fetched_at: datetime) -> Parsed:
        asked = url or f"{base_url(self.site)}/item"
        try:
            page = hn.parse_item_page(text, url=asked, fetched_at=fetched_at)
        except ParseError as e:
            if _NO_STORY not in e.reason:
                raise
            if url is None:
                raise NotImportable(
                    "an HN continuation page that does not say which thread it continues: "
                    "import it under the name a mirror gives it (x?fnid=...) with the "
                    "thread's other pages, or give --url") from None
            # An old /x?fnid= page: the page whose "More" link leads here says its story.
            return Parsed(url=url, first=False, continues=lambda sid: hn.parse_item_page(
                text, url=url, fetched_at=fetched_at, story_id=sid))
        if url is not None:
            return Parsed(url=url, part=page, first=_first(url))
        own, stated = _own_url(page, self.site)
        return Parsed(url=own, url_stated=stated, part=replace(page, url=own),
                      first=_first(own) if stated else None)


def base_url(site: Site) -> str:
    return site.base_url.rstrip("/")


def _first(url: str) -> bool:
    """Whether an item URL is a thread's first page (not ``&p=2``, not ``/x?fnid=``)."""
    parts = urlsplit(url)
    page = values.number(parse_qs(parts.query).get("p", ["1"])[0])
    return parts.path.endswith("/item") and (page is None or page <= 1)


def _own_url(page: ItemPage, site: Site) -> tuple[str, bool]:
    """The URL of an item page from its own "More" link (page K links to page K+1);
    a last page's number is not on it, so its URL is a guess: (url, stated)."""
    first = site.item_url(page.story_id)
    if page.next_url is not None:
        query = parse_qs(urlsplit(page.next_url).query)
        following = values.number(query.get("p", [""])[0])
        if query.get("id") == [page.story_id] and following is not None:
            number = following - 1
            return (first if number <= 1 else f"{first}&p={number}"), True
        return first, True  # an old /x?fnid= "More" link: only a first page has a header
    return first, False


IMPORTER = HnImporter()
