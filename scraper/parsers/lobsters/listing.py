"""Lobsters listings (hottest, newest, active, recent, /t/TAG, /domains/D, search) -> Listing.

Pure. The JSON forms (``/hottest.json``, ``/newest/page/2.json``, ``/t/TAG.json``) are a
list of story objects, the same as a story's JSON without comments; the HTML pages are
``li.story`` rows (see ``story_row``) in ``ol.stories`` (``ol.search_results`` on search).

Pages are ``BASE/page/N`` (``/page/2`` is hottest's second page), search pages
``/search?...&page=N``. The HTML names its next page (``div.morelink`` 2016-2023,
``nav.morelink a[rel=next]`` 2024-, numbered links on search); the JSON names none, so a
full page (25 rows) gets the next ``BASE/page/N+1.json`` and a shorter one is the last.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree

from archive.models import Listing, ListingEntry, Story
from scraper.parsers.errors import ParseError
from scraper.parsers.lobsters.common import (
    SITE,
    classes,
    has_class,
    html_doc,
    load_json,
    page_now,
)
from scraper.parsers.lobsters.errors import check_body
from scraper.parsers.lobsters.json_rows import json_entries
from scraper.parsers.lobsters.story_json import story_from_json
from scraper.parsers.lobsters.story_row import listing_entry, story_items

PER_PAGE = 25  # Lobsters' STORIES_PER_PAGE
SEARCH_PER_PAGE = 20
# ASCII digits, as many as HN's listing pages take: a longer number, or a word, is no
# page's, and a URL naming one is refused (its name would be "t/meta/page/99999999999")
PAGE_DIGITS = 9
_PAGED = re.compile(r"(?P<base>.*?)/page/(?P<page>[^/]+)")
# Every link's href in document order, as plain strings: ~20% under a walk of the links
# asking each for its href (the element proxies are never built); a filter on "page" in
# the XPath itself was slower than the one in Python.
_HREFS = etree.XPath("//a/@href", smart_strings=False)


def listing_name_and_page(url: str) -> tuple[str, int]:
    """(name, page) of a listing URL: ``/`` and ``/page/3`` are "hottest"; ``/t/meta.json``
    is "t/meta"; a search is "search?" + its query without the page. ParseError for a
    page number of more than ``PAGE_DIGITS`` digits, or page 0."""
    found = _name_and_page(url)
    if isinstance(found, str):
        raise ParseError(SITE, url, found)
    return found


def _name_and_page(url: str) -> tuple[str, int] | str:
    """(name, page), or why the URL's page number is none."""
    parts = urlsplit(url)
    path = parts.path.removesuffix(".json").removesuffix(".rss").rstrip("/")
    digits = "1"
    m = _PAGED.fullmatch(path)
    if m is not None:
        path, digits = m["base"], m["page"]
    name = path.strip("/") or "hottest"
    if name == "search":
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "page" and k != "utf8"]
        given = dict(parse_qsl(parts.query)).get("page", "").strip()
        # A word or a 0 there is Lobsters' page 1; only a number too long is refused.
        digits = given if given.isascii() and given.isdigit() and int(given[:12]) else "1"
        name = "search?" + urlencode(sorted(query))
    if not (digits.isascii() and digits.isdigit()):
        return f"listing page {digits[:20]!r} is not a page number"
    if len(digits) > PAGE_DIGITS:
        return f"listing page number over {PAGE_DIGITS} digits, more than any listing has"
    if int(digits) == 0:
        return "listing page 0: pages are numbered from 1"
    return name, int(digits)


def _entry(story: Story, rank: int) -> ListingEntry:
    """A listing's entry of a full Story: what the rows' direct readers (``json_rows``,
    ``story_row.listing_entry``) are held to in the tests."""
    return ListingEntry(
        site=SITE, story_id=story.id, rank=rank, title=story.title, url=story.url,
        domain=story.domain, author=story.author, score=story.score,
        comment_count=story.comment_count, created_at=story.created_at,
        created_at_raw=story.created_at_raw, kind=story.kind)


def _offset(name: str, page: int) -> int:
    return (page - 1) * (SEARCH_PER_PAGE if name.startswith("search?") else PER_PAGE)


def listing_stories(text: str, *, url: str, checked: bool = False) -> tuple[Story, ...]:
    """The stories of a JSON listing as Story records (tags, description, extra fields),
    which a ListingEntry has no room for."""
    if not checked:
        check_body(text, url=url)
    rows = load_json(text, url=url)
    if not isinstance(rows, list):
        raise ParseError(SITE, url, "a JSON object, not a listing (a story's JSON?)")
    return tuple(story_from_json(row, url=url) for row in rows)


def parse_listing_json(text: str, *, url: str, fetched_at: datetime,
                       checked: bool = False) -> Listing:
    """A JSON listing page. Its rows are read into entries directly (``json_rows``), not
    through the full Story records of ``listing_stories``: an entry has no room for a
    description, and its text was 2/3 of a listing's parse (tag-meta-2023, issue 14)."""
    if not checked:
        check_body(text, url=url)
    rows = load_json(text, url=url)
    if not isinstance(rows, list):
        raise ParseError(SITE, url, "a JSON object, not a listing (a story's JSON?)")
    name, page = listing_name_and_page(url)
    offset = _offset(name, page)
    entries = json_entries(rows, offset, url=url)
    if len({e.story_id for e in entries}) != len(entries):
        raise ParseError(SITE, url, "a story appears twice on the page")
    next_url = None
    if len(entries) >= PER_PAGE and not name.startswith("search?"):
        parts = urlsplit(url)
        base = "" if name == "hottest" else "/" + name
        next_url = urlunsplit((parts.scheme, parts.netloc, f"{base}/page/{page + 1}.json",
                               "", ""))
    return Listing(site=SITE, name=name, page=page, url=url, fetched_at=fetched_at,
                   entries=entries, next_url=next_url)


def parse_listing_html(text: str, *, url: str, fetched_at: datetime,
                       checked: bool = False, story_words: bool = True) -> Listing:
    """An HTML listing page: its rows in rank order and the next page's absolute URL.
    ``story_words`` False: neither "comments_subtree" nor "story_text" occurs in the text
    (``detect_words`` says so, and the two scans for them are spared)."""
    if not checked:
        check_body(text, url=url)
    doc = html_doc(text, url=url, checked=checked)
    # A class holds its name in the text: the walks run only where the name occurs.
    if story_words and (
            ("comments_subtree" in text and any(has_class(li, "comments_subtree")
                                                for li in doc.iter("li"))) or
            ("story_text" in text and any(has_class(d, "story_text")
                                          for d in doc.iter("div")))):
        raise ParseError(SITE, url, "a story page, not a listing")
    holders = [ol for ol in doc.iter("ol") if classes(ol) & {"stories", "search_results"}]
    if not holders:
        raise ParseError(SITE, url, "no list of stories (ol.stories): not a listing page")
    now = page_now(doc, fetched_at)
    name, page = listing_name_and_page(url)
    offset = _offset(name, page)
    entries = [listing_entry(li, offset + i + 1, page_url=url, now=now)
               for i, li in enumerate(story_items(doc))]
    if len({e.story_id for e in entries}) != len(entries):
        raise ParseError(SITE, url, "a story appears twice on the page")
    next_url = None
    netloc = urlsplit(url).netloc
    for href in _HREFS(doc):
        # A page past the first is named by "/page/N" or a search's "page=N": a link
        # without "page" cannot be the next one (most of a listing's ~300 links).
        if not href or "page" not in href:
            continue
        target = urljoin(url, href)
        # (a link naming no page is not the next one: it is skipped, never refused)
        if urlsplit(target).netloc == netloc and \
                _name_and_page(target) == (name, page + 1):
            next_url = target
            break
    return Listing(site=SITE, name=name, page=page, url=url, fetched_at=fetched_at,
                   entries=tuple(entries), next_url=next_url)

