"""One post of an API listing (a t3's ``data``) read straight into its ListingEntry.

``things.story_from`` reads a post into a full Story: its selftext's text (Markdown and
HTML, read with ``bodies``), the fields kept in ``extra``. An entry keeps neither, and
the full reading was three quarters of a listing's parse (issue 14). This reads the
entry's fields as ``story_from`` reads them and nothing else;
``tests/test_reddit_post_rows`` holds the two to the same entries.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from archive.models import ListingEntry
from scraper.parsers.entries import new_entry
from scraper.parsers.hosts import domain
from scraper.parsers.integers import HIGH, LOW, stored_int
from scraper.parsers.reddit.things import GONE_AUTHOR, SITE, epoch, unprefixed


def post_entry(data: Mapping[str, Any], rank: int) -> ListingEntry | None:
    """The entry of one post at ``rank``; None for a post with no id."""
    ident = unprefixed(data.get("id") or data.get("name"))
    if not ident:
        return None
    title = data.get("title")
    link = data.get("url")
    if data.get("is_self") is True or not isinstance(link, str) or not link:
        link = None
    author = data.get("author")
    if not isinstance(author, str) or not author or author == GONE_AUTHOR:
        author = None
    raw = data.get("created_utc")
    # json.loads gives a float (or an int): the common case without epoch()'s checks.
    if type(raw) is float or type(raw) is int:
        try:
            created: tuple[datetime | None, str | None] = (
                datetime.fromtimestamp(float(raw), UTC), str(raw))
        except (ValueError, OverflowError, OSError):
            created = epoch(raw)
    else:
        created = epoch(raw)
    score, count = data.get("score"), data.get("num_comments")
    return new_entry(
        SITE, ident, rank, title if isinstance(title, str) else None,
        link, domain(link) if link else None, author,
        score if type(score) is int and LOW <= score <= HIGH else stored_int(score),
        count if type(count) is int and LOW <= count <= HIGH else stored_int(count),
        created[0], created[1], "poll" if data.get("poll_data") else "story")
