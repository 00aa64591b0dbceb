"""End to end: a re-crawl that finds a thread's pages as stored parses nothing and
writes O(1) rows; one changed page has the whole thread parsed and only the change
written; listing and profile pages keep their bodies (archive.revisits)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import hnpages
from tests.clirun import forked
from tests.conftest import rows
from tests.server import SiteServer
from tests.test_crawl_e2e import archived_rows, expected_rows

pytestmark = pytest.mark.e2e


def crawl(site: SiteServer, db: Path, *args: str, env: dict[str, str] | None = None) -> None:
    # Forked from a warm parent (tests/clirun.py): the console script's start is not
    # what these test.
    result = forked("crawl", "hn", *args, "--db", str(db), base_url=site.base_url, env=env)
    assert result.returncode == 0, result.stderr[-3000:]


def thread_crawls(db: Path) -> list[tuple]:
    return rows(db, "SELECT crawl_id, archived + dead + deleted, unchanged,"
                    " json_array_length(pages) FROM thread_crawls ORDER BY seen_at, crawl_id")


def test_unchanged_pages_are_not_parsed_and_a_changed_one_reparses_the_thread(
        site: SiteServer, tmp_path: Path) -> None:
    thread = hnpages.random_thread(300, seed=11)
    site.routes.update(hnpages.site_pages(thread, per_page=100))
    db = tmp_path / "hn.db"
    crawl(site, db, thread.story_id)
    first = rows(db, "SELECT id, last_seen_at FROM comments ORDER BY rowid")
    want = sorted(expected_rows(thread), key=lambda r: int(r[0]))

    crawl(site, db, thread.story_id)

    assert thread_crawls(db) == [(1, 300, 0, 3), (2, 300, 1, 3)]
    # No comment row written, yet every one was seen by crawl 2.
    assert rows(db, "SELECT id, last_seen_at FROM comments ORDER BY rowid") == first
    assert rows(db, "SELECT DISTINCT last_crawl_id FROM comments_seen") == [(2,)]
    # Its visits are kept in its thread_crawls row; pages_seen counts them.
    assert rows(db, "SELECT count(*), sum(fetch_count) FROM pages_seen") == [(3, 6)]
    assert rows(db, "SELECT crawl_id, count(*) FROM page_visits GROUP BY 1") == [(1, 3), (2, 3)]
    assert rows(db, "SELECT count(*) FROM comment_versions") == [(0,)]

    # One comment of page 2 edited: pages 1 and 3 as stored, page 2 new.
    edited = thread.comments[150]
    edited.text = "Edited since the first crawl."
    site.routes.update(hnpages.site_pages(thread, per_page=100))
    crawl(site, db, thread.story_id)

    assert thread_crawls(db)[-1] == (3, 300, 0, 3)
    assert archived_rows(db, thread.story_id) == want  # the whole tree, still in place
    assert rows(db, "SELECT comment_id, change, text FROM comment_versions ORDER BY rowid") == [
        (edited.id, "added", rows(db, "SELECT text FROM comment_versions LIMIT 1")[0][0]),
        (edited.id, "edited", "Edited since the first crawl."),
    ]
    assert rows(db, "SELECT count(*) FROM pages") == [(4,)]
    assert rows(db, "SELECT count(*) FROM comments WHERE last_crawl_id = 3") == [(1,)]

    # The old path, on demand: every page parsed although none changed.
    crawl(site, db, thread.story_id, env={"LINKTHREAD_REPARSE": "1"})

    assert thread_crawls(db)[-1] == (4, 300, 0, 3)
    assert rows(db, "SELECT count(*) FROM comment_versions") == [(2,)]
    assert rows(db, "SELECT DISTINCT last_crawl_id FROM comments_seen") == [(4,)]


def test_listing_and_profile_bodies_are_kept(site: SiteServer, tmp_path: Path) -> None:
    stories = [hnpages.GenStory(id=str(9000 + i), title=f"Story {i}", score=i, comments=0)
               for i in range(3)]  # fmt: skip
    site.routes["/news"] = hnpages.listing_page(stories)
    site.routes["/user?id=pg"] = hnpages.user_page("pg", karma=157316, about="Bug fixer.")
    db = tmp_path / "hn.db"
    for _ in range(2):
        crawl(site, db, "front", "user", "pg")

    assert rows(db, "SELECT substr(url, instr(url, '/news') + instr(url, '/user')), fetch_count,"
                    " story_id, error FROM pages ORDER BY url") == [
        ("/news", 2, None, None), ("/user?id=pg", 2, None, None)]  # fmt: skip
    assert rows(db, "SELECT crawl_id, count(*) FROM page_visits GROUP BY 1") == [(1, 2), (2, 2)]
