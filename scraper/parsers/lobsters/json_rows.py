"""The rows of a Lobsters JSON listing read straight into ListingEntry records.

``story_json.story_from_json`` reads a row into a full Story: its description's text
(an HTML body, read with ``bodies``), the fields no column holds. A listing entry keeps
neither, and on a listing whose stories carry long descriptions (tag-meta-2023) their
text was two thirds of the parse. This reads the entry's fields as ``story_from_json``
reads them, with the same checks and errors in the same order, and nothing else;
``tests/test_lobsters_json_rows`` holds the two readers to the same entries.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from archive.models import ListingEntry
from scraper.parsers.entries import new_entry
from scraper.parsers.errors import ParseError
from scraper.parsers.hosts import domain as host_domain
from scraper.parsers.integers import HIGH, LOW, stored_int
from scraper.parsers.lobsters.common import (
    SITE,
    is_short_id,
    iso_time,
    user_name,
)

_SHORT_ID = re.compile(r"[a-z0-9]{1,12}")  # common.is_short_id's, for its fast path


def json_entries(rows: list[Any], offset: int, *, url: str) -> tuple[ListingEntry, ...]:
    """The entries of a decoded JSON listing, ranked from ``offset + 1``.

    Each row's reading is ``story_from_json``'s, spelled for what ``json.loads`` makes
    (a str is a str, a dict a dict): a 25-row page's decode is ~50 us, and the common
    helpers' generality (the Mapping ABC, generator checks) cost twice that again."""
    out = []
    rank = offset
    for obj in rows:
        rank += 1
        ident = obj.get("short_id") if type(obj) is dict else None
        if type(ident) is not str or _SHORT_ID.fullmatch(ident) is None:
            if not isinstance(obj, Mapping) or not is_short_id(obj.get("short_id")):
                raise ParseError(SITE, url, "not a Lobsters story object (no short_id)")
            ident = obj["short_id"]
        title = obj.get("title")
        if type(title) is not str and not isinstance(title, str):
            raise ParseError(SITE, url, f"story {ident} has no title")
        link = obj.get("url") or None
        tags = obj.get("tags") or []
        if (type(tags) is not list and not isinstance(tags, list)) or not _names(tags):
            raise ParseError(SITE, url, f"story {ident}: tags are not a list of names")
        raw = obj.get("created_at")
        created_at, created_raw = _iso_time(raw) if type(raw) is str else iso_time(raw)
        score, count = obj.get("score"), obj.get("comment_count")
        if type(link) is not str and not isinstance(link, str):
            link = None
        author = obj.get("submitter_user")
        out.append(new_entry(
            SITE, ident, rank, title, link,
            host_domain(link) if link is not None else None,
            (author or None) if type(author) is str else user_name(author),
            score if type(score) is int and LOW <= score <= HIGH else stored_int(score),
            count if type(count) is int and LOW <= count <= HIGH else stored_int(count),
            created_at, created_raw,
            "ask" if "ask" in tags else "show" if "show" in tags else "story"))
    return tuple(out)


def _names(tags: list[Any]) -> bool:
    # A loop, not all() of a generator: the generator's frame cost more than the test.
    for t in tags:  # noqa: SIM110
        if type(t) is not str and not isinstance(t, str):
            return False
    return True


def _iso_time(raw: str) -> tuple[datetime | None, str | None]:
    """``common.iso_time`` of a string: most carry their offset, which ``astimezone``
    turns to UTC without the zone lookup of an offset-less time."""
    if not raw:
        return None, None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None, raw
    if moment.tzinfo is None:
        return iso_time(raw)
    return moment.astimezone(UTC), raw

