"""Import equals crawl: the HN corpus's item pages crawled from the local stand-in and
imported from their files give the same stories and comments, row for row.

The two are made comparable by importing each file with ``--fetched-at`` set to the
time the crawl fetched that page (read back from the crawl's ``pages`` row): relative
ages ("3 hours ago") then resolve against the same moment. Only the columns naming a
crawl (``last_crawl_id``) may differ: the import is its own crawl.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import rows, run_linkthread
from tests.corpus import corpus_dir
from tests.server import Reply, SiteServer
from tests.test_import import run_import, whole_rows

pytestmark = pytest.mark.e2e

MULTI_PAGE = "3412900"  # joined from its files in test_import; its pages are fetched apart


def one_file_per_item() -> dict[str, Path]:
    """Each single-page item of the HN corpus once: its first saved copy by name."""
    out: dict[str, Path] = {}
    for path in sorted(corpus_dir("hn").glob("item-*.html")):
        item = path.name.split("-")[1].removesuffix(".html")
        if item != MULTI_PAGE:
            out.setdefault(item, path)
    return out


def test_importing_corpus_item_pages_gives_the_rows_crawling_them_gives(
        site: SiteServer, tmp_path: Path) -> None:
    items = one_file_per_item()
    assert len(items) >= 12
    for item, path in items.items():
        site.routes[f"/item?id={item}"] = Reply(path.read_bytes())
    crawled, imported = tmp_path / "crawled.db", tmp_path / "imported.db"

    result = run_linkthread("crawl", "hn", *items, "--db", str(crawled), base_url=site.base_url)
    assert result.returncode == 0, result.stderr[-3000:]

    for item, path in items.items():
        [(fetched,)] = rows(crawled, "select first_fetched_at from pages where url = ?",
                            f"{site.base_url}/item?id={item}")
        out = run_import(path, "--fetched-at", fetched, "--db", imported)
        assert out.exit_code == 0, out.stderr
    for table in ("stories", "comments"):
        got = whole_rows(imported, table, "last_crawl_id", "source")
        assert got == whole_rows(crawled, table, "last_crawl_id", "source"), table
    assert len(whole_rows(imported, "comments")) > 500
    with sqlite3.connect(imported) as conn:
        # The raw pages are the files' bytes, under the public site's URLs.
        urls = {u for (u,) in conn.execute("select url from pages")}
    assert urls == {f"https://news.ycombinator.com/item?id={i}" for i in items}


@pytest.mark.parametrize("name", [
    # 2012: a story link ends in a bare "#", which the page's own base URL must not change.
    "news-2012-03.html", "news-2015-06.html", "news-2026-01-11.html"])
def test_importing_a_corpus_front_page_gives_the_rows_crawling_it_gives(
        site: SiteServer, tmp_path: Path, name: str) -> None:
    path = corpus_dir("hn") / name
    if not path.is_file():
        pytest.skip(f"corpus page {path} is absent")
    site.routes["/news"] = Reply(path.read_bytes())
    crawled, imported = tmp_path / "crawled.db", tmp_path / "imported.db"

    result = run_linkthread("crawl", "hn", "front", "--db", str(crawled), base_url=site.base_url)
    assert result.returncode == 0, result.stderr[-3000:]
    # A listing's page is not kept by a crawl; its snapshot says when it was seen.
    [(seen,)] = rows(crawled, "select distinct seen_at from listing_snapshots")
    out = run_import(path, "--fetched-at", seen, "--db", imported)

    assert out.exit_code == 0, out.stderr
    assert whole_rows(imported, "stories", "last_crawl_id", "source") == \
        whole_rows(crawled, "stories", "last_crawl_id", "source")
    snapshots = "select site, listing, page, rank, story_id, score, comment_count, seen_at" \
                " from listing_snapshots order by rank"
    assert rows(imported, snapshots) == rows(crawled, snapshots)
    assert len(rows(imported, snapshots)) == 30


def test_importing_corpus_lobsters_stories_gives_the_rows_crawling_them_gives(
        site: SiteServer, tmp_path: Path) -> None:
    files = {p.name.split("-")[1]: p for p in sorted(corpus_dir("lobsters").glob("story-*.json"))}
    assert len(files) >= 3  # one saved copy of each story, the newest by name
    for story, path in files.items():
        site.routes[f"/s/{story}.json"] = Reply(path.read_bytes(),
                                                content_type="application/json")
    crawled, imported = tmp_path / "crawled.db", tmp_path / "imported.db"

    result = run_linkthread("crawl", "lobsters", *files, "--ignore-robots", "--db",
                            str(crawled), env={"LINKTHREAD_LOBSTERS_BASE_URL": site.base_url,
                                               "LINKTHREAD_MIN_DELAY": "0"})
    assert result.returncode == 0, result.stderr[-3000:]

    for story, path in files.items():
        [(fetched,)] = rows(crawled, "select first_fetched_at from pages where url = ?",
                            f"{site.base_url}/s/{story}.json")
        out = run_import(path, "--fetched-at", fetched, "--db", imported)
        assert out.exit_code == 0, out.stderr
    for table in ("stories", "comments", "users"):
        got = whole_rows(imported, table, "last_crawl_id", "source")
        assert got == whole_rows(crawled, table, "last_crawl_id", "source"), table
    for sql in ("select * from story_tags order by 1, 2, 3",
                "select site, comment_id, seen_at, score from comment_scores order by 1, 2, 3"):
        assert rows(imported, sql) == rows(crawled, sql), sql
    assert len(whole_rows(imported, "comments")) >= 20
