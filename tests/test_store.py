"""archive.store: whole-row assertions against a fresh database (DESIGN rule 9).

Records are built here directly; the archive needs no scraper. The record builders
at the top are reused by the other archive tests (test_query, test_cli_archive).
"""

from __future__ import annotations

import os
import random
import re
import socket
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

import archive.store as store
from archive.db import open_db
from archive.models import Comment, FetchedPage, Story, Thread
from archive.store import SaveResult, finish_crawl, save_failed_page, save_thread, start_crawl

T0 = datetime(2026, 1, 14, 9, 30, tzinfo=UTC)
T0S = "2026-01-14T09:30:00Z"
T1 = T0 + timedelta(hours=1)
T1S = "2026-01-14T10:30:00Z"


def make_story(**kw: Any) -> Story:
    fields: dict[str, Any] = dict(
        site="hn",
        id="100",
        title="Show HN: A thing",
        url="https://example.com/thing",
        domain="example.com",
        author="alice",
        score=42,
        comment_count=3,
        created_at=T0 - timedelta(hours=2),
        created_at_raw="2 hours ago",
        kind="show",
    )
    fields.update(kw)
    return Story(**fields)


def make_comment(
    id: str, parent: str | None = None, depth: int = 0, position: int = 0, **kw: Any
) -> Comment:
    fields: dict[str, Any] = dict(
        site="hn",
        id=id,
        story_id="100",
        parent_id=parent,
        depth=depth,
        position=position,
        author=f"user{id}",
        created_at=T0 - timedelta(minutes=int(id)),
        created_at_raw=f"{id} minutes ago",
        text_html=f"<p>Comment {id} about foxes jumping</p>",
        text=f"Comment {id} about foxes jumping",
        colour="c00",
    )
    fields.update(kw)
    return Comment(**fields)


def make_comments() -> tuple[Comment, ...]:
    # 1 (top) > 2 (reply) ; 3 (top)
    return (
        make_comment("1"),
        make_comment("2", parent="1", depth=1),
        make_comment("3", position=1, dead=True),
    )


def make_page(
    url: str = "https://news.ycombinator.com/item?id=100",
    body: bytes = b"<html>1</html>",
    fetched_at: datetime = T0,
) -> FetchedPage:
    return FetchedPage(site="hn", url=url, fetched_at=fetched_at, status=200, body=body)


def make_thread(
    comments: tuple[Comment, ...] | None = None,
    *,
    fetched_at: datetime = T0,
    pages: tuple[FetchedPage, ...] | None = None,
    story: Story | None = None,
) -> Thread:
    return Thread(
        story=story or make_story(),
        comments=make_comments() if comments is None else comments,
        fetched_at=fetched_at,
        pages=(make_page(fetched_at=fetched_at),) if pages is None else pages,
    )


def table_rows(
    db: sqlite_utils.Database | Any, table: str, drop: tuple[str, ...] = ()
) -> list[dict]:
    """Every row of ``table``; a comment's seen-times as ``comments_seen`` answers them
    (its last sighting, which an unchanged re-crawl does not write into its row), a
    page's fetches as ``pages_seen`` does, and ``thread_crawls`` without ``visits`` (the
    visits an unchanged crawl keeps there instead of in rows: ``page_visits`` has them)."""
    conn = db.conn if isinstance(db, sqlite_utils.Database) else db
    seen = ("(SELECT p.id, p.site, p.url, p.status, p.sha256, p.body, s.first_fetched_at,"
            " s.last_fetched_at, s.fetch_count, p.story_id, s.crawl_id, p.error, p.redacted_at"
            " FROM pages p JOIN pages_seen s ON s.id = p.id)")
    source = {"pages": seen}.get(table)
    order = {"pages": "id", "page_visits": "page_id, fetched_at"}.get(table, "rowid")
    drop = (*drop, "visits") if table == "thread_crawls" else drop
    cur = conn.execute(f"SELECT * FROM {source or table} ORDER BY {order}")
    names = [d[0] for d in cur.description]
    out = [{k: v for k, v in zip(names, row, strict=True) if k not in drop} for row in cur]
    if table == "comments":
        seen = {(r[0], r[1]): r[2:] for r in conn.execute(
            "SELECT site, id, last_seen_at, last_crawl_id FROM comments_seen")}
        for row in out:
            last = seen[row["site"], row["id"]]
            row.update({k: v for k, v in zip(("last_seen_at", "last_crawl_id"), last,
                                             strict=True) if k not in drop})
    return out


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    return open_db(tmp_path / "test.db")


# Migration 0006_sites' columns, as HN (which shows none of them) leaves them.
# 0008_source: what a crawl of the site's pages records.
HN_STORY_SITE_FIELDS: dict[str, Any] = dict(merged_into=None, extra=None, source="html",
                                            redacted_at=None)
HN_COMMENT_SITE_FIELDS: dict[str, Any] = dict(
    score=None, edited=0, edited_at=None, edited_at_raw=None, removed=0, by_submitter=0,
    extra=None, source="html", redacted_at=None,
)  # fmt: skip


def expected_story(**kw: Any) -> dict[str, Any]:
    row = dict(
        site="hn", id="100", title="Show HN: A thing", url="https://example.com/thing",
        domain="example.com", author="alice", score=42, comment_count=3,
        created_at="2026-01-14T07:30:00Z", created_at_raw="2 hours ago", text_html=None,
        text=None, kind="show", dead=0, flagged=0, deleted=0, first_seen_at=T0S,
        last_seen_at=T0S, archived_count=3, last_crawl_id=None,
        **HN_STORY_SITE_FIELDS,
    )  # fmt: skip
    row.update(kw)
    return row


def expected_comment(
    id: str, parent: str | None = None, depth: int = 0, position: int = 0, **kw: Any
) -> dict[str, Any]:
    row = dict(
        site="hn", id=id, story_id="100", parent_id=parent, depth=depth, position=position,
        author=f"user{id}",
        created_at=(T0 - timedelta(minutes=int(id))).strftime("%Y-%m-%dT%H:%M:%SZ"),
        created_at_raw=f"{id} minutes ago", text_html=f"<p>Comment {id} about foxes jumping</p>",
        text=f"Comment {id} about foxes jumping", dead=0, flagged=0, deleted=0, colour="c00",
        synthetic_id=0, first_seen_at=T0S, last_seen_at=T0S, last_crawl_id=None, gone_at=None,
        **HN_COMMENT_SITE_FIELDS,
    )  # fmt: skip
    row.update(kw)
    return row


def expected_comments(**kw: Any) -> list[dict[str, Any]]:
    return [
        expected_comment("1", **kw),
        expected_comment("2", parent="1", depth=1, **kw),
        expected_comment("3", position=1, dead=1, **kw),
    ]


def test_save_thread_writes_story_comments_and_page(db: sqlite_utils.Database) -> None:
    result = save_thread(db, make_thread())

    assert result == SaveResult(
        new_comments=3, updated_comments=0, unchanged_comments=0, pages_added=1
    )
    assert table_rows(db, "stories") == [expected_story()]
    assert table_rows(db, "comments") == expected_comments()
    pages = table_rows(db, "pages")
    assert [zlib.decompress(p.pop("body")) for p in pages] == [b"<html>1</html>"]
    assert pages == [
        dict(
            id=1, site="hn", url="https://news.ycombinator.com/item?id=100", status=200,
            sha256="5d7f32abbd1ac9ba9fa8a71c8dc962094f386a92d5c6d4dcb243a355ebc47e9e",
            first_fetched_at=T0S, last_fetched_at=T0S, fetch_count=1, story_id="100",
            crawl_id=None, error=None, redacted_at=None,
        )
    ]  # fmt: skip


def test_resave_identical_thread_adds_no_rows(db: sqlite_utils.Database) -> None:
    save_thread(db, make_thread())
    before = {t: table_rows(db, t) for t in ("stories", "comments", "pages")}

    result = save_thread(db, make_thread())

    assert result == SaveResult(
        new_comments=0, updated_comments=0, unchanged_comments=3, pages_added=0
    )
    # Same records, same fetch time: not even the seen-times or fetch_count move.
    assert {t: table_rows(db, t) for t in ("stories", "comments", "pages")} == before


def test_recrawl_moves_only_seen_times_and_crawl_id(db: sqlite_utils.Database) -> None:
    save_thread(db, make_thread())
    crawl = start_crawl(db, command="crawl", args={"ids": ["100"]})

    result = save_thread(db, make_thread(fetched_at=T1), crawl_id=crawl)

    assert result == SaveResult(
        new_comments=0, updated_comments=0, unchanged_comments=3, pages_added=0
    )
    assert table_rows(db, "stories") == [expected_story(last_seen_at=T1S, last_crawl_id=crawl)]
    assert table_rows(db, "comments") == expected_comments(last_seen_at=T1S, last_crawl_id=crawl)
    # The identical body fetched again: same row, counted and timed.
    pages = table_rows(db, "pages", drop=("body", "sha256"))
    assert pages == [
        dict(
            id=1, site="hn", url="https://news.ycombinator.com/item?id=100", status=200,
            first_fetched_at=T0S, last_fetched_at=T1S, fetch_count=2, story_id="100",
            crawl_id=crawl, error=None, redacted_at=None,
        )
    ]  # fmt: skip


def test_recrawl_with_a_new_comment(db: sqlite_utils.Database) -> None:
    save_thread(db, make_thread())
    comments = (*make_comments(), make_comment("4", parent="2", depth=2))

    result = save_thread(db, make_thread(comments, fetched_at=T1))

    assert result == SaveResult(
        new_comments=1, updated_comments=0, unchanged_comments=3, pages_added=0
    )
    assert table_rows(db, "comments") == [
        *expected_comments(last_seen_at=T1S),
        expected_comment("4", parent="2", depth=2, first_seen_at=T1S, last_seen_at=T1S),
    ]
    assert table_rows(db, "stories") == [expected_story(last_seen_at=T1S, archived_count=4)]


def test_comment_absent_from_recrawl_is_kept_untouched(db: sqlite_utils.Database) -> None:
    save_thread(db, make_thread())

    result = save_thread(db, make_thread(make_comments()[:2], fetched_at=T1))

    assert result == SaveResult(
        new_comments=0, updated_comments=0, unchanged_comments=2, pages_added=0, gone=1
    )
    expected = expected_comments(last_seen_at=T1S)
    expected[2]["last_seen_at"] = T0S  # comment 3 was not seen again
    expected[2]["gone_at"] = T1S
    assert table_rows(db, "comments") == expected


def test_edited_comment_is_updated_and_reindexed(db: sqlite_utils.Database) -> None:
    save_thread(db, make_thread())
    edited = replace(
        make_comments()[0], text="Now about otters", text_html="<p>Now about otters</p>"
    )

    result = save_thread(db, make_thread((edited, *make_comments()[1:]), fetched_at=T1))

    assert result == SaveResult(
        new_comments=0, updated_comments=1, unchanged_comments=2, pages_added=0
    )
    expected = expected_comments(last_seen_at=T1S)
    expected[0].update(text="Now about otters", text_html="<p>Now about otters</p>")
    assert table_rows(db, "comments") == expected
    assert fts_ids(db, "otters") == ["1"]
    assert fts_ids(db, "foxes") == ["2", "3"]


def test_missing_fields_never_overwrite_stored_values(db: sqlite_utils.Database) -> None:
    save_thread(db, make_thread())
    # A continuation page: no header, so only site + id and the dataclass defaults.
    bare_story = Story(site="hn", id="100", score=50)
    deleted = replace(
        make_comments()[1], author=None, text=None, text_html=None, deleted=True, colour=None
    )

    result = save_thread(
        db, make_thread((make_comments()[0], deleted), fetched_at=T1, story=bare_story)
    )

    assert result == SaveResult(
        new_comments=0, updated_comments=1, unchanged_comments=1, pages_added=0, gone=1
    )
    # kind stays "show" (not the default "story"); score moves; nothing becomes NULL.
    assert table_rows(db, "stories") == [expected_story(score=50, last_seen_at=T1S)]
    expected = expected_comments(last_seen_at=T1S)
    expected[1]["deleted"] = 1  # marked deleted, last known text kept
    expected[2].update(last_seen_at=T0S, gone_at=T1S)
    assert table_rows(db, "comments") == expected


def test_older_observation_only_fills_nulls(db: sqlite_utils.Database) -> None:
    newer = make_story(score=99, text=None)
    save_thread(db, make_thread(fetched_at=T1, story=newer))
    older = make_story(score=10, text="From an older page")

    save_thread(db, make_thread(fetched_at=T0, story=older))

    assert table_rows(db, "stories") == [
        expected_story(score=99, text="From an older page", first_seen_at=T0S, last_seen_at=T1S)
    ]


def test_five_thousand_comments_stored_exactly(db: sqlite_utils.Database) -> None:
    comments = generated_comments(5000)

    result = save_thread(db, make_thread(comments, pages=()))

    assert result == SaveResult(
        new_comments=5000, updated_comments=0, unchanged_comments=0, pages_added=0
    )
    stored = db.conn.execute(
        "SELECT id, parent_id, depth, position, text FROM comments ORDER BY rowid"
    ).fetchall()
    assert stored == [(c.id, c.parent_id, c.depth, c.position, c.text) for c in comments]
    assert table_rows(db, "stories")[0]["archived_count"] == 5000

    again = save_thread(db, make_thread(comments, pages=(), fetched_at=T1))
    assert again == SaveResult(
        new_comments=0, updated_comments=0, unchanged_comments=5000, pages_added=0
    )
    # Seen again, every one, yet no comment row was rewritten for it.
    assert db.conn.execute("SELECT count(*), min(last_seen_at) FROM comments_seen").fetchone() == (
        5000,
        T1S,
    )
    assert db.conn.execute("SELECT count(*), max(last_seen_at) FROM comments").fetchone() == (
        5000,
        T0S,
    )


def generated_comments(n: int, seed: int = 7) -> tuple[Comment, ...]:
    """A random but valid tree in display order: each comment's depth <= previous + 1."""
    rnd = random.Random(seed)
    out: list[Comment] = []
    path: list[str] = []
    next_position: dict[str | None, int] = {}
    for i in range(n):
        depth = rnd.randint(0, len(path)) if path else 0
        path = path[:depth]
        parent = path[-1] if path else None
        position = next_position.get(parent, 0)
        next_position[parent] = position + 1
        cid = str(10_000 + i)
        out.append(
            make_comment(cid, parent=parent, depth=depth, position=position, text=f"text {i}")
        )
        path.append(cid)
    return tuple(out)


def test_failure_midway_leaves_database_unchanged(
    db: sqlite_utils.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_thread(db, make_thread())
    before = {t: table_rows(db, t) for t in ("stories", "comments", "pages", "comments_fts")}
    comments = (*make_comments(), make_comment("4", parent="2", depth=2))
    seen_in_transaction: list[int] = []

    def failing_save_page(conn: Any, page: FetchedPage, **kw: Any) -> int:
        # Prove the story and comments were already written when the failure hits.
        seen_in_transaction.append(conn.execute("SELECT count(*) FROM comments").fetchone()[0])
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store, "_save_page", failing_save_page)
    with pytest.raises(RuntimeError, match="disk on fire"):
        # A changed body: one the archive holds already is not written (its visit is
        # kept in the crawl's row, archive.revisits.split_visits).
        save_thread(db, make_thread(comments, fetched_at=T1, story=make_story(score=1),
                                    pages=(make_page(body=b"<html>2</html>", fetched_at=T1),)))

    assert seen_in_transaction == [4]
    assert {
        t: table_rows(db, t) for t in ("stories", "comments", "pages", "comments_fts")
    } == before
    assert not db.conn.in_transaction


def test_inconsistent_thread_is_rejected_before_writing(db: sqlite_utils.Database) -> None:
    twice = (make_comment("1"), make_comment("1", position=1))
    with pytest.raises(ValueError, match="appears twice"):
        save_thread(db, make_thread(twice))
    with pytest.raises(ValueError, match="belongs to hn/999"):
        save_thread(db, make_thread((make_comment("1", story_id="999"),)))
    with pytest.raises(ValueError, match="naive datetime"):
        save_thread(db, make_thread(fetched_at=datetime(2026, 1, 1)))
    assert table_rows(db, "stories") == []


def test_pages_dedupe_by_url_and_sha256(db: sqlite_utils.Database) -> None:
    url2 = "https://news.ycombinator.com/item?id=100&p=2"
    pages = (
        make_page(),
        make_page(fetched_at=T1),  # same body again: no new row
        make_page(body=b"<html>changed</html>", fetched_at=T1),  # new body: new row
        make_page(url=url2),  # same body at another URL: new row
    )
    results = [save_thread(db, make_thread(pages=(p,), fetched_at=p.fetched_at)) for p in pages]

    assert [r.pages_added for r in results] == [1, 0, 1, 1]
    rows = table_rows(db, "pages", drop=("id", "site", "status", "sha256", "body", "story_id"))
    assert rows == [
        dict(url=make_page().url, first_fetched_at=T0S, last_fetched_at=T1S, fetch_count=2,
             crawl_id=None, error=None, redacted_at=None),
        dict(url=make_page().url, first_fetched_at=T1S, last_fetched_at=T1S, fetch_count=1,
             crawl_id=None, error=None, redacted_at=None),
        dict(url=url2, first_fetched_at=T0S, last_fetched_at=T0S, fetch_count=1,
             crawl_id=None, error=None, redacted_at=None),
    ]  # fmt: skip


def test_save_failed_page_keeps_body_and_error(db: sqlite_utils.Database) -> None:
    crawl = start_crawl(db, command="crawl", args={})
    page = make_page(body=b"Sorry, we're not able to serve your requests this quickly.")

    save_failed_page(db, page, error="ThrottledPage: slow down", crawl_id=crawl, story_id="100")

    rows = table_rows(db, "pages", drop=("sha256",))
    assert zlib.decompress(rows[0].pop("body")) == page.body
    assert rows == [
        dict(id=1, site="hn", url=page.url, status=200, first_fetched_at=T0S,
             last_fetched_at=T0S, fetch_count=1, story_id="100", crawl_id=crawl,
             error="ThrottledPage: slow down", redacted_at=None),
    ]  # fmt: skip
    assert table_rows(db, "stories") == []

    # The same body parsed successfully later: the row is reused and the error cleared.
    save_thread(db, make_thread(pages=(page,)))
    assert table_rows(db, "pages", drop=("sha256", "body")) == [
        dict(id=1, site="hn", url=page.url, status=200, first_fetched_at=T0S,
             last_fetched_at=T0S, fetch_count=1, story_id="100", crawl_id=crawl, error=None,
             redacted_at=None),
    ]  # fmt: skip


def fts_ids(db: sqlite_utils.Database, words: str) -> list[str]:
    return [
        row[0]
        for row in db.conn.execute(
            "SELECT comments.id FROM comments_fts JOIN comments"
            " ON comments.rowid = comments_fts.rowid"
            " WHERE comments_fts MATCH ? ORDER BY comments.id",
            (words,),
        )
    ]


def test_fts_finds_comments_and_stories_by_word(db: sqlite_utils.Database) -> None:
    comments = (make_comment("1", text="SQLite is a fine archive"), make_comment("2", position=1))
    save_thread(db, make_thread(comments, story=make_story(text="Tell me about databases")))

    assert fts_ids(db, "archive") == ["1"]
    assert fts_ids(db, "jump") == ["2"]  # porter: "jumping" is indexed as "jump"
    assert fts_ids(db, "author:user2") == ["2"]
    assert fts_ids(db, "nothinglikethis") == []
    story_hits = db.conn.execute(
        "SELECT rowid FROM stories_fts WHERE stories_fts MATCH 'database'"
    ).fetchall()
    assert story_hits == [(1,)]
    # sqlite-utils recognises the index, so its `search` works on our tables too.
    assert [r["id"] for r in db.table("comments").search("archive")] == ["1"]


def test_crawl_rows(db: sqlite_utils.Database) -> None:
    crawl = start_crawl(db, command="crawl hn", args={"ids": ["100"], "max_pages": 3})
    finish_crawl(
        db, crawl, status="finished", pages=2, threads=1, comments=3, errors=0, message="ok"
    )
    with pytest.raises(ValueError, match="status"):
        finish_crawl(db, crawl, status="done", pages=0, threads=0, comments=0, errors=0)
    with pytest.raises(ValueError, match="no crawl"):
        finish_crawl(db, 99, status="failed", pages=0, threads=0, comments=0, errors=1)

    rows = table_rows(db, "crawls")
    times = [(r.pop("started_at"), r.pop("finished_at")) for r in rows]
    iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
    assert all(iso.match(s) and iso.match(f) and s <= f for s, f in times)
    assert rows == [
        dict(id=crawl, command="crawl hn", args='{"ids": ["100"], "max_pages": 3}',
             status="finished", pages=2, threads=1, comments=3, errors=0, message="ok",
             host=socket.gethostname(), pid=os.getpid(), drift=None),
    ]  # fmt: skip


def test_crawl_id_must_exist(db: sqlite_utils.Database) -> None:
    # last_crawl_id references crawls: a made-up id is a bug, caught by the key.
    with pytest.raises(Exception, match="FOREIGN KEY"):
        save_thread(db, make_thread(), crawl_id=12345)
    assert table_rows(db, "comments") == []
