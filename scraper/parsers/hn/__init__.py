"""Hacker News parsers: item (thread) pages, listings, user profiles. Pure: no network,
no clock; each takes ``text, url, fetched_at`` and returns records, and raises
ParseError and nothing else.

``item`` reads thread pages, ``listing`` ranked listings, ``user`` profiles; ``story``
(a story's header and title cells) and ``text`` (served comment bodies) are what they
share.
"""

from __future__ import annotations

from scraper.parsers.hn.item import (
    SITE,
    is_throttle_page,
    looks_complete,
    parse_item_page,
    parse_thread,
)
from scraper.parsers.hn.listing import listing_name_and_page, parse_listing
from scraper.parsers.hn.user import parse_user

__all__ = [
    "SITE",
    "is_throttle_page",
    "listing_name_and_page",
    "looks_complete",
    "parse_item_page",
    "parse_listing",
    "parse_thread",
    "parse_user",
]
