"""Every write to the archive: crawls, threads (story + comments + pages), listings, users.

How a re-crawl merges with what is stored (rule 6: never lose what a crawl saw):

* A row is keyed by (site, id); the same thread saved twice adds no rows.
* The newer observation (by ``fetched_at``) wins, except that NULL never replaces a
  stored value: a page that lacks a field says nothing about it. (A comment's place
  in the tree and its flags are current state, taken as given: parent_id NULL means
  top level.) An *older* observation (re-parsing a kept page) only fills NULLs.
* A story saved from a page without a header (``title`` is None, e.g. a continuation
  page) does not touch kind/dead/flagged/deleted, whose dataclass defaults would
  otherwise reset what the first page said.
* A comment absent from a newer crawl of its (whole) thread is never deleted: it only
  gets ``gone_at``, cleared again if it comes back.
* History rows (``archive.versions``: comment versions, story snapshots, thread
  crawls, comment scores) are written in the same transaction, from the same
  comparison. A comment's score change is a ``comment_scores`` row, not a version.
* ``extra`` (site-specific values) is stored as canonical JSON and merged key by key,
  as columns are; a story's tags are replaced by the newest page that shows any.
* ``first_seen_at``/``last_seen_at`` widen to include the observation's time, but a
  later sighting alone rewrites no comment still shown (``archive.seen`` says why).

Rows are merged in Python against one pre-read of the stored rows, then written a
few hundred rows per statement (:func:`archive.rows.upsert_rows` says why not
executemany); rows whose first sighting moved are touched by a single UPDATE. The
counts in :class:`SaveResult` fall out of the same comparison.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from archive import health, redact, revisits, sources, summaries, versions
from archive import seen as seen_rows
from archive.crawls import Target, mark_done, queue_targets
from archive.crawls import finish_crawl as finish_crawl  # re-exported
from archive.crawls import start_crawl as start_crawl  # re-exported
from archive.db import transaction
from archive.differences import save_differences
from archive.models import Comment, Listing, Story, Thread, User
from archive.pages import keep_pages
from archive.pages import save_failed_page as save_failed_page  # re-exported
from archive.pages import save_page as _save_page
from archive.rows import (
    Row,
    canonical_json,
    insert_rows,
    iso_utc,
    merge_row,
    now_iso,
    seen_range,
    upsert_rows,
)
from archive.schema import COMMENT_COLUMNS
from archive.stories import LISTING_KEEP, check_thread, save_story, with_order
from archive.stories import save_merged_stories as save_merged_stories  # re-exported

if TYPE_CHECKING:
    import sqlite_utils


@dataclass(frozen=True, slots=True, kw_only=True)
class SaveResult:
    """What one :func:`save_thread` changed, for crawl statistics and logs."""

    new_comments: int
    updated_comments: int
    unchanged_comments: int
    pages_added: int
    gone: int = 0  # stored comments this crawl of the thread no longer showed


# -- merging -----------------------------------------------------------------------

_COMMENT_CONTENT = COMMENT_COLUMNS[2 : COMMENT_COLUMNS.index("first_seen_at")]
# parent_id None is a fact (top level), not a missing value.
_COMMENT_LATEST = frozenset(
    _COMMENT_CONTENT.index(c)
    for c in ("story_id", "parent_id", "depth", "position", "dead", "flagged", "deleted",
              "synthetic_id", "edited", "removed", "by_submitter")
)  # fmt: skip
_COMMENT_OBJECTS = frozenset({_COMMENT_CONTENT.index("extra")})
# "3 hours ago" read from a page must not replace an API's exact time (rows.exact_time).
_COMMENT_TIMES = tuple((_COMMENT_CONTENT.index(f"{c}_at"), _COMMENT_CONTENT.index(f"{c}_at_raw"))
                       for c in ("created", "edited"))  # fmt: skip


_AUTHOR, _CREATED = COMMENT_COLUMNS.index("author"), COMMENT_COLUMNS.index("created_at")


def _comment_content(c: Comment) -> Row:
    return (
        c.story_id, c.parent_id, c.depth, c.position, c.author, iso_utc(c.created_at),
        c.created_at_raw, c.text_html, c.text, int(c.dead), int(c.flagged), int(c.deleted),
        c.colour, int(c.synthetic_id), c.score, int(c.edited),
        # The 0006 fields are empty on HN: tested inline, as a call per field would
        # show in the cost of re-saving 5,000 comments.
        None if c.edited_at is None else iso_utc(c.edited_at), c.edited_at_raw,
        int(c.removed), int(c.by_submitter),
        None if c.extra is None else canonical_json(c.extra, f"comment {c.site}/{c.id}"),
    )  # fmt: skip


# -- threads -----------------------------------------------------------------------


def save_thread(
    db: sqlite_utils.Database | sqlite3.Connection, thread: Thread, *, crawl_id: int | None = None
) -> SaveResult:
    """Store one whole thread (story, every comment, its pages) in ONE transaction.

    Either all of it is written or, on any exception, none of it.
    """
    story = thread.story
    seen = iso_utc(thread.fetched_at)
    assert seen is not None
    check_thread(thread)
    source = sources.check(thread.source)
    with transaction(db) as conn:
        # What a redaction in force names is never stored again (archive.redact).
        thread, withheld, story_held = redact.withhold(conn, thread)
        story = thread.story
        save_story(conn, with_order(conn, thread), seen=seen, crawl_id=crawl_id, source=source)
        new, updated, unchanged, gone = _save_comments(
            conn, story.site, story.id, thread.comments, seen=seen, crawl_id=crawl_id,
            source=source,
            # Comments the crawl knows it left unread (Reddit's unexpanded stubs) may be
            # any stored one: a part of a thread says nothing about what is gone.
            whole=not thread.unexpanded,
        )
        versions.story_snapshot(
            conn, site=story.site, story_id=story.id, seen=seen, crawl_id=crawl_id,
            source="thread", score=story.score, comment_count=story.comment_count,
            title=story.title, via=source,
        )  # fmt: skip
        kept, written = revisits.split_visits(conn, story.site, story.id, seen, thread.pages)
        versions.thread_crawl(
            conn, site=story.site, story_id=story.id, seen=seen, crawl_id=crawl_id,
            declared=story.comment_count, comments=thread.comments,
            unexpanded=thread.unexpanded,
            pages=revisits.pages_json(thread.pages), visits=kept,
        )  # fmt: skip
        if thread.differences:
            save_differences(conn, site=story.site, story_id=story.id, seen=seen,
                             crawl_id=crawl_id, differences=thread.differences)
        conn.execute(
            "UPDATE stories SET archived_count ="
            " (SELECT count(*) FROM comments WHERE site = ? AND story_id = ?)"
            " WHERE site = ? AND id = ?",
            (story.site, story.id, story.site, story.id),
        )
        added = sum(
            _save_page(conn, page, story_id=story.id, crawl_id=crawl_id, error=None)
            for page in written
        )
        redact.after_save(conn, thread, withheld, story_held)
        mark_done(conn, crawl_id, Target(story.site, "thread", story.id))
    return SaveResult(
        new_comments=new, updated_comments=updated, unchanged_comments=unchanged,
        pages_added=added, gone=gone,
    )  # fmt: skip


def _save_comments(
    conn: sqlite3.Connection,
    site: str,
    story_id: str,
    comments: Sequence[Comment],
    *,
    seen: str,
    crawl_id: int | None,
    source: str,
    whole: bool = True,
) -> tuple[int, int, int, int]:
    """Insert new comments, merge known ones, mark absent ones gone, write their versions.

    ``whole``: they are the whole thread now; if not (API items of any threads, and
    ``story_id`` unused), none stored is marked gone for being absent.
    Returns (new, updated, unchanged, gone).
    """
    stored: dict[str, Row] = {}
    gone_at: dict[str, str | None] = {}
    was: dict[str, str | None] = {}  # each stored comment's set of sources
    select = (
        f"SELECT id, {', '.join(_COMMENT_CONTENT)}, first_seen_at, last_seen_at, last_crawl_id,"
        " source, gone_at FROM comments WHERE site = ? AND "
    )
    # The thread's stored comments (those this crawl no longer shows included), then
    # any of its ids stored under another story (moved, or a first save: all of them).
    # json_each keeps that lookup one statement with one parameter, whatever the count.
    rows = conn.execute(select + "story_id = ?", (site, story_id)).fetchall() if whole else []
    found = {row[0] for row in rows}
    others = [c.id for c in comments if c.id not in found]
    if others:
        rows += conn.execute(
            select + "id IN (SELECT value FROM json_each(?))", (site, json.dumps(others))
        ).fetchall()
    # A comment still shown was last seen by the thread's latest crawl (archive.seen).
    latest_seen, latest_crawl = seen_rows.latest_thread_crawl(conn, site, story_id) or ("", None)
    for row in rows:
        stored[row[0]], was[row[0]], gone_at[row[0]] = row[1:-2], row[-2], row[-1]
        if row[-1] is None and row[1] == story_id and latest_seen > row[-4]:
            stored[row[0]] = (*row[1:-4], latest_seen, latest_crawl or row[-3])
    writes: list[Row] = []
    history: list[Row] = []
    touched: list[str] = []
    back: list[str] = []
    # Comments changing now, with (first_seen_at, content) as stored before the change:
    # the state an 'added' row must record if they have no version yet.
    baseline: dict[str, tuple[str, Row, str | None]] = {}
    new = updated = unchanged = 0
    for c in comments:
        content = _comment_content(c)
        # A comment only one of the observation's merged sources showed says so itself.
        own = source if c.source is None else sources.check(c.source)
        old_row = stored.get(c.id)
        if old_row is None:
            new += 1
            writes.append((site, c.id, *content, seen, seen, crawl_id, own))
            continue
        old, (first, last, old_crawl) = old_row[:-3], old_row[-3:]
        # Fast path: a re-crawl mostly sees comments exactly as stored.
        merged = (
            old
            if content == old
            else merge_row(
                old,
                content,
                newer=seen >= last,
                latest=_COMMENT_LATEST,
                keep=frozenset(),
                objects=_COMMENT_OBJECTS,
                times=_COMMENT_TIMES,
            )
        )
        new_first, new_last = seen_range(first, last, seen)
        crawl = old_crawl if crawl_id is None else crawl_id
        was_gone = gone_at[c.id]
        sources_now = sources.union(was[c.id], own)
        if merged != old:
            updated += 1
            writes.append((site, c.id, *merged, new_first, new_last, crawl, sources_now))
            changes = versions.comment_changes(old, merged)
            if changes:
                baseline[c.id] = (first, old, was[c.id])
            history.extend(
                versions.version_row(site, c.id, seen, crawl_id, change, merged, own)
                for change in changes
            )
        else:
            unchanged += 1
            if sources_now != was[c.id]:
                # Rare: the first observation from another source; a whole row is cheap.
                writes.append((site, c.id, *old, new_first, new_last, crawl, sources_now))
            # A later sighting is this save's thread_crawls row (archive.seen); an earlier
            # first one is written, as is any of a row marked gone, which says its own.
            elif new_first != first or (was_gone is not None and new_last != last):
                touched.append(c.id)
        if was_gone is not None and seen > was_gone:
            back.append(c.id)
            baseline.setdefault(c.id, (first, old, was[c.id]))
            history.append(
                versions.version_row(site, c.id, seen, crawl_id, "back", merged, own))
    # Gone: stored, absent from this whole thread, and not seen by any later crawl
    # (re-saving an older fetch says nothing about now). Marked once, row kept.
    present = {c.id for c in comments}
    gone = [
        i for i, row in stored.items()
        if whole and i not in present and gone_at[i] is None and row[-2] < seen
    ]  # fmt: skip
    for i in gone:
        baseline.setdefault(i, (stored[i][-3], stored[i][:-3], was[i]))
        history.append(
            versions.version_row(site, i, seen, crawl_id, "gone", stored[i][:-3], source))
    history[:0] = versions.first_versions(conn, site, baseline)
    # HN shows no comment scores: its saves skip this entirely.
    scores = {c.id: c.score for c in comments if c.score is not None}
    if scores:
        versions.comment_scores(conn, site, scores, seen=seen, crawl_id=crawl_id)
    if rows:
        upsert_rows(conn, "comments", COMMENT_COLUMNS, ("site", "id"), writes)
    else:  # every comment new, read under the write lock: no conflict to resolve
        insert_rows(conn, "comments", COMMENT_COLUMNS, writes)
    upsert_rows(conn, "comment_versions", versions.VERSION_COLUMNS, versions.VERSION_KEY, history)
    seen_rows.write(conn, site, seen=seen, crawl_id=crawl_id, touched=touched, back=back,
                    gone=gone, latest=(latest_seen, latest_crawl))
    if writes and whole and not rows:  # the thread's first comments: these rows
        summaries.first_saved(conn, site, story_id,
                              ((row[_AUTHOR], row[_CREATED]) for row in writes))
    elif writes:  # new or changed rows: their threads' parts of the author counts move
        summaries.threads_saved(conn, site, {story_id, *(row[0] for row in stored.values())})
    return new, updated, unchanged, len(gone)


# -- listings and users ------------------------------------------------------------


def save_listing(
    db: sqlite_utils.Database | sqlite3.Connection,
    listing: Listing,
    *,
    crawl_id: int | None = None,
    target: str | None = None,
    follow: bool = False,
) -> int:
    """Store one listing page in ONE transaction; return the number of entries stored.

    Each entry upserts its story (title, score, declared count...; never a NULL over a
    known value, never text or comments) and adds a ``listing_snapshots`` row and, if
    anything moved, a ``story_snapshots`` row with source ``listing:<name>``.
    ``target``: the crawl target (listing path) this page completes. ``follow``: the
    crawl will fetch every thread listed, so they are queued in the same transaction.
    """
    seen = iso_utc(listing.fetched_at)
    assert seen is not None
    source = sources.check(listing.source)
    with transaction(db) as conn:
        for e in listing.entries:
            story = Story(
                site=e.site, id=e.story_id, title=e.title, url=e.url, domain=e.domain,
                author=e.author, score=e.score, comment_count=e.comment_count,
                created_at=e.created_at, created_at_raw=e.created_at_raw, kind=e.kind,
            )  # fmt: skip
            save_story(conn, story, seen=seen, crawl_id=crawl_id, source=source,
                       keep=LISTING_KEEP)
        if crawl_id is not None:
            if target is not None:
                mark_done(conn, crawl_id, Target(listing.site, "listing", target))
            if follow:
                queue_targets(conn, crawl_id, (Target(e.site, "thread", e.story_id)
                                               for e in listing.entries))  # fmt: skip
        keep_pages(conn, listing.pages, crawl_id)
        return versions.listing_snapshots(conn, listing, seen=seen, crawl_id=crawl_id,
                                          via=source)


_USER_CONTENT = ("created_at", "created_at_raw", "karma", "about_html", "about", "extra")
_USER_OBJECTS = frozenset({_USER_CONTENT.index("extra")})


def save_user(
    db: sqlite_utils.Database | sqlite3.Connection,
    user: User,
    *,
    crawl_id: int | None = None,
    fetched_at: datetime | None = None,
) -> None:
    """Store a user's profile (newest non-NULL values win) and a snapshot if karma or
    about changed. ``fetched_at`` defaults to now: a User record carries no fetch time.
    """
    seen = iso_utc(fetched_at) if fetched_at is not None else now_iso()
    assert seen is not None
    with transaction(db) as conn:
        user = redact.withheld_user(conn, user)
        content = (iso_utc(user.created_at), user.created_at_raw, user.karma, user.about_html,
                   user.about, canonical_json(user.extra, f"user {user.site}/{user.id}"))
        stored = conn.execute(
            f"SELECT {', '.join(_USER_CONTENT)}, first_seen_at, last_seen_at, source FROM users"
            " WHERE site = ? AND id = ?",
            (user.site, user.id),
        ).fetchone()
        first = last = seen
        source = sources.check(user.source)
        if stored is not None:
            first, last = seen_range(stored[-3], stored[-2], seen)
            content = merge_row(
                stored[:-3], content, newer=seen >= stored[-2], latest=frozenset(),
                keep=frozenset(), objects=_USER_OBJECTS,
            )  # fmt: skip
            source = sources.union(stored[-1], source)
        conn.execute(
            f"INSERT INTO users (site, id, {', '.join(_USER_CONTENT)}, first_seen_at,"
            " last_seen_at, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (site, id) DO UPDATE"
            f" SET {', '.join(f'{c} = excluded.{c}' for c in _USER_CONTENT)},"
            " first_seen_at = excluded.first_seen_at, last_seen_at = excluded.last_seen_at,"
            " source = excluded.source",
            (user.site, user.id, *content, first, last, source),
        )
        versions.user_snapshot(
            conn, site=user.site, user_id=user.id, seen=seen, crawl_id=crawl_id,
            karma=user.karma, about=user.about, via=sources.check(user.source),
        )  # fmt: skip
        keep_pages(conn, user.pages, crawl_id)
        mark_done(conn, crawl_id, Target(user.site, "user", user.id))


def record_health(db: sqlite_utils.Database | sqlite3.Connection, crawl_id: int,
                  seen: health.Health) -> list[str]:
    """Store what a crawl's pages gave and return its markup-drift lines
    (:mod:`archive.health`), in one transaction."""
    with transaction(db) as conn:
        return health.record(conn, crawl_id, now_iso(), seen)
