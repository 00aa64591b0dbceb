"""A Reddit thread crawled through the API stand-in, then joined by what an import
brings (scraper/importers/join.py): a crawl capped with --max-requests leaves a gap,
and a saved /api/morechildren answer of one of its stubs fills that much of it; and
`linkthread reparse` reads the crawl's kept answers back as the one thread they are."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.revisits import latest_pages
from scraper.parsers.reddit.thread import ThreadPages
from tests.clirun import forked
from tests.conftest import rows
from tests.redditapi import Cut, RedditAPI, env, make_thread
from tests.server import SiteServer, serve
from tests.test_reddit_crawl_e2e import tree_in_order

pytestmark = pytest.mark.e2e


@pytest.fixture
def api() -> Iterator[RedditAPI]:
    with serve(SiteServer()) as site:
        api = RedditAPI(site, cut=Cut(top=10, kids=3, depth=6))
        api.morechildren_delay = 0.0
        yield api


def crawl(api: RedditAPI, db: Path, *args: str) -> None:
    # Forked from a warm parent (tests/clirun.py), as linkthread() below: the console
    # script's start is not what these test.
    result = forked("crawl", "reddit", *args, "--db", str(db), env=env(api))
    assert result.returncode == 0, result.stderr[-3000:]


def linkthread(*args: str) -> str:
    result = forked(*args)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return result.stdout


def left(db: Path) -> list:
    """The stubs the thread's kept answers still hold, as a crawl placed them."""
    with sqlite3.connect(db) as conn:
        pages = latest_pages(conn, "reddit", "abc12")
    assert pages
    built = ThreadPages()
    for page in pages:
        built.add(page.body.decode(), url=page.url)
    return built.unexpanded()


def test_a_saved_answer_fills_the_gap_a_capped_crawl_left(api: RedditAPI,
                                                          tmp_path: Path) -> None:
    thread = api.threads["abc12"] = make_thread(200, seed=12)
    db = tmp_path / "r.db"
    crawl(api, db, "abc12", "--max-requests", "0")
    ((gap, shown),) = rows(db, "SELECT unexpanded, archived FROM thread_crawls")
    assert gap > 0 and "abc12" in linkthread("gaps", "--site", "reddit", "--db", str(db))

    # The user saved the answer of one stub the crawl did not ask for.
    stub = next(s for s in left(db) if not s.is_continue)
    ids = stub.children[:100]
    reply = api.answer("/api/morechildren", {"link_id": "t3_abc12", "children": ",".join(ids),
                                             "api_type": "json"})  # fmt: skip
    assert reply is not None
    saved = tmp_path / "more.json"
    saved.write_text(str(reply.body) if not isinstance(reply.body, bytes)
                     else reply.body.decode())  # fmt: skip
    linkthread("import", str(saved), "--db", str(db), "--fetched-at", "2030-01-01T00:00:00Z")

    ((after, now),) = rows(db, "SELECT unexpanded, archived FROM thread_crawls")
    assert now > shown and after < gap
    assert rows(db, "SELECT count(*) FROM comments WHERE gone_at IS NOT NULL") == [(0,)]
    # The same placement a crawl makes of those answers: the stored tree, in order.
    found = {cid for cid, _, _ in tree_in_order(db, "abc12")}
    assert set(ids) <= found
    order = [cid for cid, _, _ in tree_in_order(db, "abc12")]
    assert order == [cid for cid, _, _ in thread.order() if cid in found]

    # A full crawl then expands the rest, as before.
    crawl(api, db, "abc12")
    assert rows(db, "SELECT unexpanded FROM thread_crawls ORDER BY seen_at DESC LIMIT 1") == [
        (0,)]
    assert tree_in_order(db, "abc12") == thread.order()


def test_reparse_reads_the_crawls_answers_as_one_thread(api: RedditAPI,
                                                        tmp_path: Path) -> None:
    thread = api.threads["abc12"] = make_thread(300, seed=13, chain=9)
    db = tmp_path / "r.db"
    crawl(api, db, "abc12")
    assert rows(db, "SELECT count(*) FROM pages WHERE url LIKE '%morechildren%'")[0][0] > 0
    before = rows(db, "SELECT id, parent_id, position, depth, text, gone_at FROM comments"
                      " ORDER BY id")  # fmt: skip
    out = linkthread("reparse", "--db", str(db))
    assert "no longer" not in out, out
    assert rows(db, "SELECT id, parent_id, position, depth, text, gone_at FROM comments"
                    " ORDER BY id") == before  # fmt: skip
    assert rows(db, "SELECT count(*) FROM pages WHERE error IS NOT NULL") == [(0,)]
    assert tree_in_order(db, "abc12") == thread.order()
