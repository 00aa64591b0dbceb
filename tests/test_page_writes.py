"""A thread re-crawled with one of its pages changed writes that page alone: each
unchanged page's visit is kept in the crawl's ``thread_crawls`` row
(``archive.revisits.split_visits``), not written as a ``page_fetches`` row and an update
of its ``pages`` row.

Every reader must answer as when each page was written (the path before this change,
which a crawl already stored at its time still takes): the changes, snapshots ``--as-of``
each crawl, gone detection, gaps, and the pages reparse and ``export --warc`` read.
That path is forced here by making ``split_visits`` keep nothing.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from archive import history, revisits, store
from archive.crawls import Target
from archive.db import open_db
from archive.models import FetchedPage, Thread
from archive.pages import seen_pages, selection
from archive.rows import iso_utc
from archive.snapshot import snapshot
from tests.test_store import T0, make_comment, make_story, table_rows

URL = "https://news.ycombinator.com/item?id=100"
URLS = (URL, URL + "&p=2", URL + "&p=3")
# The comments each page shows, by id: HN's continuation pages split the top level.
ON_PAGE = (("1", "2"), ("3", "4"), ("5",))


def thread(at: int, *, edited: bool = False, last_page: int = 3) -> Thread:
    """The thread fetched ``at`` hours after T0: comment 4 (on page 2) edited or not,
    its pages up to ``last_page``; each page's body is the text of its comments."""
    fetched = T0 + timedelta(hours=at)
    comments, pages = [], []
    for n, ids in enumerate(ON_PAGE[:last_page]):
        shown = []
        for i in ids:
            text = f"Comment {i} about foxes" + (" (edited)" if edited and i == "4" else "")
            comments.append(make_comment(i, position=int(i) - 1, text=text,
                                         text_html=f"<p>{text}</p>"))  # fmt: skip
            shown.append(text)
        pages.append(FetchedPage(site="hn", url=URLS[n], fetched_at=fetched, status=200,
                                 body="\n".join(shown).encode()))  # fmt: skip
    return Thread(story=make_story(comment_count=5), comments=tuple(comments),
                  fetched_at=fetched, pages=tuple(pages))  # fmt: skip


def crawl(db: Any, t: Thread, *, unchanged: bool = False) -> int:
    crawl_id = store.start_crawl(db, command="crawl hn", args={"items": ["100"]},
                                 targets=[Target("hn", "thread", "100")])  # fmt: skip
    if unchanged:
        revisits.save_unchanged_thread(db, site="hn", story_id="100", pages=t.pages,
                                       crawl_id=crawl_id)  # fmt: skip
    else:
        store.save_thread(db, t, crawl_id=crawl_id)
    return crawl_id


# (hours after T0, the thread then, found unchanged): first crawl, an unchanged one,
# page 2 changed, page 3 gone (comment 5 with it), page 2 back as first read, all three.
SCENARIO = (
    (0, {}, False),
    (1, {}, True),
    (2, {"edited": True}, False),
    (3, {"edited": True, "last_page": 2}, False),
    (4, {"last_page": 2}, False),
    (5, {}, False),
)


class Writes:
    """Rows each save writes to ``pages`` and ``page_fetches``, counted by triggers."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        conn.execute("CREATE TEMP TABLE writes (tbl TEXT, page_id INTEGER)")
        for table, key in (("pages", "id"), ("page_fetches", "page_id")):
            for event in ("INSERT", "UPDATE"):
                conn.execute(
                    f"CREATE TEMP TRIGGER w_{table}_{event} AFTER {event} ON main.{table}"
                    f" BEGIN INSERT INTO writes VALUES ('{table}', new.{key}); END"
                )

    def take(self) -> list[tuple[str, str]]:
        """(table, url) of each write since the last call."""
        found = self.conn.execute(
            "SELECT w.tbl, p.url FROM writes w JOIN pages p ON p.id = w.page_id"
            " ORDER BY w.rowid"
        ).fetchall()
        self.conn.execute("DELETE FROM writes")
        return [tuple(r) for r in found]


def test_page_two_changed_writes_page_two_alone(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    writes = Writes(db.conn)
    crawl(db, thread(0))
    assert len(writes.take()) == 6  # three bodies, three visits
    crawl(db, thread(1), unchanged=True)
    assert writes.take() == []
    before = db.conn.total_changes
    crawl(db, thread(2, edited=True))
    # (Less the rows the two triggers below wrote into their temporary table.)
    written = db.conn.total_changes - before - 2
    # The new body of page 2 and its visit; pages 1 and 3 not a row between them.
    assert writes.take() == [("pages", URLS[1]), ("page_fetches", URLS[1])]
    # The same crawl on the path that writes every page: two rows more per unchanged page.
    base = open_db(tmp_path / "b.db")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(revisits, "split_visits", lambda conn, site, story, seen, pages:
                   (None, list(pages)))  # fmt: skip
        crawl(base, thread(0))
        crawl(base, thread(1), unchanged=True)
        before = base.conn.total_changes
        crawl(base, thread(2, edited=True))
        # Pages 1 and 3: a visit row and a pages update each. Ours keeps their visits
        # in the crawl's thread_crawls row as it is inserted: no row changed for them.
        assert written == base.conn.total_changes - before - 4
    kept = db.conn.execute(
        "SELECT visits FROM thread_crawls ORDER BY seen_at DESC LIMIT 1").fetchone()[0]
    assert kept is not None and len(json.loads(kept)) == 2


def observed(path: Path, times: list[str]) -> dict[str, Any]:
    """What every reader of the archive at ``path`` answers."""
    db = open_db(path)
    conn = db.conn
    where, params = selection()
    out: dict[str, Any] = {
        table: table_rows(db, table)
        for table in ("pages", "page_visits", "comments", "comment_versions", "stories",
                      "thread_crawls")
    }
    out["changes"] = history.comment_changes(db, "hn", "100")
    out["gaps"] = history.gaps(db)
    # What reparse and export --warc read: each kept body with its fetches.
    out["raw"] = conn.execute(
        f"SELECT url, sha256, body, first_fetched_at, last_fetched_at, fetch_count, crawl_id"
        f" FROM {seen_pages(conn)} WHERE {' AND '.join(where)} ORDER BY id", params
    ).fetchall()
    out["latest"] = [(p.url, p.body, p.fetched_at) for p in
                     revisits.latest_pages(db, "hn", "100") or []]  # fmt: skip
    db.close()
    for n, at in enumerate([None, *times]):
        copy = path.with_name(f"{path.stem}-{n}.db")
        snapshot(path, copy, as_of=at)
        with sqlite3.connect(copy) as c:
            for table in ("pages", "page_fetches", "comments", "thread_crawls"):
                # (In any order: a copy writes the kept visits after the others.)
                out[f"{at}:{table}"] = sorted(
                    c.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
    return out


def test_history_as_when_every_page_was_written(tmp_path: Path) -> None:
    times = [iso_utc(T0 + timedelta(hours=h)) for h, _, _ in SCENARIO]
    ours, base = tmp_path / "ours.db", tmp_path / "base.db"
    db = open_db(ours)
    writes = Writes(db.conn)
    for at, kw, unchanged in SCENARIO:
        crawl(db, thread(at, **kw), unchanged=unchanged)
    # Page 1 never changed: written once, by the first crawl, whatever followed.
    assert sum(1 for _, url in writes.take() if url == URLS[0]) == 2
    db.close()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(revisits, "split_visits", lambda conn, site, story, seen, pages:
                   (None, list(pages)))  # fmt: skip
        db = open_db(base)
        for at, kw, unchanged in SCENARIO:
            crawl(db, thread(at, **kw), unchanged=unchanged)
        db.close()
    got, want = observed(ours, times), observed(base, times)
    assert got.keys() == want.keys()
    for key in want:
        assert got[key] == want[key], key
    # The scenario did what it says: comment 4 edited, comment 5 gone, then back.
    changes = [(c["comment_id"], c["change"]) for c in want["changes"]]
    assert ("4", "edited") in changes and ("5", "gone") in changes and ("5", "back") in changes


def test_resave_of_the_same_fetch_writes_no_visit_twice(tmp_path: Path) -> None:
    """A crawl saved again at its own time (as reparse does) finds each of its visits
    recorded, as a row or kept in its thread_crawls row, and writes none again: kept
    and written both, page_visits would hold it twice."""
    db = open_db(tmp_path / "a.db")
    crawl(db, thread(0))
    crawl(db, thread(2, edited=True))

    def seen() -> list[list[tuple]]:
        # Which crawl a visit is credited to moves to the later save, as a row's does.
        return [db.conn.execute("SELECT page_id, fetched_at FROM page_visits ORDER BY 1, 2"
                                ).fetchall(),
                db.conn.execute("SELECT id, first_fetched_at, last_fetched_at, fetch_count"
                                " FROM pages_seen ORDER BY 1").fetchall()]

    before = seen()
    writes = Writes(db.conn)
    crawl(db, thread(2, edited=True))
    assert writes.take() == []
    assert seen() == before
    assert len(before[0]) == 2 * len(URLS)  # each page's two visits, once each
