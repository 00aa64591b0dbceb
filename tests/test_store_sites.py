"""The site fields of migration 0006 (issue 11): whole rows from a fresh database.

A Lobsters-like thread built here (scores, edits, removed apart from deleted, the
submitter flag, tags, a merge, extra fields), then re-saves that change it; and a real
Lobsters page parsed and saved (skipped without the corpus).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from archive.db import open_db
from archive.models import Comment, Listing, ListingEntry, Story, Thread, User
from archive.store import SaveResult, save_listing, save_merged_stories, save_thread, save_user
from tests.corpus import corpus_text
from tests.test_store import T0, T0S, T1, T1S, table_rows

T2 = T1 + timedelta(hours=1)
T2S = "2026-01-14T11:30:00Z"
SITE = "lobsters"


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    return open_db(tmp_path / "s.db")


def story(**kw: Any) -> Story:
    fields: dict[str, Any] = dict(
        site=SITE, id="abc123", title="Rust in the kernel", url="https://example.org/rust",
        domain="example.org", author="alice", score=30, comment_count=4,
        created_at=T0 - timedelta(hours=3), created_at_raw="2026-01-14T06:30:00.000-06:00",
        tags=("rust", "linux"), extra={"user_is_author": False, "short_id_url": "x/abc123"},
    )  # fmt: skip
    fields.update(kw)
    return Story(**fields)


def comment(id: str, parent: str | None = None, position: int = 0, **kw: Any) -> Comment:
    fields: dict[str, Any] = dict(
        site=SITE, id=id, story_id="abc123", parent_id=parent, depth=0 if parent is None else 1,
        position=position, author=f"user_{id}", created_at=T0 - timedelta(hours=1),
        created_at_raw="2026-01-14T02:30:00.000-06:00", text_html=f"<p>On {id}</p>",
        text=f"On {id}", score=1, edited_at=T0 - timedelta(hours=1),
        edited_at_raw="2026-01-14T02:30:00.000-06:00",
    )  # fmt: skip
    fields.update(kw)
    return Comment(**fields)


# a1 (by the submitter, a hat) > a2 (edited); a3 deleted by its author; a4 removed.
A1 = comment("a1", score=5, by_submitter=True, extra={"hat": "Sysop", "marks": ["a"]})
A2 = comment("a2", parent="a1", score=2, edited=True, edited_at=T0 - timedelta(minutes=30),
             edited_at_raw="2026-01-14T03:00:00.000-06:00")  # fmt: skip
A3 = comment("a3", position=1, text=None, text_html=None, deleted=True, score=0,
             extra={"gone_text": "Comment removed by author"})  # fmt: skip
A4 = comment("a4", position=2, author="spammer", text=None, text_html=None, removed=True,
             score=-3, extra={"gone_text": "Comment removed by moderator x: spam"})  # fmt: skip
COMMENTS = (A1, A2, A3, A4)


def thread(comments: tuple[Comment, ...] = COMMENTS, *, at: Any = T0, **kw: Any) -> Thread:
    return Thread(story=story(**kw), comments=comments, fetched_at=at)


def comment_row(c: Comment, *, first: str = T0S, last: str = T0S) -> dict[str, Any]:
    """The row a comment record is stored as (times as text, flags 0/1, extra JSON)."""

    def iso(value: Any) -> str | None:
        return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")

    return dict(
        site=c.site, id=c.id, story_id=c.story_id, parent_id=c.parent_id, depth=c.depth,
        position=c.position, author=c.author, created_at=iso(c.created_at),
        created_at_raw=c.created_at_raw, text_html=c.text_html, text=c.text, dead=int(c.dead),
        flagged=int(c.flagged), deleted=int(c.deleted), colour=c.colour,
        synthetic_id=int(c.synthetic_id), first_seen_at=first, last_seen_at=last,
        last_crawl_id=None, gone_at=None, score=c.score, edited=int(c.edited),
        edited_at=iso(c.edited_at), edited_at_raw=c.edited_at_raw, removed=int(c.removed),
        by_submitter=int(c.by_submitter),
        extra=None if c.extra is None else json.dumps(c.extra, sort_keys=True,
                                                      separators=(",", ":")),
        source="html", redacted_at=None,
    )  # fmt: skip


def score(id: str, seen: str, value: int) -> dict[str, Any]:
    return dict(site=SITE, comment_id=id, seen_at=seen, crawl_id=None, score=value)


def version(c: Comment, seen: str, change: str) -> dict[str, Any]:
    row = comment_row(c)
    return dict(
        site=SITE, comment_id=c.id, seen_at=seen, crawl_id=None, change=change,
        **{k: row[k] for k in ("text_html", "text", "dead", "flagged", "deleted", "removed",
                               "edited", "edited_at", "edited_at_raw", "source")},
    )  # fmt: skip


def tags(db: sqlite_utils.Database) -> list[tuple[str, str, str]]:
    return db.conn.execute("SELECT * FROM story_tags ORDER BY rowid").fetchall()


def test_a_lobsters_thread_is_stored_field_by_field(db: sqlite_utils.Database) -> None:
    save_thread(db, thread())

    (row,) = table_rows(db, "stories")
    assert {k: row[k] for k in ("site", "id", "score", "kind", "merged_into", "extra")} == dict(
        site=SITE, id="abc123", score=30, kind="story", merged_into=None,
        extra='{"short_id_url":"x/abc123","user_is_author":false}',
    )  # fmt: skip
    assert tags(db) == [(SITE, "abc123", "linux"), (SITE, "abc123", "rust")]
    assert table_rows(db, "comments") == [comment_row(c) for c in COMMENTS]
    # Removed by a moderator is not deleted by its author, and the other way round.
    rows = {r["id"]: r for r in table_rows(db, "comments")}
    assert [(rows[i]["deleted"], rows[i]["removed"]) for i in ("a3", "a4")] == [(1, 0), (0, 1)]
    assert table_rows(db, "comment_scores") == [
        score("a1", T0S, 5), score("a2", T0S, 2), score("a3", T0S, 0), score("a4", T0S, -3),
    ]  # fmt: skip
    assert table_rows(db, "comment_versions") == []  # nothing changed yet


def test_an_unchanged_resave_writes_no_new_rows(db: sqlite_utils.Database) -> None:
    save_thread(db, thread())
    before = {t: table_rows(db, t) for t in ("comment_scores", "comment_versions", "story_tags")}
    # The same values, extra in another key order and tags in another order.
    again = thread(tags=("linux", "rust"),
                   extra={"short_id_url": "x/abc123", "user_is_author": False},
                   comments=(replace(A1, extra={"marks": ["a"], "hat": "Sysop"}), A2, A3, A4),
                   at=T1)  # fmt: skip

    result = save_thread(db, again)

    assert result == SaveResult(
        new_comments=0, updated_comments=0, unchanged_comments=4, pages_added=0
    )
    assert {t: table_rows(db, t) for t in before} == before
    assert table_rows(db, "comments") == [comment_row(c, last=T1S) for c in COMMENTS]
    assert [r["extra"] for r in table_rows(db, "stories")] == [
        '{"short_id_url":"x/abc123","user_is_author":false}'
    ]


A2_EDITED = replace(A2, text="On a2, corrected", text_html="<p>On a2, corrected</p>",
                    edited_at=T1 - timedelta(minutes=5),
                    edited_at_raw="2026-01-14T04:25:00.000-06:00")  # fmt: skip
A1_REMOVED = replace(A1, text=None, text_html=None, removed=True, score=9)
A4_BACK = replace(A4, removed=False, text="Buy", text_html="<p>Buy</p>")
CRAWLS = (
    (T0, COMMENTS),
    # a1's score moves (a score row, no version); a2 is edited; a4 is reinstated.
    (T1, (replace(A1, score=7), A2_EDITED, A3, A4_BACK)),
    # a1 removed by a moderator, its score moving again; the rest as they were.
    (T2, (A1_REMOVED, A2_EDITED, A3, A4_BACK)),
)


def save_crawls(db: sqlite_utils.Database, count: int = len(CRAWLS)) -> None:
    for at, comments in CRAWLS[:count]:
        save_thread(db, thread(comments, at=at))


def test_score_edit_and_removal_changes_give_exactly_their_rows(
    db: sqlite_utils.Database,
) -> None:
    save_crawls(db)
    a2_edited, a1_removed = A2_EDITED, A1_REMOVED

    a4_back = A4_BACK
    assert table_rows(db, "comment_versions") == [
        # A crawl's 'added' rows (the state first archived) come before its changes.
        version(A2, T0S, "added"),
        version(A4, T0S, "added"),
        version(a2_edited, T1S, "edited"),
        version(a4_back, T1S, "edited"),
        version(a4_back, T1S, "unremoved"),
        version(A1, T0S, "added"),
        # The last known text stays, as for a comment deleted on HN.
        version(replace(a1_removed, text=A1.text, text_html=A1.text_html), T2S, "removed"),
    ]
    assert table_rows(db, "comment_scores") == [
        score("a1", T0S, 5), score("a2", T0S, 2), score("a3", T0S, 0), score("a4", T0S, -3),
        score("a1", T1S, 7),
        score("a1", T2S, 9),
    ]  # fmt: skip
    rows = {r["id"]: r for r in table_rows(db, "comments")}
    assert (rows["a1"]["removed"], rows["a1"]["text"], rows["a1"]["score"]) == (1, "On a1", 9)
    assert rows["a2"]["edited_at"] == "2026-01-14T10:25:00Z"


def test_a_later_edit_time_is_an_edit_even_with_the_same_text(
    db: sqlite_utils.Database,
) -> None:
    save_thread(db, thread((A2,)))
    later = replace(A2, edited_at=T1, edited_at_raw="2026-01-14T04:30:00.000-06:00")
    save_thread(db, thread((later,), at=T1))
    # An edit time first learnt, or unchanged, is no new edit.
    save_thread(db, thread((later,), at=T2))

    assert table_rows(db, "comment_versions") == [
        version(A2, T0S, "added"),
        version(later, T1S, "edited"),
    ]


def test_extra_merges_key_by_key_and_newer_keys_win(db: sqlite_utils.Database) -> None:
    save_thread(db, thread((A1,)))
    save_thread(db, thread((replace(A1, extra={"marks": ["b"], "via_email": True}),), at=T1))
    save_thread(db, thread((replace(A1, extra={"hat": "Old hat"}),), at=T0))  # older page

    (row,) = table_rows(db, "comments")
    assert json.loads(row["extra"]) == {"hat": "Sysop", "marks": ["b"], "via_email": True}


def test_tags_follow_the_newest_page_that_shows_them(db: sqlite_utils.Database) -> None:
    save_thread(db, thread(()))
    save_thread(db, thread((), at=T1, tags=("rust", "programming")))  # retagged
    save_thread(db, thread((), at=T0, tags=("c",)))  # an older page says nothing now
    listing = Listing(site=SITE, name="hottest", page=1, url="https://lobste.rs/",
                      fetched_at=T2, entries=(ListingEntry(site=SITE, story_id="abc123",
                                                           rank=1, score=31),))  # fmt: skip
    save_listing(db, listing)  # a listing row shows no tags here

    assert tags(db) == [(SITE, "abc123", "programming"), (SITE, "abc123", "rust")]


def test_a_merged_story_keeps_its_target(db: sqlite_utils.Database) -> None:
    save_thread(db, thread((), id="old999", merged_into="abc123", tags=("rust",)))
    # A later page without the merge note (None) does not undo it.
    save_thread(db, thread((), id="old999", at=T1, tags=("rust",)))

    (row,) = table_rows(db, "stories")
    assert (row["id"], row["merged_into"]) == ("old999", "abc123")


def test_users_keep_their_extra_fields(db: sqlite_utils.Database) -> None:
    user = User(site=SITE, id="alice", karma=100, extra={"is_admin": False, "github": "al"})
    save_user(db, user, fetched_at=T0)
    save_user(db, replace(user, extra={"is_admin": True}), fetched_at=T1)

    (row,) = table_rows(db, "users")
    assert json.loads(row["extra"]) == {"github": "al", "is_admin": True}


def test_extra_that_is_not_json_is_one_clear_error_and_writes_nothing(
    db: sqlite_utils.Database,
) -> None:
    bad = replace(A2, extra={"when": T0})
    with pytest.raises(ValueError, match=r"^comment lobsters/a2: extra is not JSON-serial"):
        save_thread(db, thread((A1, bad)))
    assert table_rows(db, "comments") == [] and table_rows(db, "stories") == []


def test_hn_leaves_the_site_fields_empty(db: sqlite_utils.Database) -> None:
    from tests.test_store import make_thread

    save_thread(db, make_thread())
    save_thread(db, make_thread(fetched_at=T1))

    assert table_rows(db, "comment_scores") == [] and tags(db) == []
    for row in table_rows(db, "comments"):
        assert (row["score"], row["edited"], row["edited_at"], row["removed"],
                row["by_submitter"], row["extra"]) == (None, 0, None, 0, 0, None)  # fmt: skip


# -- a real Lobsters page ----------------------------------------------------------

LOBSTERS = "https://lobste.rs"


def parsed(name: str, at: Any) -> Thread:
    from scraper.parsers.lobsters import parse_thread

    return parse_thread(corpus_text("lobsters", name), url=f"{LOBSTERS}/s/tdfoqh.json",
                        fetched_at=at)  # fmt: skip


def test_a_corpus_thread_round_trips_every_field(db: sqlite_utils.Database) -> None:
    t = parsed("story-tdfoqh-2025.json", T0)
    assert any(c.score is not None for c in t.comments)

    save_thread(db, t)

    rows = {r["id"]: r for r in table_rows(db, "comments")}
    assert len(rows) == len(t.comments)
    for c in t.comments:
        expected = comment_row(c)
        got = rows[c.id]
        assert {k: got[k] for k in expected if k != "extra"} == {
            k: v for k, v in expected.items() if k != "extra"
        }, c.id
        assert (None if got["extra"] is None else json.loads(got["extra"])) == c.extra, c.id
    (story_row,) = table_rows(db, "stories")
    assert json.loads(story_row["extra"] or "null") == t.story.extra
    assert [r[2] for r in tags(db)] == sorted(t.story.tags)
    assert len(table_rows(db, "comment_scores")) == sum(c.score is not None for c in t.comments)

    # The same page saved again later writes no history.
    history = {x: table_rows(db, x) for x in ("comment_versions", "comment_scores", "story_tags")}
    save_thread(db, replace(parsed("story-tdfoqh-2025.json", T1), fetched_at=T1))
    assert {x: table_rows(db, x) for x in history} == history


def test_a_story_merged_after_it_was_archived_keeps_its_comments(
        db: sqlite_utils.Database) -> None:
    # Archived on its own first; later its page is the thread it was merged into.
    save_thread(db, thread(tuple(replace(c, story_id="old999") for c in COMMENTS), id="old999"))
    merged = story(id="old999", merged_into="abc123")
    save_merged_stories(db, (merged,), fetched_at=T1)

    (row,) = [r for r in table_rows(db, "stories") if r["id"] == "old999"]
    assert row["merged_into"] == "abc123"
    # Nothing the earlier crawl saw is marked gone: the comments went with the merge.
    assert [r["gone_at"] for r in table_rows(db, "comments")] == [None] * len(COMMENTS)
    with pytest.raises(ValueError, match="not a merged story"):
        save_merged_stories(db, (story(id="x1"),), fetched_at=T1)
