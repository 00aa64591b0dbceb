"""Times as HN prints them, turned into aware UTC datetimes.

HN has shown a post's time three ways over the years:

* ``<span class="age" title="2023-02-21T20:35:07">`` (2021-2024): ISO, UTC, no zone;
* ``title="2025-05-15T13:56:47 1747317407"`` (2025-): ISO plus the Unix epoch;
* no title at all (before ~2021): only the text, relative ("3 hours ago",
  "368 days ago") or, for old posts, a date ("on Oct 9, 2006", "on July 11, 2014").

Relative texts are resolved against the page's ``fetched_at``, never the clock, so a
parser run over a stored page years later gives the same answer. They are only as
precise as their unit: "3 hours ago" is ``fetched_at - 3h``.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta

# "1 minute ago", "368 days ago"; HN never printed weeks, but months/years are cheap
# to accept and approximate (30/365 days) should a page ever show them.
_RELATIVE = r"(?P<n>[0-9]+)\s+(?P<unit>minute|hour|day|month|year)s?\s+ago"
# "on Oct 9, 2006" and "on July 11, 2014": HN used both short and full month names.
_DATE = r"on\s+(?P<month>[A-Z][a-z]{2,8})\.?\s+(?P<day>[0-9]{1,2}),\s+(?P<year>[0-9]{4})"
AGE_TEXT = re.compile(rf"\b(?:{_RELATIVE}|{_DATE})\b")

_UNITS = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "month": timedelta(days=30),
    "year": timedelta(days=365),
}
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    start=1)}
_TITLE = re.compile(r"\s*(?P<iso>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(?:Z|[+-][0-9]{2}:?[0-9]{2})?)"
                    r"(?:\s+(?P<epoch>[0-9]{9,11}))?\s*")


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken to be UTC already (HN's own convention)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _epoch_of(title: str) -> int | None:
    """The epoch of a title in HN's own 2025- form ("2025-05-15T13:56:47 1747317407"),
    read without the regex (a parse asks this of every row); None for any other form."""
    iso, space, epoch = title.partition(" ")
    if (space and 9 <= len(epoch) <= 11 and epoch.isascii() and epoch.isdigit()
            and len(iso) > 11 and iso[4] == "-" and iso[7] == "-" and iso[10] == "T"
            and iso.isascii() and (iso[:4] + iso[5:7] + iso[8:10]).isdigit()
            and not iso[11:].strip("0123456789:.")):
        return int(epoch)
    return None


def from_epoch(epoch: int | None) -> datetime | None:
    """The UTC moment of a page's epoch; None for none, or one past the years a datetime
    holds (damage, not a crash)."""
    if epoch is None:
        return None
    try:
        return datetime.fromtimestamp(epoch, UTC)
    except (ValueError, OverflowError, OSError):
        return None


def parse_age_title(title: str) -> datetime | None:
    """The ``title`` of ``span.age``: the epoch when given (exact), else the zone-less ISO."""
    epoch = _epoch_of(title)
    if epoch is not None:  # (from_epoch's, inline: a parse asks this of every row)
        try:
            return datetime.fromtimestamp(epoch, UTC)
        except (ValueError, OverflowError, OSError):
            return None
    m = _TITLE.fullmatch(title)
    if m is None:
        return None
    # An impossible time (9999-99-99, an offset past year 9999) is no time, not a crash.
    try:
        if m["epoch"]:
            return datetime.fromtimestamp(int(m["epoch"]), UTC)
        return as_utc(datetime.fromisoformat(m["iso"]))
    except (ValueError, OverflowError, OSError):
        return None


def find_age_text(text: str) -> re.Match[str] | None:
    """The first relative age or "on <date>" in a run of text (a comhead, a subtext)."""
    return AGE_TEXT.search(text)


def resolve_age_text(m: re.Match[str], fetched_at: datetime) -> datetime | None:
    """The time a matched age text stands for, seen from ``fetched_at``."""
    if m["n"] is not None:
        try:
            return as_utc(fetched_at) - int(m["n"][:12]) * _UNITS[m["unit"]]
        except OverflowError:  # "99999999999 days ago": before the year 1
            return None
    month = _MONTHS.get(m["month"][:3].lower())
    if month is None:
        return None
    try:
        return datetime(int(m["year"]), month, int(m["day"]), tzinfo=UTC)
    except ValueError:
        return None


@functools.lru_cache(maxsize=1024)
def _resolved(age: str, fetched_at: datetime) -> datetime | None:
    # The rows of one page repeat a few hundred age texts ("20 days ago") at most.
    m = AGE_TEXT.fullmatch(age)
    return resolve_age_text(m, fetched_at) if m is not None else None


def parse_age(title: str | None, text: str,
              fetched_at: datetime) -> tuple[datetime | None, str | None]:
    """(created_at, created_at_raw) from an age title if any, else from the text around it."""
    if title:
        moment = parse_age_title(title)
        if moment is not None:
            return moment, title
    m = find_age_text(text)
    if m is None:
        return None, None
    age = m.group(0)
    return _resolved(age, fetched_at), age
