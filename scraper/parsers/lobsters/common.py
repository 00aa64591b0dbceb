"""What the Lobsters parsers share: times, users, removed comments, ids, leftover fields.

Lobsters prints times in US Central. The JSON gives ISO strings with their offset
("2022-07-22T12:06:59.000-05:00"); HTML gives a ``<time data-at-unix=...>`` (2024-), or a
``<span title="2016-10-05 17:35:45 -0500">`` (2016-2023) beside a relative text ("3 years
ago"). Each becomes an aware UTC datetime, the raw string kept beside it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from lxml import etree

from archive.models import Story, Thread, User
from scraper.parsers import ages, bodies
from scraper.parsers.errors import ParseError, TruncatedPage
from scraper.parsers.hosts import domain as host_domain
from scraper.parsers.integers import keep_beyond, stored_int
from scraper.parsers.jsonload import loads
from scraper.parsers.shaped import inline_text
from scraper.parsers.values import number, signed

SITE = "lobsters"
BASE_URL = "https://lobste.rs"
CENTRAL = ZoneInfo("America/Chicago")

_SHORT_ID = re.compile(r"[a-z0-9]{1,12}")
_STORY_PATH = re.compile(r"/s/([a-z0-9]+)(?:[/.?#]|$)")
_USER_PATH = re.compile(r"/(?:~|u/)([^/?#.]+)")
_TAG = re.compile(r"<[a-zA-Z][^>]*>")
_LOCAL = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
_OFFSET = re.compile(r"(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) ([+-]\d\d)(\d\d)")
# Lobsters' how_long_ago: "just now" (<= 5 s), "less than a minute ago", then the units
# ages.py knows (30-day months, 365-day years, as Lobsters counts them).
_NOW_TEXTS = ("just now", "less than a minute ago")


@dataclass(frozen=True, slots=True, kw_only=True)
class StoryPage:
    """One story page, JSON or HTML: its thread, the stories merged into it (each with
    ``merged_into`` set), and the users the page describes (JSON user objects, 2018-23)."""

    thread: Thread
    merged: tuple[Story, ...] = ()
    users: tuple[User, ...] = ()


def iso_time(raw: object) -> tuple[datetime | None, str | None]:
    """(UTC time, raw string) of a JSON time such as ``2022-07-22T12:06:59.000-05:00``."""
    if not isinstance(raw, str) or not raw:
        return None, None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None, raw
    if moment.tzinfo is None:  # Lobsters always sends an offset; local time if not
        moment = moment.replace(tzinfo=CENTRAL)
    return moment.astimezone(UTC), raw


def page_now(doc: etree._Element, fetched_at: datetime) -> datetime:
    """The page's own "now" (``body[data-now-unix]``, 2024-), else ``fetched_at``: the
    moment its relative ages were written against."""
    body = doc.find(".//body")
    stamp = body.get("data-now-unix") if body is not None else None
    now = ages.from_epoch(number(stamp))
    return now if now is not None else ages.as_utc(fetched_at)


def html_time(el: etree._Element, now: datetime) -> tuple[datetime | None, str | None]:
    """(UTC time, raw) of a ``<time>`` or titled ``<span>``: the epoch when given, else the
    title (with its offset, or as Central local time), else the relative text."""
    title = (el.get("title") or "").strip()
    stamp = (el.get("data-at-unix") or "").strip()
    moment = ages.from_epoch(signed(stamp))
    if moment is not None:
        return moment, f"{title} {stamp}".strip()
    m = _OFFSET.fullmatch(title)
    if m is not None:
        moment = datetime.fromisoformat(f"{m[1]}T{m[2]}{m[3]}:{m[4]}")
        return moment.astimezone(UTC), title
    if _LOCAL.fullmatch(title):
        local = datetime.fromisoformat(title.replace(" ", "T")).replace(tzinfo=CENTRAL)
        return local.astimezone(UTC), title
    shown = " ".join("".join(el.itertext()).split())
    if shown in _NOW_TEXTS:
        return now, shown
    found = ages.find_age_text(shown)
    if found is not None:
        return ages.resolve_age_text(found, now), found.group(0)
    return None, title or shown or None


def user_name(value: object) -> str | None:
    """A user as the JSON gives it: an object with ``username`` (-2023) or the name."""
    if type(value) is str:  # the 2024- form
        return value or None
    # type() first: a test against the Mapping ABC costs ~0.2 us even for a dict.
    if type(value) is dict or isinstance(value, Mapping):
        value = value.get("username")
    return value if isinstance(value, str) and value else None


def about_fields(about: object) -> tuple[str | None, str | None]:
    """(about_html, about) of a profile's about: HTML (2024-: ``linkified_about``) or the
    user's own plain text (-2023)."""
    if not isinstance(about, str) or not about.strip():
        return None, None
    if _TAG.search(about):
        # Most such abouts are the user's text with a link or two in it, read by the
        # shape of a paragraph's text (pushcx's 1.2 KB: 12 -> ~5 us, a third of its
        # story pages' profiles); any other, as any fragment.
        text = inline_text(about)
        return about, (text if text is not None else bodies.text(about)) or None
    return None, about


def user_record(value: object) -> User | None:
    """The profile a JSON user object carries (-2023, and ``/~NAME.json``); None for a name."""
    if (type(value) is not dict and (type(value) is str or not isinstance(value, Mapping))) \
            or not user_name(value):
        return None
    created_at, created_raw = iso_time(value.get("created_at"))
    karma = value.get("karma")
    about_html, about = about_fields(value.get("about"))
    return new_user(str(value["username"]), created_at, created_raw,
                    stored_int(karma), about_html, about,
                    keep_beyond(leftovers(value, _USER_USED), karma=karma))


_USER_USED = frozenset(("username", "created_at", "karma", "about"))
# User's fields, in its order: a story's JSON of 2018-23 carries a profile for each of
# its commenters, and User's keyword __init__ (object.__setattr__ a field, ~1.5 us)
# was a third of each one's record.
_USER_STORED = ("site", "id", "created_at", "created_at_raw", "karma", "about_html",
                "about", "extra", "source", "pages")


class _UserSlots:
    """A mutable twin of User (its slots, in order), filled by plain stores and then
    given User's class, as ``comment_stores`` builds a Comment: ~0.3 us, where the
    stores through User's slot descriptors (``entries.slot_builder``) took ~1 us."""

    __slots__ = _USER_STORED


def _user_by_stores(site: str, name: str, created_at: datetime | None,
                    created_raw: str | None, karma: int | None, about_html: str | None,
                    about: str | None, extra: dict[str, Any] | None, source: str,
                    pages: tuple[()]) -> User:
    o: Any = _UserSlots.__new__(_UserSlots)
    (o.site, o.id, o.created_at, o.created_at_raw, o.karma, o.about_html, o.about, o.extra,
     o.source, o.pages) = (site, name, created_at, created_raw, karma, about_html, about,
                           extra, source, pages)
    o.__class__ = User
    return o


_USER_SLOTS = _user_by_stores if getattr(User, "__slots__", None) == _USER_STORED else None


def new_user(name: str, created_at: datetime | None, created_raw: str | None,
             karma: int | None, about_html: str | None, about: str | None,
             extra: dict[str, Any] | None) -> User:
    """A profile of a story's JSON, as ``user_by_keywords`` builds it."""
    if _USER_SLOTS is None:  # User's fields changed: never a record with a slot unset
        return user_by_keywords(name, created_at, created_raw, karma, about_html, about, extra)
    return _USER_SLOTS(SITE, name, created_at, created_raw, karma, about_html, about,
                       extra, "html", ())


def user_by_keywords(name: str, created_at: datetime | None, created_raw: str | None,
                     karma: int | None, about_html: str | None, about: str | None,
                     extra: dict[str, Any] | None) -> User:
    """User's own constructor, in ``new_user``'s order (the tests' reference)."""
    return User(site=SITE, id=name, created_at=created_at, created_at_raw=created_raw,
                karma=karma, about_html=about_html, about=about, extra=extra)


def user_of_href(href: str | None) -> str | None:
    """NAME from ``/~NAME`` (2021-) or ``/u/NAME`` (-2021), else None."""
    m = _USER_PATH.match(urlsplit(href or "").path)
    return m.group(1) if m else None


def story_id_of(url: str) -> str | None:
    """ID from ``/s/ID``, ``/s/ID/slug``, ``/s/ID.json``; None for other URLs."""
    m = _STORY_PATH.match(urlsplit(url).path)
    return m.group(1) if m else None


def is_short_id(value: object) -> bool:
    return isinstance(value, str) and _SHORT_ID.fullmatch(value) is not None


def domain_of(url: str | None) -> str | None:
    return host_domain(url) if url else None


def kind_of(tags: Iterable[str]) -> str:
    """Lobsters marks asks and shows with a tag, not a title prefix."""
    tagset = set(tags)
    return "ask" if "ask" in tagset else "show" if "show" in tagset else "story"


def gone(placeholder: str) -> tuple[bool, bool]:
    """(deleted, removed) from the text Lobsters shows in place of a gone comment:
    "Comment removed by author"; "Comment removed by moderator NAME: REASON" ("Thread
    removed by moderator" before ~2019); "Comment from banned user removed"."""
    words = placeholder.strip().strip("[]").strip().lower()
    if "by moderator" in words or "banned user" in words:
        return False, True
    return True, False


def leftovers(obj: Mapping[str, Any], consumed: Iterable[str]) -> dict[str, Any] | None:
    """The fields of a JSON object that no common column holds, kept rather than dropped;
    None when nothing is left. Nested user objects are reduced to their names (their
    profiles become User records)."""
    used = consumed if isinstance(consumed, frozenset) else frozenset(consumed)
    # A page's comments (and its users) mostly have one set of keys in one order: which
    # of them are left over is worked out once per such set, and the dict is built from
    # those few keys alone (the test of all ~14 was ~1 us of each comment's record).
    keys = tuple(obj)
    kept = _LEFT_KEYS.get((used, keys))
    if kept is None:
        if len(_LEFT_KEYS) >= 256:  # bounded: a hostile page's key orders are not kept
            _LEFT_KEYS.clear()
        kept = _LEFT_KEYS[used, keys] = tuple(k for k in keys if k not in used)
    if not kept:
        return None
    left = {k: obj[k] for k in kept}
    # Most values are str/int/bool/None: one test of each against the plain types first
    # (a profile's four leftovers 1.0 -> 0.85 us), the nested user objects looked for
    # only where one is not plain.
    for v in left.values():
        if type(v) not in _PLAIN_JSON:
            break
    else:
        return left
    for k, v in left.items():
        # A test against dict first: the test against the Mapping ABC of each (~0.2 us)
        # was a tenth of a small story's reading.
        if (type(v) is dict or (type(v) not in _PLAIN_JSON and isinstance(v, Mapping))) \
                and "username" in v:
            left[k] = user_name(v)
    return left or None


# (consumed, an object's keys in order) -> those of its keys that are not consumed.
_LEFT_KEYS: dict[tuple[frozenset[str], tuple[str, ...]], tuple[str, ...]] = {}

# What json.loads makes besides objects: never a Mapping.
_PLAIN_JSON = frozenset({str, int, float, bool, type(None), list})


class _LastBody:
    """``json.loads(text)``, once per body: the completeness check, ``detect`` and the
    parser all read the same text, and a second and third decode were 2x the decode
    itself. The value is shared among them: callers read it, never change it. By orjson
    where its value is json.loads's (``jsonload``).

    The last body is known by identity or equality, as ``lru_cache(maxsize=1)`` knew it
    by hash and equality: a response's str is new, and its hash, a pass over the whole
    2-byte text, was 3.6 us of donlgu-2018's ~90 and 9.7 of tdfoqh-2025's ~200."""

    def __init__(self) -> None:
        self._last: tuple[str, Any] | None = None

    def __call__(self, text: str) -> Any:
        last = self._last  # one read: another thread may set it meanwhile
        if last is not None and (last[0] is text or last[0] == text):
            return last[1]
        value = loads(text)
        self._last = (text, value)
        return value

    def cache_clear(self) -> None:
        self._last = None


decoded = _LastBody()


def load_json(text: str, *, url: str) -> Any:
    """The decoded body; a body that stops early is a TruncatedPage, other junk a ParseError."""
    try:
        return decoded(text)
    except json.JSONDecodeError as err:
        if err.pos >= len(text.rstrip()):
            raise TruncatedPage(SITE, url, "the JSON stops before its end") from None
        raise ParseError(SITE, url, f"not JSON: {err.msg} at line {err.lineno} "
                                    f"column {err.colno}") from None


_SCALAR_STARTS = frozenset('"-0123456789ntf')


def _is_json(text: str) -> bool:
    try:
        loads(text)
    except ValueError:
        return False
    return True


def check_complete(text: str, *, url: str) -> None:
    """TruncatedPage for a JSON body that does not decode to its end or an HTML page
    without its closing ``</html>``."""
    first = text.lstrip()[:1]
    if first in ("{", "["):
        load_json(text, url=url)
    elif first and first in _SCALAR_STARTS and _is_json(text):
        # A whole JSON value that is no page (an API's "null" for a story it has not):
        # not a cut page to retry.
        shown = " ".join(text.split())
        shown = shown if len(shown) <= 40 else shown[:40] + "..."
        raise ParseError(SITE, url, f"the answer is the JSON value {shown}, not a page")
    elif not re.search(r"</html>\s*\Z", text[-4000:], re.I):
        raise TruncatedPage(SITE, url, "the page stops before its end (no </html>)")


def html_doc(text: str, *, url: str, checked: bool = False) -> etree._Element:
    """The page parsed by lxml. ``huge_tree`` lifts libxml2's depth limit (256 levels),
    past which it would drop the rest of a deep thread without an error. ``checked``:
    ``check_complete`` has passed the text already."""
    if not checked:
        check_complete(text, url=url)
    try:
        # As UTF-8 bytes, libxml2's own encoding (see whole.parse_html): a str with any
        # character past Latin-1 reaches it as UCS-2/4 and is converted first.
        # No id table (collect_ids): no reader looks an element up by its id, and each
        # story and comment carries one.
        doc = etree.fromstring(text.encode("utf-8"), etree.HTMLParser(
            huge_tree=True, encoding="utf-8", collect_ids=False))
    except UnicodeEncodeError:  # a lone surrogate: lxml's own reading of the str
        doc = etree.fromstring(text, etree.HTMLParser(huge_tree=True, collect_ids=False))
    if doc is None:
        raise ParseError(SITE, url, "no HTML document in the body")
    return doc


def classes(el: etree._Element) -> set[str]:
    return set((el.get("class") or "").split())


def has_class(el: etree._Element, name: str) -> bool:
    """``name in classes(el)``: the substring test first, which most elements fail (a
    story page tests every div for "comment"), so most build no set and split nothing."""
    cls = el.get("class")
    return cls is not None and name in cls and name in cls.split()


def text_of(el: etree._Element) -> str:
    """The element's text as shown: runs of whitespace as one space, &nbsp; as a space."""
    # Most are leaves (a link, a tag): their own text, with no itertext walk and join.
    text = (el.text or "") if len(el) == 0 else "".join(el.itertext())
    return " ".join(text.replace("\xa0", " ").split())


def inner_html(el: etree._Element) -> str:
    """The markup inside an element (a body as the site rendered it), trimmed."""
    parts = [escape(el.text or "", quote=False)]
    parts += [etree.tostring(child, encoding="unicode", method="html") for child in el]
    return "".join(parts).strip()


def as_int(shown: str) -> int | None:
    """A shown score: "18" or "-2"; "~" and blanks (hidden scores) are None."""
    return signed(shown)


EDIT_GRACE = timedelta(minutes=1)  # Lobsters calls a comment edited past a minute
