"""Lobsters (https://lobste.rs) parsers: pure functions, ``text, *, url, fetched_at`` in,
records out. The JSON forms are what a crawl reads; the HTML of every era since 2016
reads too (saved pages, imports), and gives the same records where both show a field.

* ``parse_story``: a story, JSON or HTML -> ``StoryPage`` (its ``Thread``, the stories
  merged into it, the user profiles the JSON carries);
* ``parse_listing``: hottest / newest / active / tag / domain / search pages -> ``Listing``;
* ``parse_user``: ``/~NAME`` -> ``User``;
* ``detect``: which of these a body is.

Error bodies (the static 422/500/502/504 pages, the 429 throttle text) raise
``ServerErrorPage`` / ``ThrottledPage``, never give records.
"""

from __future__ import annotations

from datetime import datetime

from archive.models import Listing, Thread, User
from scraper.parsers.errors import ParseError, gc_paused
from scraper.parsers.lobsters.common import SITE, StoryPage, check_complete
from scraper.parsers.lobsters.detect import Kind, detect, detect_words
from scraper.parsers.lobsters.errors import ServerErrorPage, check_body
from scraper.parsers.lobsters.listing import parse_listing_html, parse_listing_json
from scraper.parsers.lobsters.story_html import parse_story_html
from scraper.parsers.lobsters.story_json import parse_story_json
from scraper.parsers.lobsters.user import parse_user_html, parse_user_json

__all__ = ["SITE", "Kind", "ServerErrorPage", "StoryPage", "detect", "parse_listing",
           "parse_story", "parse_thread", "parse_user"]


def _kind(text: str, url: str, wanted: str) -> str:
    return _kind_and_words(text, url, wanted)[0]


def _kind_and_words(text: str, url: str, wanted: str) -> tuple[str, bool]:
    """The kind, and ``detect_words``'s word flag (the listing's story-page test)."""
    # The readers below are told the body is checked: each check scans the whole page
    # (~0.1 ms on a listing), and run three times they were a third of its parse.
    check_body(text, url=url)
    check_complete(text, url=url)  # a cut-off body is TruncatedPage, whatever it was to be
    kind, words = detect_words(text)
    if not kind.startswith(wanted):
        raise ParseError(SITE, url, f"not a {wanted} page (looks like: {kind})")
    return kind, words


def parse_story(text: str, *, url: str, fetched_at: datetime) -> StoryPage:
    """A story page, JSON or HTML. ``url``: the URL asked for (a merged story's redirect
    is recorded as such)."""
    with gc_paused():  # records and dicts by the row, none in a cycle (see gc_paused)
        if _kind(text, url, "story") == "story-json":
            return parse_story_json(text, url=url, fetched_at=fetched_at, checked=True)
        return parse_story_html(text, url=url, fetched_at=fetched_at, checked=True)


def parse_thread(text: str, *, url: str, fetched_at: datetime) -> Thread:
    return parse_story(text, url=url, fetched_at=fetched_at).thread


def parse_listing(text: str, *, url: str, fetched_at: datetime) -> Listing:
    with gc_paused():
        kind, words = _kind_and_words(text, url, "listing")
        if kind == "listing-json":
            return parse_listing_json(text, url=url, fetched_at=fetched_at, checked=True)
        return parse_listing_html(text, url=url, fetched_at=fetched_at, checked=True,
                                  story_words=words)


def parse_user(text: str, *, url: str, fetched_at: datetime) -> User:
    with gc_paused():
        if _kind(text, url, "user") == "user-json":
            return parse_user_json(text, url=url, fetched_at=fetched_at, checked=True)
        return parse_user_html(text, url=url, fetched_at=fetched_at, checked=True)
