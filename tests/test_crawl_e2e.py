"""End to end: `linkthread crawl` against a real local HTTP server, archive checked row by row."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scraper.parsers import hn
from scraper.parsers.tree import assemble_thread
from tests import hnpages
from tests.conftest import LINKTHREAD, ROOT, read_until, rows, run_linkthread
from tests.corpus import corpus_file
from tests.server import Reply, SiteServer

pytestmark = pytest.mark.e2e

COMMENT_COLUMNS = "id, parent_id, depth, position, author, dead, flagged, deleted, colour"


def expected_rows(thread: hnpages.GenThread) -> list[tuple]:
    """What the archive must hold for a generated thread, in display order."""
    siblings: dict[str | None, int] = {}
    out = []
    for c in thread.comments:
        position = siblings.get(c.parent_id, 0)
        siblings[c.parent_id] = position + 1
        out.append((c.id, c.parent_id, c.depth, position, c.author, int(c.dead),
                    int(c.flagged), int(c.deleted), None if c.deleted or c.flagged else c.colour))
    return out


def archived_rows(db: Path, story_id: str) -> list[tuple]:
    return rows(db, f"select {COMMENT_COLUMNS} from comments where site='hn' and story_id=? "
                    "order by cast(id as integer)", story_id)


def table_counts(db: Path) -> dict[str, int]:
    return {t: rows(db, f"select count(*) from {t}")[0][0]
            for t in ("stories", "comments", "pages", "crawls")}


def crawl(site: SiteServer, db: Path, *targets: str) -> None:
    result = run_linkthread("crawl", "hn", *targets, "--db", str(db), base_url=site.base_url)
    assert result.returncode == 0, result.stderr[-3000:]


def test_generated_5000_comment_thread_archives_exactly_and_twice_adds_nothing(
        site: SiteServer, tmp_path: Path) -> None:
    thread = hnpages.random_thread(5000, seed=7)
    site.routes.update(hnpages.site_pages(thread, per_page=400))
    db = tmp_path / "hn.db"

    crawl(site, db, thread.story_id)

    pages = len(hnpages.pages_of(thread, 400))
    assert pages > 5
    want = sorted(expected_rows(thread), key=lambda r: int(r[0]))
    assert archived_rows(db, thread.story_id) == want
    assert rows(db, "select id, title, author, score, comment_count, kind from stories") == [
        (thread.story_id, thread.title, "founder", thread.score, 5000, "ask")]
    texts = dict(rows(db, "select id, text from comments"))
    for c in thread.comments:
        if c.deleted or c.flagged:
            continue
        first_word = c.text.split()[0]
        assert texts[c.id].startswith(first_word), (c.id, texts[c.id][:80])
    counts = table_counts(db)
    assert counts == {"stories": 1, "comments": 5000, "pages": pages, "crawls": 1}

    crawl(site, db, thread.story_id)

    assert archived_rows(db, thread.story_id) == want
    assert table_counts(db) == {**counts, "crawls": 2}
    assert rows(db, "select status, threads, comments, errors from crawls order by id") == [
        ("finished", 1, 5000, 0), ("finished", 1, 5000, 0)]


def test_old_markup_fnid_pages_and_deleted_rows_without_ids(site: SiteServer,
                                                            tmp_path: Path) -> None:
    thread = hnpages.random_thread(600, seed=3, story_id="3412900", max_depth=6)
    deleted_with_replies = [c for c in thread.comments if c.deleted and c.children]
    assert deleted_with_replies, "the seed must give a deleted comment that has replies"
    site.routes.update(hnpages.site_pages(thread, era="old", per_page=100))
    db = tmp_path / "hn.db"

    crawl(site, db, f"{site.base_url}/item?id={thread.story_id}")

    got = rows(db, "select id, parent_id, depth, position, synthetic_id from comments "
                   "order by depth, parent_id, position")
    assert len(got) == 600
    by_id = {r[0]: r for r in got}
    for c in deleted_with_replies:
        child = by_id[c.children[0].id]
        synthetic = by_id[child[1]]
        assert synthetic[4] == 1 and synthetic[2] == c.depth
    # Every real (non-deleted) comment keeps its place: same depth and, through the
    # synthetic ids, the same parent chain length.
    for c in thread.comments:
        if not c.deleted:
            assert by_id[c.id][2] == c.depth

    before = rows(db, "select id from comments order by id")
    crawl(site, db, thread.story_id)
    assert rows(db, "select id from comments order by id") == before


def test_a_crawl_stopped_mid_thread_stores_no_half_thread_and_resumes(
        site: SiteServer, tmp_path: Path) -> None:
    done = hnpages.random_thread(30, seed=12, story_id="1000")
    long = hnpages.random_thread(300, seed=13, story_id="2000")
    site.routes.update(hnpages.site_pages(done))
    long_pages = hnpages.site_pages(long, per_page=100)
    site.routes.update(long_pages)
    second = "/item?id=2000&p=2"
    assert len(long_pages) == 3
    site.hold(second)
    db = tmp_path / "hn.db"
    env = {**os.environ, "LINKTHREAD_HN_BASE_URL": site.base_url,
           "LINKTHREAD_DOWNLOAD_DELAY": "0"}
    # INFO: Scrapy says when it has taken the signal.
    cmd = [str(LINKTHREAD), "crawl", "hn", "1000", "2000", "--db", str(db),
           "--log-level", "INFO"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    site.wait_asked(second)
    # Scrapy stops gracefully: page 2 still arrives, page 3 is never asked for.
    proc.send_signal(signal.SIGTERM)
    read_until(proc, "Received SIGTERM, shutting down gracefully")
    site.release(second)
    proc.communicate(timeout=60)

    assert rows(db, "pragma integrity_check") == [("ok",)]
    assert rows(db, "select id from stories") == [("1000",)]
    assert rows(db, "select count(*) from comments where story_id='2000'") == [(0,)]
    assert rows(db, "select status from crawls") == [("interrupted",)]
    assert site.hits("/item?id=2000&p=3") == 0

    crawl(site, db, "1000", "2000")
    assert rows(db, "select story_id, count(*) from comments group by 1 order by 1") == [
        ("1000", 30), ("2000", 300)]


def test_throttle_page_first_real_page_second(site: SiteServer, tmp_path: Path) -> None:
    thread = hnpages.random_thread(40, seed=11)
    real = hnpages.site_pages(thread)[f"/item?id={thread.story_id}"]
    path = f"/item?id={thread.story_id}"
    site.routes[path] = [Reply(hnpages.THROTTLE_PAGE), Reply(real)]
    db = tmp_path / "hn.db"

    crawl(site, db, thread.story_id)

    assert site.hits(path) == 2
    assert rows(db, "select count(*) from comments") == [(40,)]
    throttle_sha = hashlib.sha256(hnpages.THROTTLE_PAGE.encode()).hexdigest()
    assert rows(db, "select count(*) from pages where sha256=?", throttle_sha) == [(0,)]
    assert rows(db, "select count(*) from pages") == [(1,)]


def test_truncated_page_is_fetched_again(site: SiteServer, tmp_path: Path) -> None:
    thread = hnpages.random_thread(30, seed=5)
    path = f"/item?id={thread.story_id}"
    real = hnpages.site_pages(thread)[path]
    site.routes[path] = [Reply(real[: len(real) // 2]), Reply(real)]
    db = tmp_path / "hn.db"

    crawl(site, db, thread.story_id)

    assert rows(db, "select count(*) from comments") == [(30,)]
    assert rows(db, "select count(*) from pages") == [(1,)]


def test_no_such_item_ends_that_id_and_writes_nothing(site: SiteServer, tmp_path: Path) -> None:
    thread = hnpages.random_thread(5, seed=2)
    site.routes.update(hnpages.site_pages(thread))
    site.routes["/item?id=999999999"] = hnpages.NO_SUCH_ITEM
    db = tmp_path / "hn.db"

    result = run_linkthread("crawl", "hn", "999999999", thread.story_id, "--db", str(db),
                            base_url=site.base_url)

    assert result.returncode == 1
    assert "hn item 999999999: HN says: No such item." in result.stderr
    assert "archived 1 of 2 thread(s)" in result.stdout
    assert rows(db, "select id from stories") == [(thread.story_id,)]
    assert rows(db, "select count(*) from pages where url like '%999999999%'") == [(0,)]


def test_a_missing_page_names_its_http_status(site: SiteServer, tmp_path: Path) -> None:
    result = run_linkthread("crawl", "hn", "424242", "--db", str(tmp_path / "hn.db"),
                            base_url=site.base_url)
    assert result.returncode == 1
    assert f"hn item 424242: could not fetch {site.base_url}/item?id=424242: HTTP 404" in (
        result.stderr)
    # Its only target failed: the crawl did not finish what it was asked to do.
    assert rows(tmp_path / "hn.db", "select status, errors from crawls") == [("failed", 1)]


def test_page_declaring_comments_but_showing_none_is_an_error(site: SiteServer,
                                                               tmp_path: Path) -> None:
    thread = hnpages.random_thread(12, seed=4)
    empty = hnpages.modern_page(thread, [], declared=12)
    site.routes[f"/item?id={thread.story_id}"] = empty
    db = tmp_path / "hn.db"

    result = run_linkthread("crawl", "hn", thread.story_id, "--db", str(db),
                            base_url=site.base_url)

    assert result.returncode == 1
    assert "12 comments" in result.stderr
    assert rows(db, "select count(*) from stories") == [(0,)]
    # The page is kept, with why it failed, so it can be parsed again later.
    failed = rows(db, "select url, error is not null, story_id from pages")
    assert failed == [(f"{site.base_url}/item?id={thread.story_id}", 1, thread.story_id)]


def test_scrapy_crawl_command_works_too(site: SiteServer, tmp_path: Path) -> None:
    thread = hnpages.random_thread(25, seed=9)
    site.routes.update(hnpages.site_pages(thread))
    db = tmp_path / "hn.db"
    scrapy = Path(sys.executable).with_name("scrapy")
    result = subprocess.run(
        [str(scrapy), "crawl", "hn", "-a", f"items={thread.story_id}", "-s", f"LINKTHREAD_DB={db}",
         "-s", f"LINKTHREAD_HN_BASE_URL={site.base_url}", "-s", "DOWNLOAD_DELAY=0"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)

    assert result.returncode == 0, result.stderr[-2000:]
    assert rows(db, "select count(*) from comments") == [(25,)]


def test_corpus_three_page_thread_gives_224_comments(site: SiteServer, tmp_path: Path) -> None:
    pages = {
        "/item?id=3412900": corpus_file("hn", "item-3412900.html"),
        "/x?fnid=L4Utx2mqoS": corpus_file("hn", "item-3412900-p2.html"),
        "/x?fnid=ym6dUtJLfm": corpus_file("hn", "item-3412900-p3.html"),
    }
    for path, file in pages.items():
        site.routes[path] = Reply(file.read_bytes())
    db = tmp_path / "hn.db"

    crawl(site, db, "3412900")

    parsed = [hn.parse_item_page(f.read_text(encoding="utf-8"), url=site.base_url + p,
                                 fetched_at=datetime.now(UTC), story_id="3412900")
              for p, f in pages.items()]
    truth = assemble_thread(parsed)
    assert len(truth.comments) == 224
    want = sorted(((c.id, c.parent_id, c.depth, c.position, c.author, c.text)
                   for c in truth.comments), key=lambda r: r[0])
    got = rows(db, "select id, parent_id, depth, position, author, text from comments "
                   "where story_id='3412900' order by id")
    assert got == want
    assert rows(db, "select title, author, score from stories") == [
        ("Ask HN: Who is Hiring? (January 2012)", "whoishiring", 259)]
    assert rows(db, "select count(*) from pages where error is null") == [(3,)]


@pytest.mark.parametrize("args, message", [
    (["crawl", "lobsters", "abc"], "not a Lobsters story id"),
    (["crawl", "nosuchsite", "1"], "unknown site 'nosuchsite' (known: hn, lobsters, reddit)"),
    (["crawl", "hn", "12ab"], "not a Hacker News item id"),
    (["crawl", "hn", "https://example.com/item?x=1"], "not a Hacker News item id"),
])
def test_bad_crawl_input_is_one_clear_line(args: list[str], message: str,
                                           tmp_path: Path) -> None:
    result = run_linkthread(*args, "--db", str(tmp_path / "x.db"))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.db").exists()
