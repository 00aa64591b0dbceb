"""Story rows: how an observation of a story merges with the stored row, and its tags.

Split out of ``archive.store``, whose thread and listing saves both write stories; the
merge rules are the store's (see its docstring).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from archive import sources
from archive.crawls import Target, mark_done
from archive.db import transaction
from archive.models import Story, Thread
from archive.rows import Row, canonical_json, iso_utc, merge_row, seen_range
from archive.schema import STORY_COLUMNS

if TYPE_CHECKING:
    import sqlite_utils

# Indexes into the *content* part of each row (the columns between id and first_seen_at).
STORY_CONTENT = STORY_COLUMNS[2 : STORY_COLUMNS.index("first_seen_at")]
# Fields a header-less story (continuation page) has only as dataclass defaults.
STORY_HEADER_ONLY = frozenset(
    STORY_CONTENT.index(c) for c in ("kind", "dead", "flagged", "deleted")
)
STORY_OBJECTS = frozenset({STORY_CONTENT.index("extra")})
# An exact time (an API's, a page's title attribute) outlives an approximate one.
STORY_TIMES = ((STORY_CONTENT.index("created_at"), STORY_CONTENT.index("created_at_raw")),)

# A listing row is no story header: it has no say on the flags (it shows no dead or
# flagged marks), nor on the kind once a thread page has set it.
LISTING_KEEP = frozenset(STORY_CONTENT.index(c) for c in ("kind", "dead", "flagged", "deleted"))


def story_content(story: Story) -> Row:
    return (
        story.title, story.url, story.domain, story.author, story.score, story.comment_count,
        iso_utc(story.created_at), story.created_at_raw, story.text_html, story.text,
        story.kind, int(story.dead), int(story.flagged), int(story.deleted), story.merged_into,
        canonical_json(story.extra, f"story {story.site}/{story.id}"),
    )  # fmt: skip


def save_story(
    conn: sqlite3.Connection,
    story: Story,
    *,
    seen: str,
    crawl_id: int | None,
    source: str,
    keep: frozenset[int] | None = None,
) -> None:
    """Merge one observation of ``story`` (from ``source``, archive.sources) into its row."""
    content = story_content(story)
    stored = conn.execute(
        f"SELECT {', '.join(STORY_CONTENT)}, first_seen_at, last_seen_at, last_crawl_id,"
        " source FROM stories WHERE site = ? AND id = ?",
        (story.site, story.id),
    ).fetchone()
    if stored is None:
        conn.execute(
            f"INSERT INTO stories ({', '.join(STORY_COLUMNS)})"
            f" VALUES ({', '.join('?' * len(STORY_COLUMNS))})",
            (story.site, story.id, *content, seen, seen, 0, crawl_id, source),
        )
        _save_tags(conn, story, newer=True)
        return
    old, (first, last, old_crawl, was) = stored[:-4], stored[-4:]
    if keep is None:
        keep = STORY_HEADER_ONLY if story.title is None else frozenset()
    merged = merge_row(old, content, newer=seen >= last, latest=frozenset(), keep=keep,
                       objects=STORY_OBJECTS, times=STORY_TIMES)  # fmt: skip
    _save_tags(conn, story, newer=seen >= last)
    first, last = seen_range(first, last, seen)
    crawl = old_crawl if crawl_id is None else crawl_id
    assigns = ", ".join(f"{c} = ?" for c in STORY_CONTENT)
    conn.execute(
        f"UPDATE stories SET {assigns}, first_seen_at = ?, last_seen_at = ?, last_crawl_id = ?,"
        " source = ? WHERE site = ? AND id = ?",
        (*merged, first, last, crawl, sources.union(was, source), story.site, story.id),
    )


def _save_tags(conn: sqlite3.Connection, story: Story, *, newer: bool) -> None:
    """Replace the story's tags by the ones this observation shows, if it shows any.

    No tags says nothing (HN has none; a listing row or a continuation page shows
    none), as NULL says nothing elsewhere; an older observation only fills an empty set.
    """
    if not story.tags:
        return
    stored = {
        row[0]
        for row in conn.execute(
            "SELECT tag FROM story_tags WHERE site = ? AND story_id = ?", (story.site, story.id)
        )
    }
    shown = set(story.tags)
    if stored == shown or (stored and not newer):
        return
    conn.execute("DELETE FROM story_tags WHERE site = ? AND story_id = ?", (story.site, story.id))
    conn.executemany(
        "INSERT INTO story_tags (site, story_id, tag) VALUES (?, ?, ?)",
        [(story.site, story.id, tag) for tag in sorted(shown)],
    )


def with_order(conn: sqlite3.Connection, thread: Thread) -> Story:
    """The story, with extra "comment_order" where positions are not in display order
    or a stored observation said they were not (this one's then says what they are now;
    merged as positions are: the newer observation's wins)."""
    story = thread.story
    if thread.comment_order == "display" and conn.execute(
        "SELECT 1 FROM stories WHERE site = ? AND id = ?"
        " AND json_extract(extra, '$.comment_order') IS NOT NULL", (story.site, story.id),
    ).fetchone() is None:  # fmt: skip
        return story
    return replace(story, extra={**(story.extra or {}), "comment_order": thread.comment_order})


def check_thread(thread: Thread) -> None:
    # A Thread that contradicts itself is a bug upstream; storing it would corrupt the
    # tree, so fail before writing anything (rule 4: fail loudly).
    site, story_id = thread.story.site, thread.story.id
    ids: set[str] = set()
    for c in thread.comments:
        if c.site != site or c.story_id != story_id:
            raise ValueError(
                f"comment {c.site}/{c.id} belongs to {c.site}/{c.story_id}, "
                f"not to thread {site}/{story_id}"
            )
        if c.id in ids:
            raise ValueError(f"comment {site}/{c.id} appears twice in thread {story_id}")
        ids.add(c.id)


def save_merged_stories(
    db: sqlite_utils.Database | sqlite3.Connection, stories: Sequence[Story], *,
    fetched_at: datetime, crawl_id: int | None = None, source: str = "html",
) -> None:
    """Store stories that were merged into another (``merged_into`` set), in one
    transaction; each completes its own thread target.

    Their comments live in the thread they went into, which is saved as a thread of its
    own: saving a merged story as an empty thread instead would mark every comment an
    earlier crawl archived under it as gone from the site."""
    seen = iso_utc(fetched_at)
    assert seen is not None
    with transaction(db) as conn:
        for story in stories:
            if story.merged_into is None:
                raise ValueError(f"story {story.site}/{story.id} is not a merged story")
            save_story(conn, story, seen=seen, crawl_id=crawl_id, source=sources.check(source))
            mark_done(conn, crawl_id, Target(story.site, "thread", story.id))
