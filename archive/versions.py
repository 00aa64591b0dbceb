"""History rows written beside the current-state rows, inside the caller's transaction.

``archive.store`` keeps one row per story, comment and user: the latest state. This
module adds what that state forgets (migration ``0002_history``):

* ``comment_versions``: one row per observed change of a comment ('edited',
  'deleted', 'dead', 'flagged' and their reversals, 'gone' and 'back'), each carrying
  the comment's state after the change. A comment's first change also writes the
  'added' row it had no need of until then: its state when first archived. A comment
  that never changed has no version: its ``comments`` row is its whole history.
* ``story_snapshots``: score, declared comment count, title and rank per source
  ('thread' or 'listing:<name>'), written only when one of them differs from that
  source's previous snapshot, so a story re-crawled unchanged adds nothing.
* ``thread_crawls``: what each crawl of a thread found against what the site declared.
* ``listing_snapshots`` and ``user_snapshots``.

Every function takes an open connection and writes nothing outside it; the callers in
``archive.store`` own the transaction (rule 6: one transaction per page).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from archive.models import Comment, Listing
from archive.rows import upsert_rows
from archive.schema import COMMENT_COLUMNS

Row = tuple[Any, ...]

CHANGES = (
    "added", "edited", "deleted", "undeleted", "dead", "undead", "flagged", "unflagged",
    "gone", "back", "removed", "unremoved",
)  # fmt: skip
VERSION_COLUMNS = (
    "site", "comment_id", "seen_at", "crawl_id", "change", "text_html", "text", "dead",
    "flagged", "deleted", "removed", "edited", "edited_at", "edited_at_raw", "source",
)  # fmt: skip
VERSION_KEY = ("site", "comment_id", "seen_at", "change")

# Positions in the comment *content* row that archive.store merges (between id and
# first_seen_at in COMMENT_COLUMNS).
_CONTENT = COMMENT_COLUMNS[2 : COMMENT_COLUMNS.index("first_seen_at")]
# The content columns a version carries, in VERSION_COLUMNS order.
_STATE = tuple(_CONTENT.index(c) for c in VERSION_COLUMNS[5:-1])
_TEXT = _CONTENT.index("text")
_EDITED, _EDITED_AT = _CONTENT.index("edited"), _CONTENT.index("edited_at")
# (position, change when it turns on, change when it turns off), in reporting order.
_FLAGS = tuple((_CONTENT.index(f), f, "un" + f) for f in ("deleted", "removed", "dead", "flagged"))


def version_row(site: str, comment_id: str, seen: str, crawl_id: int | None, change: str,
                content: Row, source: str | None) -> Row:  # fmt: skip
    """A ``comment_versions`` row: the comment's state (from its content row) after
    ``change``, as the observation from ``source`` saw it."""
    return (site, comment_id, seen, crawl_id, change, *(content[i] for i in _STATE), source)


def first_versions(conn: sqlite3.Connection, site: str,
                   baseline: dict[str, tuple[str, Row, str | None]]) -> list[Row]:  # fmt: skip
    """'added' rows for the comments in ``baseline`` that have no version yet.

    A comment's first version is written lazily, when it first changes: until then its
    row in ``comments`` is its only state, so an 'added' row per new comment would store
    every text twice for nothing. ``baseline`` maps a comment id to (first_seen_at, its
    content row before this change, its sources then), which is what the comment looked
    like when first archived: nothing versioned (text, flags) has changed since, or it
    would have a row.
    """
    if not baseline:
        return []
    have = {
        row[0]
        for row in conn.execute(
            "SELECT DISTINCT comment_id FROM comment_versions WHERE site = ?"
            " AND comment_id IN (SELECT value FROM json_each(?))",
            (site, json.dumps(list(baseline))),
        )
    }
    return [
        version_row(site, cid, first, None, "added", content, source)
        for cid, (first, content, source) in baseline.items()
        if cid not in have
    ]


def comment_changes(old: Row, merged: Row) -> list[str]:
    """The changes between a stored content row and its merge with a new observation.

    An edit is a change of the text, or a later edit time on a comment the site calls
    edited (the site saw an edit the text does not show). A markup-only difference in
    ``text_html`` (a parser that renders links differently) is not something the
    author did, and an edit time first learnt (NULL before) is no new edit.
    """
    old_at, new_at = old[_EDITED_AT], merged[_EDITED_AT]
    edited = old[_TEXT] != merged[_TEXT] or bool(
        merged[_EDITED] and old_at is not None and new_at is not None and new_at > old_at
    )
    changes = ["edited"] if edited else []
    for i, on, off in _FLAGS:
        if old[i] != merged[i]:
            changes.append(on if merged[i] else off)
    return changes


def comment_scores(conn: sqlite3.Connection, site: str, scores: dict[str, int], *,
                   seen: str, crawl_id: int | None) -> int:  # fmt: skip
    """Write a ``comment_scores`` row for each comment whose score differs from its
    latest row at or before ``seen`` (or has none); return the number written."""
    # SQLite takes the bare ``score`` from the row that has max(seen_at).
    previous = {
        row[0]: row[1]
        for row in conn.execute(
            "SELECT comment_id, score, max(seen_at) FROM comment_scores WHERE site = ?"
            " AND comment_id IN (SELECT value FROM json_each(?)) AND seen_at <= ?"
            " GROUP BY comment_id",
            (site, json.dumps(list(scores)), seen),
        )
    }
    rows = [(site, cid, seen, crawl_id, score) for cid, score in scores.items()
            if previous.get(cid) != score]  # fmt: skip
    upsert_rows(conn, "comment_scores", ("site", "comment_id", "seen_at", "crawl_id", "score"),
                ("site", "comment_id", "seen_at"), rows)  # fmt: skip
    return len(rows)


def thread_crawl(conn: sqlite3.Connection, *, site: str, story_id: str, seen: str,
                 crawl_id: int | None, declared: int | None, comments: Sequence[Comment],
                 pages: str | None = None, unexpanded: int | None = None,
                 visits: str | None = None) -> None:  # fmt: skip
    """What this crawl of the thread found: live, dead and deleted comments vs declared,
    and the comments it knows it left unexpanded (None: it cannot tell).

    Where it can tell, its own account is the declared count of this row: what it
    found plus what it left out (Reddit's ``num_comments`` counts removed and spam
    comments, an upper bound; it stays in ``stories.comment_count``), so the shortfall
    ``gaps`` reads (``thread_latest``) is exactly ``unexpanded``.

    The three counts are disjoint (a comment both dead and deleted counts as deleted),
    so archived + dead + deleted is every comment the page(s) showed. ``pages``: the
    JSON page set read (``archive.revisits``), which a later crawl compares with its own.
    ``visits``: the visits ``archive.revisits.split_visits`` keeps in this row (JSON, or
    None). A row of the same fetch already stored keeps its own: split_visits keeps
    none then, and writes as rows only the visits recorded nowhere.
    """
    deleted = sum(1 for c in comments if c.deleted)
    dead = sum(1 for c in comments if c.dead and not c.deleted)
    archived = len(comments) - deleted - dead
    if unexpanded is not None:
        declared = len(comments) + unexpanded
    missing = None if declared is None else max(declared - archived, 0)
    conn.execute(
        "INSERT INTO thread_crawls (site, story_id, crawl_id, seen_at, declared, archived,"
        " dead, deleted, missing, unchanged, pages, unexpanded, visits)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)"
        " ON CONFLICT (site, story_id, seen_at) DO UPDATE SET crawl_id ="
        " coalesce(excluded.crawl_id, crawl_id), declared = excluded.declared,"
        " archived = excluded.archived, dead = excluded.dead, deleted = excluded.deleted,"
        " missing = excluded.missing, unchanged = 0,"
        " pages = coalesce(excluded.pages, pages), unexpanded = excluded.unexpanded,"
        " visits = coalesce(excluded.visits, visits)",
        (site, story_id, crawl_id, seen, declared, archived, dead, deleted, missing, pages,
         unexpanded, visits),
    )


def story_snapshot(conn: sqlite3.Connection, *, site: str, story_id: str, seen: str,
                   crawl_id: int | None, source: str, score: int | None,
                   comment_count: int | None, title: str | None,
                   rank: int | None = None, via: str = "html") -> bool:  # fmt: skip
    """Write a ``story_snapshots`` row if the values differ from the previous one.

    "Previous" is the latest snapshot of the same source at or before ``seen``, so a
    re-save of the same observation, or of an unchanged story, writes nothing.
    Returns whether a row was written.
    """
    values: tuple[Any, ...] = (score, comment_count, title, rank)
    if values == (None, None, None, None):
        return False  # a page that showed none of them observed nothing
    previous = conn.execute(
        "SELECT score, comment_count, title, rank FROM story_snapshots"
        " WHERE site = ? AND story_id = ? AND source = ? AND seen_at <= ?"
        " ORDER BY seen_at DESC LIMIT 1",
        (site, story_id, source, seen),
    ).fetchone()
    if previous is not None:
        # As in the stories table, a value the page did not show is not a change to NULL.
        values = tuple(p if v is None else v for v, p in zip(values, previous, strict=True))
        if tuple(previous) == values:
            return False
    conn.execute(
        "INSERT INTO story_snapshots (site, story_id, seen_at, crawl_id, source, score,"
        " comment_count, title, rank, via) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (site, story_id, seen_at, source) DO UPDATE SET"
        " crawl_id = coalesce(excluded.crawl_id, crawl_id), score = excluded.score,"
        " comment_count = excluded.comment_count, title = excluded.title, rank = excluded.rank,"
        " via = excluded.via",
        (site, story_id, seen, crawl_id, source, *values, via),
    )
    return True


def listing_snapshots(conn: sqlite3.Connection, listing: Listing, *, seen: str,
                      crawl_id: int | None, via: str = "html") -> int:  # fmt: skip
    """One ``listing_snapshots`` row per entry and a 'listing:<name>' story snapshot."""
    for e in listing.entries:
        conn.execute(
            "INSERT INTO listing_snapshots (site, listing, page, rank, story_id, score,"
            " comment_count, seen_at, crawl_id, via) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (site, listing, seen_at, rank) DO UPDATE SET page = excluded.page,"
            " story_id = excluded.story_id, score = excluded.score,"
            " comment_count = excluded.comment_count,"
            " crawl_id = coalesce(excluded.crawl_id, crawl_id), via = excluded.via",
            (listing.site, listing.name, listing.page, e.rank, e.story_id, e.score,
             e.comment_count, seen, crawl_id, via),
        )  # fmt: skip
        story_snapshot(
            conn, site=e.site, story_id=e.story_id, seen=seen, crawl_id=crawl_id,
            source=f"listing:{listing.name}", score=e.score, comment_count=e.comment_count,
            title=e.title, rank=e.rank, via=via,
        )  # fmt: skip
    return len(listing.entries)


def user_snapshot(conn: sqlite3.Connection, *, site: str, user_id: str, seen: str,
                  crawl_id: int | None, karma: int | None, about: str | None,
                  via: str = "html") -> bool:  # fmt: skip
    """Write a ``user_snapshots`` row if karma or about differ from the previous one."""
    previous = conn.execute(
        "SELECT karma, about FROM user_snapshots WHERE site = ? AND user_id = ?"
        " AND seen_at <= ? ORDER BY seen_at DESC LIMIT 1",
        (site, user_id, seen),
    ).fetchone()
    if previous == (karma, about):
        return False
    conn.execute(
        "INSERT INTO user_snapshots (site, user_id, seen_at, crawl_id, karma, about, via)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site, user_id, seen_at) DO UPDATE SET"
        " crawl_id = coalesce(excluded.crawl_id, crawl_id), karma = excluded.karma,"
        " about = excluded.about, via = excluded.via",
        (site, user_id, seen, crawl_id, karma, about, via),
    )
    return True
