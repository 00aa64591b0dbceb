"""Row-level helpers shared by the store modules: times as text, merging, batched upserts.

Split out of ``archive.store`` so that the history writers (``archive.versions``) use
the same pieces without importing the store that calls them.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from itertools import chain
from typing import Any

from archive.errors import ArchiveError

Row = tuple[Any, ...]


def iso_utc(value: datetime | None) -> str | None:
    """``2026-01-14T09:30:00Z``: one fixed-width form, so stored times compare as text."""
    if value is None:
        return None
    if value.tzinfo is None:
        # A naive time is ambiguous; guessing would store wrong history silently.
        raise ValueError(f"naive datetime {value!r}: records must carry UTC times")
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # What isoformat(timespec="seconds") writes before its "+00:00" (seconds truncated,
    # the year in four digits), at a third of its cost, and of an f-string's with the
    # same padding: it is every comment's time in a save (tests/test_store_rows.py
    # holds the two equal).
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (  # noqa: UP031
        value.year, value.month, value.day, value.hour, value.minute, value.second)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def user_time(value: str, name: str, *, end: bool = False) -> str:
    """A date or time a user typed (``--since``, ``--as-of``...) as stored UTC text; with
    ``end``, the exclusive upper bound.

    Stored times have whole seconds, so "at or before T" is "before T plus a second",
    and "until a day" is "before the next day".
    """
    value = value.strip()
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as e:
        raise ArchiveError(
            f"{name} {value!r} is not a date or time: use e.g. 2026-01-14 or 2026-01-14T09:30:00Z"
        ) from e
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # stored times are UTC; a bare time means UTC
    try:
        if end:
            when += timedelta(days=1) if _DATE.match(value) else timedelta(seconds=1)
        when = when.astimezone(UTC)
    except OverflowError as e:  # 9999-12-31 as an end, 0001-01-01 with an offset east
        raise ArchiveError(
            f"{name} {value!r} is out of range: times go from 0001-01-01 to 9999-12-31 UTC"
        ) from e
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical_json(value: Mapping[str, Any] | None, what: str) -> str | None:
    """A record's ``extra`` as stored: JSON with sorted keys and no spaces, so that the
    same values always give the same text (an unchanged re-crawl compares equal);
    None for none or an empty mapping. ``what`` names the record in the error."""
    if not value:
        return None
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False)  # fmt: skip
    except (TypeError, ValueError) as e:
        raise ValueError(f"{what}: extra is not JSON-serialisable: {e}") from e


def _merge_objects(old: str, new: str, *, newer: bool) -> str:
    # Key by key, as columns merge: a key the observation lacks says nothing about it.
    first, second = (json.loads(old), json.loads(new))
    merged = {**first, **second} if newer else {**second, **first}
    return json.dumps(merged, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# A raw time that states the clock time itself: an ISO time ("2023-02-21T20:35:07",
# "2016-10-05 17:35:45 -0500") or a Unix epoch ("1747317407", "1747317407.0").
_STATED_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|\s*\d{9,11}(?:\.\d+)?\s*$")


def exact_time(at: str | None, raw: str | None) -> bool:
    """Whether a stored time is exact: a raw value beside it that states the time (an
    ISO time, an epoch), or none at all (an API's number loses nothing in parsing).
    A raw text that does not ("3 hours ago", "on Oct 9, 2006") was resolved against the
    fetch time or a day, so the time is only as precise as that text."""
    return at is not None and (raw is None or _STATED_TIME.match(raw) is not None)


def merge_row(
    old: Row,
    new: Row,
    *,
    newer: bool,
    latest: frozenset[int],
    keep: frozenset[int],
    objects: frozenset[int] = frozenset(),
    times: tuple[tuple[int, int], ...] = (),
) -> Row:
    """Field-by-field merge of a stored row with a new observation of it.

    ``latest``: indexes where the newer observation wins even when it is NULL
    (structure and flags: the current state, not a fact that a page may omit).
    ``keep``: indexes this observation has no say on at all.
    ``objects``: indexes holding canonical JSON objects (``extra``), merged key by key,
    the newer observation's keys winning.
    ``times``: (time, raw time) index pairs merged as one value by precision: an exact
    time (:func:`exact_time`) is never replaced by an approximate one, however new, and
    replaces an approximate one, however old; between equals the rule below holds.
    Elsewhere the newer non-NULL value wins; an older observation only fills NULLs.
    """
    out = list(old)
    for i, (o, n) in enumerate(zip(old, new, strict=True)):
        if i in keep:
            continue
        if i in objects and o is not None and n is not None and o != n:
            out[i] = _merge_objects(o, n, newer=newer)
        elif newer:
            if n is not None or i in latest:
                out[i] = n
        elif o is None:
            out[i] = n
    for at, raw in times:
        old_exact, new_exact = exact_time(old[at], old[raw]), exact_time(new[at], new[raw])
        if old_exact != new_exact and at not in keep:
            source = old if old_exact else new
            out[at], out[raw] = source[at], source[raw]
    return tuple(out)


def seen_range(old_first: str, old_last: str, seen: str) -> tuple[str, str]:
    return min(old_first, seen), max(old_last, seen)


ROWS_PER_STATEMENT = 2500


def upsert_rows(
    conn: sqlite3.Connection,
    table: str,
    columns: Sequence[str],
    key: Sequence[str],
    rows: Sequence[Row],
) -> None:
    """Write full rows (already merged), many per statement.

    Many rows per statement rather than executemany: every statement that writes an
    FTS5 table opens a savepoint, and FTS5 flushes its pending index to disk at each
    one. Row-at-a-time writes thus made one tiny FTS segment per comment and cost
    five times as much as the rows themselves. One statement per few thousand rows
    lets FTS5 batch the tokenised text as it does for a bulk load: a 5,000-comment
    first save took ~10% less at 2,500 rows a statement than at 500 (bench/store.py).
    """
    if not rows:
        return
    limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per = max(1, min(ROWS_PER_STATEMENT, limit // len(columns)))
    one = "(" + ", ".join("?" * len(columns)) + ")"
    assigns = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        conn.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one] * len(chunk))}"
            f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {assigns}",
            list(chain.from_iterable(chunk)),
        )


def insert_rows(conn: sqlite3.Connection, table: str, columns: Sequence[str],
                rows: Sequence[Row]) -> None:
    """:func:`upsert_rows` for rows known to be new (their keys read as absent in the
    same write transaction): a plain INSERT, without the conflict check's cost."""
    if not rows:
        return
    limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per = max(1, min(ROWS_PER_STATEMENT, limit // len(columns)))
    one = "(" + ", ".join("?" * len(columns)) + ")"
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        conn.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one] * len(chunk))}",
            list(chain.from_iterable(chunk)),
        )
