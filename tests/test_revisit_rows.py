"""An unchanged re-crawl of a multi-page thread writes O(1) rows (migration
``0020_thread_visits``), whatever its number of pages, and every reader of a page's
fetches answers as if each visit were a row: ``page_visits``, ``pages_seen``, the
changes, snapshots ``--as-of`` and gone detection.

What they must answer is computed here by a plain walk over the fetches the test
made, and compared with an archive crawled by parsing every page (``reparse``: the
path that writes every visit as a row, as before 0020).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import scrapy
from scrapy.http import TextResponse

from archive import history, store
from archive.crawls import Target
from archive.models import FetchedPage
from archive.revisits import body_sha256
from archive.snapshot import snapshot
from scraper.items import UnchangedThread
from tests import hnpages
from tests.clirun import forked
from tests.conftest import rows
from tests.redditapi import Cut, b36
from tests.server import SiteServer
from tests.test_lobsters_revisits import TABLES
from tests.test_reddit_revisit import Archive, Site
from tests.test_store import T0, table_rows

# A visit as the walk knows it: (url, sha256, fetched_at, crawl_id).
Visit = tuple[str, str, str, int]


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def crawl(archive: Archive, site: Site, at: datetime, log: list[Visit]) -> list[Any]:
    """One crawl of the thread as tests.test_reddit_revisit's, but each answer fetched
    a second after the one before; its fetches are appended to ``log``."""
    crawl_id = store.start_crawl(archive.db, command="crawl reddit",
                                 args={"items": ["abc12"]},
                                 targets=[Target("reddit", "thread", "abc12")])  # fmt: skip
    archive.pipeline.crawl_id = crawl_id
    times = iter(at + timedelta(seconds=i) for i in range(10_000))

    def fetched(r: Any) -> FetchedPage:
        page = FetchedPage(site="reddit", url=r.url, fetched_at=next(times), status=200,
                           body=r.body)  # fmt: skip
        log.append((page.url, body_sha256(page.body), iso(page.fetched_at), crawl_id))
        return page

    spider = archive.spider
    spider.fetched = fetched  # type: ignore[method-assign]
    queue = [spider.request(spider.thread_url("abc12"), spider.parse_thread_page,
                            label="reddit item abc12", story_id="abc12", done=())]
    items: list[Any] = []
    while queue:
        request = queue.pop(0)
        response = TextResponse(request.url, body=site.answer(request.url).encode(),
                                encoding="utf-8", request=request)  # fmt: skip
        for out in request.callback(response, **request.cb_kwargs):
            (queue if isinstance(out, scrapy.Request) else items).append(out)
    for item in items:
        archive.pipeline.store(item)
    store.finish_crawl(archive.db, crawl_id, status="finished", pages=0, threads=1,
                       comments=0, errors=0, message=None)  # fmt: skip
    return items


def walk_visits(conn: sqlite3.Connection, log: list[Visit]) -> list[tuple[int, str, int]]:
    """page_visits as the log says it: one row per fetch, of the body it returned."""
    ids = {(u, s): i for i, u, s in conn.execute("SELECT id, url, sha256 FROM pages")}
    return sorted((ids[u, s], at, c) for u, s, at, c in log)


def walk_pages(conn: sqlite3.Connection, log: list[Visit]) -> list[tuple[Any, ...]]:
    """Each page's first and last fetch, fetch count and the crawl of its last fetch."""
    ids = {(u, s): i for i, u, s in conn.execute("SELECT id, url, sha256 FROM pages")}
    out: dict[int, list[tuple[str, int]]] = {}
    for u, s, at, c in log:
        out.setdefault(ids[u, s], []).append((at, c))
    return sorted((pid, min(v)[0], max(v)[0], len({at for at, _ in v}), max(v)[1])
                  for pid, v in out.items())  # fmt: skip


def seen_pages(conn: sqlite3.Connection, table: str = "pages_seen") -> list[tuple[Any, ...]]:
    return conn.execute(f"SELECT id, first_fetched_at, last_fetched_at, fetch_count, crawl_id"
                        f" FROM {table} ORDER BY id").fetchall()  # fmt: skip


def state(conn: Any) -> dict[str, list[dict]]:
    out = {t: table_rows(conn, t, drop=("started_at", "finished_at", "host", "pid",
                                        "updated_at")) for t in TABLES}  # fmt: skip
    out["thread_crawls"] = table_rows(conn, "thread_crawls", drop=("unchanged",))
    return out


@pytest.mark.parametrize("cut", [Cut(top=10, kids=3, depth=6), Cut(top=4, kids=2, depth=3)])
def test_an_unchanged_reddit_thread_writes_rows_independent_of_its_answers(
        tmp_path: Path, cut: Cut) -> None:
    site = Site(cut=cut)
    fast = Archive(tmp_path / "fast.db", reparse=False)
    full = Archive(tmp_path / "full.db", reparse=True)
    log: list[Visit] = []
    for archive in (fast, full):
        log.clear()
        crawl(archive, site, T0, log)
    answers = len(log)
    assert answers > 1
    conn = fast.db.conn
    pages_before = conn.execute("SELECT * FROM pages ORDER BY id").fetchall()
    fetches_before = conn.execute("SELECT count(*) FROM page_fetches").fetchone()
    before = conn.total_changes

    items = crawl(fast, site, T0 + timedelta(hours=1), log)

    assert [type(i) for i in items] == [UnchangedThread]
    # The crawl's row and target (written, then finished: 4), the thread_crawls row
    # and its thread_latest summary, the story's seen-time, the target done: 8, none
    # per answer (14 answers for the larger cut, 5 for the smaller).
    assert conn.total_changes - before == 8
    assert conn.execute("SELECT * FROM pages ORDER BY id").fetchall() == pages_before
    assert conn.execute("SELECT count(*) FROM page_fetches").fetchone() == fetches_before
    assert len(log) == 2 * answers
    # Every visit is still there, each page's fetches counted.
    assert sorted(conn.execute("SELECT * FROM page_visits").fetchall()) == walk_visits(conn, log)
    assert seen_pages(conn) == walk_pages(conn, log)

    # The same crawls, every answer parsed (each visit a row): the same archive.
    crawl(full, site, T0 + timedelta(hours=1), [])
    assert state(fast.db) == state(full.db)


def test_changes_gone_and_as_of_after_unchanged_and_changed_crawls(tmp_path: Path) -> None:
    site = Site(cut=Cut(top=10, kids=3, depth=6))
    fast = Archive(tmp_path / "fast.db", reparse=False)
    full = Archive(tmp_path / "full.db", reparse=True)
    times = [T0 + timedelta(hours=h) for h in range(4)]
    log: list[Visit] = []
    for archive in (fast, full):
        site.edited.clear()
        log.clear()
        crawl(archive, site, times[0], log)
        crawl(archive, site, times[1], log)  # unchanged
        site.edited.add("c" + b36(10_007))
        crawl(archive, site, times[2], log)  # one comment edited: parsed, saved
        crawl(archive, site, times[3], log)  # unchanged again
    conn = fast.db.conn
    assert [u for (u,) in conn.execute("SELECT unchanged FROM thread_crawls ORDER BY seen_at")
            ] == [0, 1, 0, 1]  # fmt: skip
    assert sorted(conn.execute("SELECT * FROM page_visits").fetchall()) == walk_visits(conn, log)
    assert seen_pages(conn) == walk_pages(conn, log)
    assert state(fast.db) == state(full.db)
    assert history.comment_changes(fast.db, "reddit", "abc12") == history.comment_changes(
        full.db, "reddit", "abc12")

    # As of the hour between the changed crawl and the last: the copy's own rows say
    # each page's fetches up to then, as the walk over the fetches before it does.
    cut = iso(times[2] + timedelta(minutes=30))
    copies = {}
    for name, archive in (("fast", fast), ("full", full)):
        archive.db.conn.commit()
        copies[name] = snapshot(tmp_path / f"{name}.db", tmp_path / f"{name}-asof.db", as_of=cut)
    with sqlite3.connect(copies["fast"]) as copy, sqlite3.connect(copies["full"]) as other:
        before_cut = [v for v in log if v[2] <= cut]
        assert copy.execute("SELECT count(*) FROM thread_crawls WHERE visits IS NOT NULL"
                            ).fetchone() == (0,)  # fmt: skip
        assert sorted(copy.execute("SELECT * FROM page_fetches").fetchall()) == walk_visits(
            copy, before_cut)
        # archive.snapshot's rules: pages first fetched after T dropped, the last fetch
        # clamped to T, the count as last seen; every crawl here started (on the
        # clock) after T, so none is named.
        clamped = [(pid, first, min(last, cut), count, None) for pid, first, last, count, _
                   in walk_pages(fast.db.conn, log) if first <= cut]  # fmt: skip
        assert seen_pages(copy, "pages") == clamped
        assert seen_pages(copy, "pages") == seen_pages(other, "pages")
        assert state(copy) == state(other)


def hn_crawl(site: SiteServer, db: Path) -> None:
    # Forked from a warm parent (tests/clirun.py): the console script's start is not
    # what this tests.
    result = forked("crawl", "hn", "46621892", "--db", str(db), base_url=site.base_url)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.e2e
def test_an_unchanged_hn_thread_of_many_pages_writes_no_page_row(
        site: SiteServer, tmp_path: Path) -> None:
    """HN's continuation pages (?p=2...) come back unchanged: no pages or page_fetches
    row is written, the visits are all in page_visits; a comment gone later is marked
    gone at the crawl that no longer shows it, and seen last by the unchanged one."""
    if True:
        thread = hnpages.random_thread(200, seed=5)
        site.routes.update(hnpages.site_pages(thread, per_page=50))
        db = tmp_path / "hn.db"
        hn_crawl(site, db)
        pages = rows(db, "SELECT * FROM pages ORDER BY id")
        assert len(pages) == 4
        hn_crawl(site, db)

        assert rows(db, "SELECT * FROM pages ORDER BY id") == pages
        assert rows(db, "SELECT crawl_id, count(*) FROM page_fetches GROUP BY 1") == [(1, 4)]
        assert rows(db, "SELECT crawl_id, count(*) FROM page_visits GROUP BY 1") == [
            (1, 4), (2, 4)]
        assert rows(db, "SELECT DISTINCT fetch_count, crawl_id FROM pages_seen") == [(2, 2)]
        assert rows(db, "SELECT unchanged, json_array_length(visits) FROM thread_crawls"
                        " ORDER BY seen_at") == [(0, None), (1, 4)]  # fmt: skip

        # A leaf comment gone: the next crawl parses the thread and marks it gone.
        leaf = next(c for i, c in enumerate(thread.comments)
                    if i + 1 == len(thread.comments) or thread.comments[i + 1].depth <= c.depth)
        thread.comments.remove(leaf)
        site.routes.clear()
        site.routes.update(hnpages.site_pages(thread, per_page=50))
        hn_crawl(site, db)
        second = rows(db, "SELECT seen_at FROM thread_crawls ORDER BY seen_at")[1][0]
        assert rows(db, "SELECT gone_at IS NOT NULL, last_seen_at, last_crawl_id FROM comments"
                        " WHERE id = ?", leaf.id) == [(1, second, 2)]  # fmt: skip
        assert rows(db, "SELECT count(*) FROM comments_seen WHERE gone_at IS NULL"
                        " AND last_crawl_id = 3") == [(199,)]  # fmt: skip


def test_an_archive_from_before_0020_keeps_every_visit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """0020 renames the visits table and puts a view of the same name in its place: an
    existing archive's visits read as before, and pages_seen equals its pages rows."""
    from archive import migrations
    from archive.db import open_db

    older = tuple(m for m in migrations.MIGRATIONS if m[0] < "0020")
    monkeypatch.setattr(migrations, "MIGRATIONS", older)
    path = tmp_path / "old.db"
    db = open_db(path)
    db.conn.execute(
        "INSERT INTO pages (site, url, status, sha256, body, first_fetched_at,"
        " last_fetched_at, fetch_count, story_id) VALUES ('hn', 'u', 200, 's', x'00',"
        " '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', 2, '1')")  # fmt: skip
    visits = [(1, "2026-01-01T00:00:00Z", None), (1, "2026-01-02T00:00:00Z", None)]
    db.conn.executemany("INSERT INTO page_visits VALUES (?, ?, ?)", visits)
    db.conn.commit()
    db.conn.close()
    monkeypatch.undo()

    conn = open_db(path).conn
    assert conn.execute("SELECT * FROM page_visits ORDER BY fetched_at").fetchall() == visits
    assert conn.execute("SELECT * FROM page_fetches ORDER BY fetched_at").fetchall() == visits
    assert seen_pages(conn) == seen_pages(conn, "pages") == [
        (1, "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", 2, None)]
    assert migrations.apply_migrations(conn) == []  # applied twice: a no-op
