"""A line of a Reddit dump -> the row the bulk path stages, with no record in between.

The general reading of a comment is Reddit's own mapping (``things.comment_from``, a
``Comment``) and then the store's row of it (``store._comment_content``): two objects
and two datetimes a comment, most of an import's Python time. A dump's comment is
narrow (no ``body_html`` since 2023, whole-second epochs), so :func:`comment_row`
writes the same staged row straight from the decoded object. What it does not cover
(a ``body_html`` to read as HTML, a time that is not a whole second of years
1970-9999) goes the general way, so every line gives the row the general path gives:
``tests/test_reddit_dump_rows.py`` holds the two equal, whole rows, over generated
lines and odd ones.

Lines are decoded by ``scraper.parsers.jsonload.loads``: orjson, several times faster
than ``json.loads`` on these lines, and ``json.loads`` for a line orjson refuses (``NaN``,
a lone surrogate, UTF-16) or could read otherwise (an integer beyond 64 bits), so what is
read is what ``json.loads`` reads.

Decoding workers (spawned processes, see :mod:`scraper.importers.dump_stream`) import
this module and what it names: it imports nothing heavy (no sqlite-utils, no
BeautifulSoup) but for the general path, on the first line that needs it.
"""

from __future__ import annotations

import html
import json
import marshal
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from archive.rows import iso_utc
from scraper.parsers import jsonload
from scraper.parsers.integers import HIGH, LOW, keep_beyond, stored_int
from scraper.parsers.reddit.gone import body_state

DumpKind = Literal["comments", "submissions"]
SITE = "reddit"
SOURCE = "dump"
# As scraper.parsers.reddit.things._COMMENT_EXTRA (a test holds them equal): kept in
# extra when present.
COMMENT_EXTRA = ("score_hidden", "collapsed", "collapsed_reason", "stickied",
                 "distinguished", "controversiality", "locked", "archived", "gilded",
                 "author_flair_text", "retrieved_on", "_meta")  # fmt: skip
_GONE_AUTHOR = "[deleted]"
_LAST_SECOND = 253_402_300_800  # 10000-01-01: four-digit years, as isoformat writes them
_FIRST_SECOND = -62_135_596_800  # 0001-01-01
_EPOCH_DAY = date(1970, 1, 1).toordinal()
# archive.rows.canonical_json's encoder, made once: json.dumps with these options makes
# a new encoder a call.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                              allow_nan=False).encode  # fmt: skip
_days: dict[int, str] = {}


class NotAThing(Exception):
    """A line that is not a JSON object with an id (a damaged line of the file)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Filters:
    subreddits: frozenset[str] = frozenset()  # lower case; empty: every subreddit
    since: datetime | None = None  # created at or after
    until: datetime | None = None  # created before

    def as_json(self) -> str:
        return json.dumps({"subreddits": sorted(self.subreddits),
                           "since": iso_utc(self.since), "until": iso_utc(self.until)},
                          sort_keys=True)  # fmt: skip

    def keeps(self, data: dict[str, Any], created: float | None) -> bool:
        if self.subreddits and str(data.get("subreddit") or "").lower() not in self.subreddits:
            return False
        if self.since is not None and (created is None or created < self.since.timestamp()):
            return False
        return self.until is None or (created is not None and created < self.until.timestamp())


# A Reddit id: base 36 as Reddit writes them, a few characters (with "_" and a
# length past what 64 bits need allowed: never a space, a slash, a dot, a quote).
_ID = re.compile(r"[0-9a-zA-Z_]{1,16}")
# decode_lines' account of the lines it could not read as they are, per chunk:
# (lines skipped, the first's index in the chunk and why, lines read with U+FFFD in
# place of bytes that are not UTF-8, the first's index): plain values, for marshal.
Problems = tuple[int, tuple[int, str] | None, int, int]


def decode_lines(chunk: list[bytes], kind: DumpKind, filters: Filters,
                 crawl_id: int) -> tuple[list[Any], list[Any], Problems]:  # fmt: skip
    """The rows of the lines the filters keep, of the file's kind (staged comment rows,
    or (Story, seen)); the decoded objects of the other kind (a submission among
    comments: read by the importing process); and the lines' :data:`Problems`."""
    rows: list[Any] = []
    others: list[Any] = []
    bad = repaired = 0
    first_bad: tuple[int, str] | None = None
    first_repaired = -1
    for index, line in enumerate(chunk):
        try:
            data, fixed = _object(line, filters)
        except NotAThing as e:
            bad += 1
            if first_bad is None:
                first_bad = (index, str(e))
            continue
        if fixed:
            repaired += 1
            if first_repaired < 0:
                first_repaired = index
        if data is None:
            continue
        own = line_kind(data, kind)
        try:
            if own != kind:
                # Its ids checked here, where the line's number is known.
                _comment_ids(data) if own == "comments" else thing_id(data)
                others.append(data)
            else:
                rows.append(comment_row(data, crawl_id) if kind == "comments"
                            else story_row(data, crawl_id))  # fmt: skip
        except NotAThing as e:
            bad += 1
            if first_bad is None:
                first_bad = (index, str(e))
    return rows, others, (bad, first_bad, repaired, first_repaired)


def line_kind(data: dict[str, Any], kind: DumpKind) -> DumpKind:
    """A line's own kind: a comment has a ``link_id``, a submission a ``title`` (and no
    ``link_id``); one with neither is of the file's ``kind``."""
    if "link_id" in data:
        return "comments"
    if "title" in data or "num_comments" in data:
        return "submissions"
    return kind


def decode_packed(chunk: list[bytes], kind: DumpKind, filters: Filters,
                  crawl_id: int) -> bytes:  # fmt: skip
    """:func:`decode_lines`' comment rows marshalled, for a decoding worker: its result
    crosses to the importing process pickled, and these tuples of plain values are
    written by marshal in a third of pickle's time (and read back in less)."""
    return marshal.dumps(decode_lines(chunk, kind, filters, crawl_id))


def loads(line: bytes) -> Any:
    # The shared decode: its test of long numbers also takes the 19-digit ones below
    # -2**63 (-9223372036854775809), which orjson reads as a float; this module's own
    # test took 20 digits and up.
    return jsonload.loads(line)


def _object(line: bytes, filters: Filters) -> tuple[dict[str, Any] | None, bool]:
    """The line's object if the filters keep it (None for a blank line or one they
    drop), and whether bytes that are not UTF-8 were replaced to read it: a comment
    with one bad byte keeps the rest of its text."""
    if not line.strip():
        return None, False
    fixed = False
    try:
        data = loads(line)
    except UnicodeDecodeError:
        try:
            data, fixed = json.loads(line.decode("utf-8", "replace")), True
        except ValueError as e:
            raise NotAThing(f"not JSON ({e})") from None
    except ValueError as e:
        raise NotAThing(f"not JSON ({_short(e)})") from None
    if not isinstance(data, dict):
        raise NotAThing(f"a JSON {type(data).__name__}, not an object")
    created = epoch(data.get("created_utc"))
    if not filters.keeps(data, created):
        return None, fixed
    return data, fixed


def _short(error: ValueError) -> str:
    text = str(error)
    return text if len(text) <= 80 else text[:77] + "..."


def _reddit_id(value: object, field: str) -> str:
    """``value`` without its ``t1_``/``t3_`` prefix, NotAThing if it is no Reddit id.
    An integer is read as its digits (a dump writer's number for a base-36 id)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    found = _unprefixed(value)
    if found is None:
        raise NotAThing(f"no {field}" if value in (None, "") else
                        f"{field} {value!r} is not a Reddit id")
    if not _ID.fullmatch(found):
        raise NotAThing(f"{field} {str(value)[:40]!r} is not a Reddit id")
    return found


def thing_id(data: dict[str, Any]) -> str:
    """A line's id: its ``id``, else its fullname ``name`` (``t1_``/``t3_``), which some
    producers' lines carry without the bare id."""
    value = data.get("id")
    if value is None or value == "":
        name = data.get("name")
        if name is not None and name != "":
            return _reddit_id(name, "name")
    return _reddit_id(value, "id")


def scored(data: dict[str, Any]) -> dict[str, Any]:
    """A line whose ``score`` is missing or null but that gives ``ups`` (and ``downs``),
    as Pushshift's early months and some later ones do: with the score Reddit showed,
    ``ups - downs``. Any other line as it is (a score that is no number stays none)."""
    ups, downs = data.get("ups"), data.get("downs")
    if type(ups) is not int or (downs is not None and type(downs) is not int):
        return data
    return {**data, "score": ups - (downs or 0)}


def _comment_ids(data: dict[str, Any]) -> tuple[str, str, str | None]:
    """(id, story id, parent id or None for a reply to the post) of a comment's line."""
    story_id = _reddit_id(data.get("link_id"), "link_id")
    cid = thing_id(data)
    parent = data.get("parent_id")
    if parent is None or parent == "" or (isinstance(parent, str) and parent.startswith("t3_")):
        return cid, story_id, None  # a reply to the post is at the top level
    return cid, story_id, _reddit_id(str(parent), "parent_id")


def epoch(value: Any) -> float | None:
    # Pushshift wrote created_utc as a string in some years, a number in others.
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):  # (an integer of hundreds of digits)
        return None


def seen(data: dict[str, Any]) -> str:
    """When the dump's crawler saw the thing: ``retrieved_on`` (``retrieved_utc`` in some
    years), else its creation: the earliest it can have been seen. A time outside the
    years 1-9999 (NaN, infinity, damage) is no time: the next key's is taken."""
    for key in ("retrieved_on", "retrieved_utc", "created_utc"):
        moment = epoch(data.get(key))
        if moment is None:
            continue
        if moment.is_integer() and 0 <= moment < _LAST_SECOND:
            return _second(int(moment))
        if _FIRST_SECOND <= moment < _LAST_SECOND:
            try:
                at = datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds")
            except (OverflowError, OSError, ValueError):  # the platform's own limits
                continue
            return at.removesuffix("+00:00") + "Z"
    return "1970-01-01T00:00:00Z"


def _second(moment: int) -> str:
    """``2026-01-14T09:30:00Z`` of a whole second in 1970-9999, as archive.rows.iso_utc
    writes it, without a datetime: the day's part made once a day."""
    day, second = divmod(moment, 86_400)
    prefix = _days.get(day)
    if prefix is None:
        if len(_days) > 100_000:  # a file of scattered dates: the cache stays small
            _days.clear()
        prefix = _days[day] = date.fromordinal(_EPOCH_DAY + day).isoformat()
    hour, second = divmod(second, 3_600)
    minute, second = divmod(second, 60)
    return f"{prefix}T{hour:02d}:{minute:02d}:{second:02d}Z"


def _time(raw: Any) -> tuple[str | None, str | None]:
    """(stored time, raw text) of a Reddit epoch, as ``things.epoch`` and the store's
    ``iso_utc`` give them."""
    if raw is None or isinstance(raw, bool) or raw == "":
        return None, None
    try:
        seconds = float(raw)
        if seconds.is_integer() and 0 <= seconds < _LAST_SECOND:
            return _second(int(seconds)), str(raw)
        at = datetime.fromtimestamp(seconds, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None, str(raw)
    return at.isoformat(timespec="seconds")[:-6] + "Z", str(raw)


def _unprefixed(fullname: object) -> str | None:
    if not isinstance(fullname, str) or not fullname:
        return None
    head, sep, tail = fullname.partition("_")
    return tail if sep and len(head) == 2 and head[0] == "t" else fullname


def comment_row(data: dict[str, Any], crawl_id: int) -> tuple[Any, ...]:
    """The staged row (archive.bulk.STAGED_COLUMNS) of a dump's comment object."""
    cid, story_id, parent_id = _comment_ids(data)
    if not isinstance(data.get("id"), str):
        data = {**data, "id": cid}  # Reddit's mapping reads a text id only
    score = data.get("score")
    if score is None:
        data = scored(data)
        score = data.get("score")
    at = seen(data)
    if data.get("body_html"):
        return _general_row(data, story_id, parent_id, at, crawl_id)
    extra = {k: data[k] for k in COMMENT_EXTRA if k in data}
    author = data.get("author")
    if not isinstance(author, str) or not author:
        author = None
    elif author == _GONE_AUTHOR:
        extra["author"] = author  # the account is gone; the name Reddit shows instead
        author = None
    raw = data.get("body")
    text = html.unescape(raw) if isinstance(raw, str) and raw else None
    deleted, removed = body_state(text)
    if deleted or removed:
        extra["gone_text"] = text  # Reddit's placeholder, not the comment's text
        text = None
    created_at, created_raw = _time(data.get("created_utc"))
    edited_raw = data.get("edited")
    if edited_raw is None or edited_raw is False or edited_raw == 0:
        edited, edited_at, edited_text = 0, None, None
    elif edited_raw is True:
        edited, edited_at, edited_text = 1, None, "true"
    else:
        edited, (edited_at, edited_text) = 1, _time(edited_raw)
    if type(score) is not int or not LOW <= score <= HIGH:
        extra = keep_beyond(extra, score=score) or {}
        score = stored_int(score)
    try:
        extra_json = _CANONICAL(extra) if extra else None
    except ValueError:  # NaN: the general path says what is wrong with which comment
        return _general_row(data, story_id, parent_id, at, crawl_id)
    return (SITE, cid, story_id, parent_id,
            author, created_at, created_raw, None, text or None, 0, 0, int(deleted), None, 0,
            score, edited, edited_at, edited_text, int(removed),
            int(data.get("is_submitter") is True),
            extra_json, at, at, crawl_id, SOURCE)  # fmt: skip


def general_comment_row(data: dict[str, Any], crawl_id: int) -> tuple[Any, ...]:
    """:func:`comment_row` by Reddit's own mapping and the store's row, whatever the line:
    what the fast reading is held equal to."""
    cid, story_id, parent_id = _comment_ids(data)
    if not isinstance(data.get("id"), str):
        data = {**data, "id": cid}
    if data.get("score") is None:
        data = scored(data)
    return _general_row(data, story_id, parent_id, seen(data), crawl_id)


def _general_row(data: dict[str, Any], story_id: str, parent_id: str | None, at: str,
                 crawl_id: int) -> tuple[Any, ...]:  # fmt: skip
    from archive import bulk, store
    from scraper.parsers.reddit import things

    comment = things.comment_from(data, story_id=story_id, parent_id=parent_id, depth=0, position=0)
    return bulk.staged_row((SITE, comment.id, *store._comment_content(comment), at, at,
                            crawl_id), SOURCE)  # fmt: skip


def story_row(data: dict[str, Any], crawl_id: int) -> tuple[Any, str]:
    """(Story, seen) of a submission: few enough to take Reddit's own mapping."""
    from scraper.parsers.reddit import things

    sid = thing_id(data)
    if not isinstance(data.get("id"), str):
        data = {**data, "id": sid}
    if data.get("score") is None:
        data = scored(data)
    at = seen(data)
    fetched = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return things.story_from(data, fetched_at=fetched, source=SOURCE), at
