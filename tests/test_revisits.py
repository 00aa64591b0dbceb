"""Re-crawls that find nothing changed (archive.revisits, archive.seen, migration 0013).

The expectation is always the old path: the same observations saved in full by
save_thread (what a crawl with LINKTHREAD_REPARSE=1 does), into a fresh archive.
Every table, every reading (changes, show, gaps, --as-of snapshots) must agree, while
the fast path writes O(1) rows per unchanged thread.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils

from archive import history, migrations, query
from archive.db import open_db
from archive.models import Comment, FetchedPage, Listing, ListingEntry, Thread, User
from archive.revisits import PagesChanged, last_page_set, page_set, save_unchanged_thread
from archive.snapshot import snapshot
from archive.store import save_listing, save_thread, save_user, start_crawl
from tests.test_store import T0, make_comment, make_comments, make_page, make_thread, table_rows

URL = "https://news.ycombinator.com/item?id=100"
URL2 = "https://news.ycombinator.com/item?id=100&p=2"
T = [T0 + timedelta(hours=h) for h in range(6)]
TS = [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in T]


def pages(body: bytes, at: datetime) -> tuple[FetchedPage, ...]:
    """A two-page thread: page 2 holds ``body``, page 1 never changes."""
    return (make_page(URL, b"<html>page 1</html>", at), make_page(URL2, body, at))


def changed_comments() -> tuple[Comment, ...]:
    # 2 edited, 3 gone, 4 new
    one, two, _ = make_comments()
    return (one, replace(two, text="Edited", text_html="<p>Edited</p>"),
            make_comment("4", position=1))  # fmt: skip


# (time, comments, page 2's body, thread unchanged since the observation before?)
OBSERVATIONS = (
    (T[0], make_comments(), b"v1", False),
    (T[1], make_comments(), b"v1", True),
    (T[2], make_comments(), b"v1", True),
    (T[3], changed_comments(), b"v2", False),
    (T[4], changed_comments(), b"v2", True),
    (T[5], make_comments(), b"v1", False),  # 3 back, 4 gone, 2 edited back
)


def observe(db: sqlite_utils.Database, *, fast: bool, upto: int = len(OBSERVATIONS)) -> None:
    for at, comments, body, unchanged in OBSERVATIONS[:upto]:
        crawl = start_crawl(db, command="crawl hn", args={})
        read = pages(body, at)
        if fast and unchanged:
            assert last_page_set(db, "hn", "100") == page_set(read)
            save_unchanged_thread(db, site="hn", story_id="100", pages=read, crawl_id=crawl)
        else:
            save_thread(db, make_thread(comments, fetched_at=at, pages=read), crawl_id=crawl)


TABLES = ("stories", "comments", "comment_versions", "story_snapshots", "pages",
          "page_visits", "crawls", "crawl_targets")  # fmt: skip


def state(db: sqlite_utils.Database | object) -> dict[str, list[dict]]:
    drop = ("started_at", "finished_at", "host", "pid", "updated_at")
    out = {t: table_rows(db, t, drop=drop) for t in TABLES}
    out["thread_crawls"] = table_rows(db, "thread_crawls", drop=("unchanged",))
    return out


@pytest.fixture
def fast(tmp_path: Path) -> sqlite_utils.Database:
    db = open_db(tmp_path / "fast.db")
    observe(db, fast=True)
    return db


@pytest.fixture
def full(tmp_path: Path) -> sqlite_utils.Database:
    db = open_db(tmp_path / "full.db")
    observe(db, fast=False)
    return db


def test_unchanged_visits_give_the_history_a_full_parse_gives(
        fast: sqlite_utils.Database, full: sqlite_utils.Database) -> None:
    assert state(fast) == state(full)
    assert [r[0] for r in fast.conn.execute("SELECT unchanged FROM thread_crawls"
                                            " ORDER BY seen_at")] == [0, 1, 1, 0, 1, 0]
    assert history.comment_changes(fast, "hn", "100") == history.comment_changes(
        full, "hn", "100")
    assert query.load_thread(fast, "hn", "100") == query.load_thread(full, "hn", "100")
    assert history.all_gaps(fast) == history.all_gaps(full)


def test_last_sightings_after_unchanged_visits(fast: sqlite_utils.Database) -> None:
    seen = fast.conn.execute(
        "SELECT id, first_seen_at, last_seen_at, last_crawl_id, gone_at FROM comments_seen"
        " ORDER BY id").fetchall()
    # 3 went at T3, after being seen unchanged at T1 and T2; back at T5. 4 came at T3,
    # was seen unchanged at T4, gone at T5.
    assert seen == [("1", TS[0], TS[5], 6, None), ("2", TS[0], TS[5], 6, None),
                    ("3", TS[0], TS[5], 6, None), ("4", TS[3], TS[4], 5, TS[5])]  # fmt: skip
    changes = [(r["seen_at"], r["comment_id"], r["change"])
               for r in history.comment_changes(fast, "hn", "100")]  # fmt: skip
    assert changes == [
        (TS[0], "1", "added"), (TS[0], "2", "added"), (TS[0], "3", "added"),
        (TS[3], "2", "edited"),
        (TS[3], "3", "gone"), (TS[3], "4", "added"), (TS[5], "2", "edited"),
        (TS[5], "3", "back"), (TS[5], "4", "gone"),
    ]  # fmt: skip
    # Gone, a comment's row says its own last sighting: 4's says T4, its last unchanged
    # visit, written when it was marked gone.
    four = fast.conn.execute("SELECT last_seen_at, last_crawl_id, gone_at FROM comments"
                             " WHERE id = '4'")
    assert four.fetchone() == (TS[4], 5, TS[5])


def test_gone_after_unchanged_visits_and_an_older_resave(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    observe(db, fast=True, upto=3)  # T0 saved, T1 and T2 unchanged
    # An older fetch (between T0 and T1) that lacks 3 says nothing about now.
    older = T[0] + timedelta(minutes=30)
    save_thread(db, make_thread(make_comments()[:2], fetched_at=older, pages=()))
    assert db.conn.execute("SELECT count(*) FROM comments WHERE gone_at IS NOT NULL"
                           ).fetchone() == (0,)
    save_thread(db, make_thread(make_comments()[:2], fetched_at=T[3], pages=pages(b"v3", T[3])))
    assert db.conn.execute("SELECT id, last_seen_at, gone_at FROM comments_seen WHERE id = '3'"
                           ).fetchall() == [("3", TS[2], TS[3])]  # fmt: skip


@pytest.mark.parametrize("as_of", [TS[1], TS[2], TS[3], TS[4]])
def test_as_of_snapshots_agree(fast: sqlite_utils.Database, full: sqlite_utils.Database,
                               tmp_path: Path, as_of: str) -> None:  # fmt: skip
    copies = []
    for name, db in (("fast", fast), ("full", full)):
        path = Path(db.conn.execute("PRAGMA database_list").fetchone()[2])
        copies.append(open_db(snapshot(path, tmp_path / f"{name}-{as_of}.db", as_of=as_of)))
    a, b = copies
    assert state(a) == state(b)
    # The copy's rows hold each comment's last sighting at T, with no view needed.
    raw = "SELECT id, last_seen_at FROM comments ORDER BY id"
    assert a.conn.execute(raw).fetchall() == a.conn.execute(
        "SELECT id, last_seen_at FROM comments_seen ORDER BY id").fetchall()
    assert [r[1] for r in a.conn.execute(raw)] == [as_of] * (4 if as_of >= TS[3] else 3)


def test_an_unchanged_visit_writes_a_constant_number_of_rows(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    many = tuple(make_comment(str(i), position=i - 1) for i in range(1, 1001))
    save_thread(db, make_thread(many, fetched_at=T[0], pages=pages(b"v1", T[0])))
    crawl = start_crawl(db, command="crawl hn", args={})
    before = db.conn.total_changes

    assert save_unchanged_thread(db, site="hn", story_id="100", pages=pages(b"v1", T[1]),
                                 crawl_id=crawl) == 1000  # fmt: skip

    # 1 thread_crawls row that keeps both pages' visits (0020), its thread_latest
    # summary (kept by a trigger: 0014), the story's seen-time.
    assert db.conn.total_changes - before == 3
    assert db.conn.execute("SELECT count(*), count(DISTINCT last_seen_at) FROM comments"
                           ).fetchone() == (1000, 1)  # fmt: skip
    assert db.conn.execute("SELECT min(last_seen_at) FROM comments_seen").fetchone() == (TS[1],)
    # A changed page: one comment edited among 1000 writes that comment alone.
    db.conn.execute("CREATE TEMP TABLE written (id TEXT)")
    db.conn.execute("CREATE TEMP TRIGGER log_writes AFTER UPDATE ON main.comments"
                    " BEGIN INSERT INTO written VALUES (new.id); END")
    edited = (*many[:10], replace(many[10], text="new"), *many[11:])
    before = db.conn.total_changes
    save_thread(db, make_thread(edited, fetched_at=T[2], pages=pages(b"v2", T[2])))
    assert db.conn.execute("SELECT id FROM written").fetchall() == [("11",)]
    # Its versions ('added', 'edited') and FTS entries, the thread's and pages' rows.
    assert db.conn.total_changes - before < 30


def test_an_unchanged_visit_refuses_other_pages(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    save_thread(db, make_thread(fetched_at=T[0], pages=pages(b"v1", T[0])))
    before = state(db)
    with pytest.raises(PagesChanged, match="stored with other pages"):
        save_unchanged_thread(db, site="hn", story_id="100", pages=pages(b"v2", T[1]))
    with pytest.raises(PagesChanged):
        save_unchanged_thread(db, site="hn", story_id="101", pages=pages(b"v1", T[1]))
    assert state(db) == before


def test_listing_and_profile_pages_are_kept_once_with_every_visit(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    url = "https://news.ycombinator.com/news"
    for at in (T[0], T[1]):
        page = make_page(url, b"<html>front</html>", at)
        save_listing(db, Listing(site="hn", name="news", page=1, url=url, fetched_at=at,
                                 entries=(ListingEntry(site="hn", story_id="100", rank=1),),
                                 pages=(page,)))  # fmt: skip
        user_page = make_page("https://news.ycombinator.com/user?id=pg", b"<html>pg</html>", at)
        save_user(db, User(site="hn", id="pg", karma=1, pages=(user_page,)), fetched_at=at)
    assert db.conn.execute(
        "SELECT p.url, v.fetched_at FROM page_visits v JOIN pages p ON p.id = v.page_id"
        " ORDER BY p.url, v.fetched_at").fetchall() == [
        (url, TS[0]), (url, TS[1]),
        ("https://news.ycombinator.com/user?id=pg", TS[0]),
        ("https://news.ycombinator.com/user?id=pg", TS[1]),
    ]  # fmt: skip
    assert db.conn.execute("SELECT url, fetch_count, first_fetched_at, last_fetched_at,"
                           " story_id, error FROM pages ORDER BY id").fetchall() == [
        (url, 2, TS[0], TS[1], None, None),
        ("https://news.ycombinator.com/user?id=pg", 2, TS[0], TS[1], None, None),
    ]  # fmt: skip


def test_threads_without_pages_have_no_page_set(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    save_thread(db, Thread(story=make_thread().story, comments=(), fetched_at=T[0]))
    assert last_page_set(db, "hn", "100") is None
    assert last_page_set(db, "hn", "999") is None


def test_0013_gives_an_older_archive_the_visits_it_knew(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "old.db"
    with monkeypatch.context() as m:
        m.setattr(migrations, "MIGRATIONS",
                  tuple((n, f) for n, f in migrations.MIGRATIONS if n < "0013"))
        old = open_db(path)
    crawl = start_crawl(old, command="crawl hn", args={})
    # As the code before 0013 left them: page 1 fetched three times, the last by the
    # crawl; comment 1 seen by the thread's three crawls.
    old.conn.executescript(f"""
        INSERT INTO pages (site, url, status, sha256, body, first_fetched_at,
            last_fetched_at, fetch_count, story_id, crawl_id)
        VALUES ('hn', '{URL}', 200, 'a', x'00', '{TS[0]}', '{TS[2]}', 3, '100', {crawl}),
               ('hn', '{URL2}', 200, 'b', x'00', '{TS[3]}', '{TS[3]}', 1, '100', NULL);
        INSERT INTO stories (site, id, first_seen_at, last_seen_at, source)
            VALUES ('hn', '100', '{TS[0]}', '{TS[3]}', 'html');
        INSERT INTO comments (site, id, story_id, depth, position, first_seen_at,
            last_seen_at, source) VALUES ('hn', '1', '100', 0, 0, '{TS[0]}', '{TS[3]}', 'html');
        INSERT INTO thread_crawls (site, story_id, seen_at, archived, dead, deleted)
            VALUES ('hn', '100', '{TS[0]}', 1, 0, 0), ('hn', '100', '{TS[3]}', 1, 0, 0);
    """)  # fmt: skip
    old.close()

    db = open_db(path)

    assert db.conn.execute("SELECT page_id, fetched_at, crawl_id FROM page_visits"
                           " ORDER BY page_id, fetched_at").fetchall() == [
        (1, TS[0], None), (1, TS[2], crawl), (2, TS[3], None)]  # fmt: skip
    assert db.conn.execute("SELECT seen_at, unchanged, pages FROM thread_crawls"
                           " ORDER BY seen_at").fetchall() == [(TS[0], 0, None), (TS[3], 0, None)]
    assert last_page_set(db, "hn", "100") is None  # the next crawl parses, then knows
    # Rows written by the old code say their own last sighting: the view agrees.
    assert db.conn.execute("SELECT id, last_seen_at FROM comments_seen").fetchall() == [
        ("1", TS[3])]
    fresh = open_db(tmp_path / "new.db")
    schema = "SELECT type, name, sql FROM sqlite_master ORDER BY name"
    assert db.conn.execute(schema).fetchall() == fresh.conn.execute(schema).fetchall()


def test_a_redacted_body_has_the_thread_parsed_again(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    save_thread(db, make_thread(fetched_at=T[0], pages=pages(b"v1", T[0])))
    assert last_page_set(db, "hn", "100") == page_set(pages(b"v1", T[0]))
    # As archive.redact leaves a page it took content out of.
    db.conn.execute("UPDATE pages SET body = x'', sha256 = 'marker', redacted_at = ?,"
                    " error = 'redacted' WHERE url = ?", (TS[1], URL2))
    db.conn.commit()

    assert last_page_set(db, "hn", "100") is None
    with pytest.raises(PagesChanged):
        save_unchanged_thread(db, site="hn", story_id="100", pages=pages(b"v1", T[2]))
    assert db.conn.execute("SELECT count(*) FROM pages").fetchone() == (2,)


def test_a_thread_no_crawl_observed_has_no_page_set(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    imported = replace(make_thread(fetched_at=T[0], pages=pages(b"v1", T[0])), source="import")
    save_thread(db, imported)
    # Its rows must learn 'html' from a parsed save, so a crawl parses it once.
    assert last_page_set(db, "hn", "100") is None
    assert last_page_set(db, "hn", "100", source="import") == page_set(pages(b"v1", T[0]))
    save_thread(db, make_thread(fetched_at=T[1], pages=pages(b"v1", T[1])))
    assert last_page_set(db, "hn", "100") == page_set(pages(b"v1", T[1]))
