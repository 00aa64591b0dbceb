"""Items one at a time, as an API gives them (HN's: one story or comment per request, in
any order): each batch stored in ONE transaction, comments linked into their threads
as their parents arrive.

A comment knows only its parent's id. Its thread, depth and position come from the
parent: a story stored (depth 0, ``parent_id`` NULL), a comment stored (its thread,
depth + 1), or an item of the same batch. Its position is its index in the parent's
``kids`` (this batch's, else the last ``item_links`` row), else after the siblings
stored. A comment whose parent is not stored yet waits whole in ``pending_comments``
and is stored, placed, in the transaction that brings its parent (and its own waiting
replies with it). Stories and placed comments go through the store's merges
(``archive.stories.save_story``, ``archive.store._save_comments``): versions and
snapshots are written as a crawl writes them, and nothing is marked gone. What a
redaction in force names is withheld as ``save_thread`` withholds it (archive.redact).

The batch and the caller's high-water mark (``archive.follow_state``) commit together:
a killed run leaves every batch either stored with its mark, or not at all.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from archive import follow_state, redact, sources, versions
from archive.db import transaction
from archive.models import Comment, Story, Thread
from archive.rows import iso_utc
from archive.store import _save_comments
from archive.stories import save_story

if TYPE_CHECKING:
    import sqlite_utils

# story_snapshots.source (the page kind): an item holds what a thread page's header
# shows, so its snapshots continue the same series; ``via`` says it came from the API.
SNAPSHOT_SOURCE = "thread"


@dataclass(frozen=True, slots=True, kw_only=True)
class LooseItem:
    """One item as an API gives it on its own: a story, or a comment that knows only
    the id of the item it answers (``parent``). The comment's story_id, parent_id,
    depth and position are placeholders that :func:`save_items` replaces."""

    id: str
    parent: str | None = None  # the story or comment answered; None for a story
    kids: tuple[str, ...] = ()  # replies, in display order
    story: Story | None = None
    comment: Comment | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemsResult:
    stories: int
    comments: int  # stored now, waiting ones that arrived with their parent included
    waiting: int  # kept in pending_comments, their parent not stored yet
    new_comments: int = 0
    updated_comments: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Mark:
    """A high-water mark to commit with the batch (``archive.follow_state``)."""

    name: str
    position: int
    detail: str | None = None


def save_items(db: sqlite_utils.Database | sqlite3.Connection, site: str,
               items: Sequence[LooseItem], *, fetched_at: datetime,
               crawl_id: int | None = None, mark: Mark | None = None,
               source: str = "api") -> ItemsResult:
    """Store a batch of items (observed through ``source``, archive.sources) and
    ``mark`` in one transaction (see the module)."""
    seen = iso_utc(fetched_at)
    assert seen is not None
    with transaction(db) as conn:
        _links(conn, site, items)
        stories = [_withheld_story(conn, i.story, fetched_at) for i in items
                   if i.story is not None]  # fmt: skip
        for story in stories:
            # An item states its flags even without a title (a deleted story has none):
            # no header-only fields to keep, unlike a continuation page's story.
            save_story(conn, story, seen=seen, crawl_id=crawl_id, source=source,
                       keep=frozenset())
            versions.story_snapshot(
                conn, site=site, story_id=story.id, seen=seen, crawl_id=crawl_id,
                source=SNAPSHOT_SOURCE, score=story.score, comment_count=story.comment_count,
                title=story.title, via=source,
            )  # fmt: skip
        loose = [i for i in items if i.comment is not None]
        placed, waiting = _place(conn, site, items, loose)
        placed, after = _withheld_comments(conn, site, placed, fetched_at)
        waiting = _withheld_waiting(conn, site, waiting, fetched_at)
        # The store's comment merge, for comments of any threads and no whole one: none is
        # marked gone for being absent (``story_id`` is unused then).
        new, updated, _, _ = _save_comments(conn, site, "", placed, seen=seen,
                                            crawl_id=crawl_id, source=sources.check(source),
                                            whole=False)  # fmt: skip
        for thread, withheld, story_held in after:
            redact.after_save(conn, thread, withheld, story_held)
        touched = {*(c.story_id for c in placed), *(s.id for s in stories)}
        conn.execute(
            "UPDATE stories SET archived_count = (SELECT count(*) FROM comments c"
            " WHERE c.site = stories.site AND c.story_id = stories.id)"
            " WHERE site = ? AND id IN (SELECT value FROM json_each(?))",
            (site, json.dumps(sorted(touched))),
        )
        _wait(conn, site, waiting, placed, seen)
        if mark is not None:
            follow_state.set_state(conn, site, mark.name, mark.position, mark.detail)
    return ItemsResult(stories=len(stories), comments=len(placed), waiting=len(waiting),
                       new_comments=new, updated_comments=updated)  # fmt: skip


# -- redactions in force (archive.redact): what they name is never stored again ----


def _withheld_story(conn: sqlite3.Connection, story: Story, fetched_at: datetime) -> Story:
    alone = Thread(story=story, comments=(), fetched_at=fetched_at)
    return redact.withhold(conn, alone)[0].story


def _withheld_comments(conn: sqlite3.Connection, site: str, placed: list[Comment],
                       fetched_at: datetime,
                       ) -> tuple[list[Comment], list[tuple[Thread, list[str], bool]]]:
    """The placed comments with what a redaction names withheld, thread by thread, and
    what :func:`archive.redact.after_save` must take out of the stored rows."""
    by_story: dict[str, list[Comment]] = defaultdict(list)
    for c in placed:
        by_story[c.story_id].append(c)
    out: list[Comment] = []
    after: list[tuple[Thread, list[str], bool]] = []
    for story_id, comments in by_story.items():
        part = Thread(story=Story(site=site, id=story_id), comments=tuple(comments),
                      fetched_at=fetched_at)  # fmt: skip
        kept, withheld, story_held = redact.withhold(conn, part)
        out.extend(kept.comments)
        if withheld or story_held:
            after.append((kept, withheld, story_held))
    return out, after


def _withheld_waiting(conn: sqlite3.Connection, site: str, waiting: list[LooseItem],
                      fetched_at: datetime) -> list[LooseItem]:
    # Their thread is not known yet: a redaction by comment or author applies now, a
    # thread's when they are placed.
    comments = tuple(i.comment for i in waiting if i.comment is not None)
    if not comments:
        return waiting
    part = Thread(story=Story(site=site, id=""), comments=comments, fetched_at=fetched_at)
    kept = iter(redact.withhold(conn, part)[0].comments)
    return [replace(i, comment=next(kept)) if i.comment is not None else i for i in waiting]


def _links(conn: sqlite3.Connection, site: str, items: Sequence[LooseItem]) -> None:
    conn.executemany(
        "INSERT INTO item_links (site, id, parent_id, kids) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (site, id) DO UPDATE SET parent_id = excluded.parent_id,"
        " kids = excluded.kids",
        [(site, i.id, i.parent, json.dumps(i.kids)) for i in items],
    )
    # A parent that arrives after its replies were placed fixes their positions.
    want = {kid: k for i in items for k, kid in enumerate(i.kids)}
    if not want:
        return
    stored = _select(conn, "SELECT id, position FROM comments", site, list(want))
    conn.executemany("UPDATE comments SET position = ? WHERE site = ? AND id = ?",
                     [(want[cid], site, cid) for cid, pos in stored if pos != want[cid]])


def _select(conn: sqlite3.Connection, sql: str, site: str, ids: Sequence[str]) -> list[tuple]:
    return conn.execute(sql + " WHERE site = ? AND id IN (SELECT value FROM json_each(?))",
                        (site, json.dumps(list(ids)))).fetchall()  # fmt: skip


def _place(conn: sqlite3.Connection, site: str, items: Sequence[LooseItem],
           loose: list[LooseItem]) -> tuple[list[Comment], list[LooseItem]]:
    """(comments placed, in the order placed; items still waiting for their parent)."""
    # Where each known node sits: id -> (story id, depth); a story has depth -1.
    where: dict[str, tuple[str, int]] = {i.id: (i.id, -1) for i in items if i.story}
    kids: dict[str, tuple[str, ...]] = {i.id: i.kids for i in items}
    asked = {i.parent for i in loose if i.parent is not None} - where.keys() - kids.keys()
    for sid, in _select(conn, "SELECT id FROM stories", site, sorted(asked)):
        where[sid] = (sid, -1)
    for cid, sid, depth in _select(conn, "SELECT id, story_id, depth FROM comments", site,
                                   sorted(asked - where.keys())):  # fmt: skip
        where[cid] = (sid, depth)
    for lid, kids_json in _select(conn, "SELECT id, kids FROM item_links", site,
                                  sorted(asked)):  # fmt: skip
        kids.setdefault(lid, tuple(json.loads(kids_json)))
    waiting: dict[str, list[LooseItem]] = defaultdict(list)
    for i in loose:
        waiting[i.parent or ""].append(i)
    placed: list[Comment] = []
    # Stories of the batch first: replies may wait for them in pending_comments.
    ready = list(dict.fromkeys([*(i.id for i in items if i.story), *(p for p in waiting
                                                                     if p in where)]))
    # In rounds: the nodes placed in one round are the parents the next one looks up.
    while ready:
        now: list[str] = []
        for parent in ready:
            story_id, depth = where[parent]
            siblings = kids.get(parent, ())
            for i in waiting.pop(parent, ()):
                assert i.comment is not None
                position = (siblings.index(i.id) if i.id in siblings
                            else _after(conn, site, parent))  # fmt: skip
                placed.append(replace(i.comment, story_id=story_id, depth=depth + 1,
                                      parent_id=None if depth < 0 else parent,
                                      position=position))  # fmt: skip
                where[i.id] = (story_id, depth + 1)
                now.append(i.id)
        # Replies kept waiting by an earlier batch come with their parent now.
        found = conn.execute(
            "SELECT id, parent_id, record FROM pending_comments WHERE site = ? AND parent_id IN"
            " (SELECT value FROM json_each(?))", (site, json.dumps(now + ready)),
        ).fetchall()
        ready = now
        for cid, parent, record in found:
            if cid not in where:
                waiting[parent].append(_from_record(record))
                ready.append(parent)
        ready = list(dict.fromkeys(ready))
    left = [i for group in waiting.values() for i in group]
    return placed, left


def _after(conn: sqlite3.Connection, site: str, parent: str) -> int:
    # Neither this batch nor an earlier one gave the parent's kids (a parent archived
    # from its page): after the siblings stored.
    row = conn.execute("SELECT count(*) FROM comments WHERE site = ? AND (parent_id = ?"
                       " OR (parent_id IS NULL AND story_id = ?))", (site, parent, parent))
    return int(row.fetchone()[0])


def _wait(conn: sqlite3.Connection, site: str, waiting: list[LooseItem],
          placed: list[Comment], seen: str) -> None:
    conn.executemany(
        "INSERT INTO pending_comments (site, id, parent_id, seen_at, record)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (site, id) DO UPDATE SET"
        " parent_id = excluded.parent_id, seen_at = excluded.seen_at, record = excluded.record",
        [(site, i.id, i.parent or "", seen, _to_record(i)) for i in waiting],
    )
    if placed:
        conn.execute("DELETE FROM pending_comments WHERE site = ? AND id IN"
                     " (SELECT value FROM json_each(?))",
                     (site, json.dumps([c.id for c in placed])))  # fmt: skip


def _to_record(item: LooseItem) -> str:
    assert item.comment is not None
    fields = asdict(item.comment)
    for key in ("created_at", "edited_at"):
        fields[key] = iso_utc(fields[key])
    return json.dumps({"id": item.id, "parent": item.parent, "kids": list(item.kids),
                       "comment": fields}, sort_keys=True)  # fmt: skip


def _from_record(record: str) -> LooseItem:
    data = json.loads(record)
    fields = data["comment"]
    for key in ("created_at", "edited_at"):
        if fields[key] is not None:
            fields[key] = datetime.fromisoformat(fields[key].replace("Z", "+00:00"))
    return LooseItem(id=data["id"], parent=data["parent"], kids=tuple(data["kids"]),
                     comment=Comment(**fields))
