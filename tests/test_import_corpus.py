"""`linkthread import` of the shared corpus of real pages: each imports or says why,
the multi-page HN thread is joined, a Lobsters story reads as its parser reads it.
Skips when the corpus is absent."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from scraper.parsers import hn
from scraper.parsers.lobsters import parse_story
from scraper.parsers.tree import assemble_thread
from tests.conftest import rows
from tests.corpus import corpus_dir, corpus_file
from tests.test_import import FETCHED, comment_rows, run_import

# Corpus files that are not importable, and why: each is one line, the rest import.
NOT_IMPORTABLE = {
    "hn/SOURCES.tsv": "not a page of a site linkthread knows",
    "lobsters/SOURCES.tsv": "not a page of a site linkthread knows",
    "lobsters/error-422-static.html": "the site's HTTP 422 error page",
    "lobsters/error-500-static.html": "the site's HTTP 500 error page",
    "lobsters/error-502-static.html": "the site's HTTP 502 error page",
    "lobsters/error-504-static.html": "the site's HTTP 504 error page",
}
# Listings but the front page (titled "Lobsters") state no URL: a mirror keeps them
# under their path, as here.
LOBSTERS_MIRROR = {
    "hottest-2021.json": "hottest.json",
    "hottest-2025.json": "page/2.json", "tag-meta-2023.json": "t/meta.json",
    "tag-programming-rust-2023.json": "t/programming,rust.json",
    "search-chatgpt-2026-07.html": "search?q=chatgpt&what=stories&order=newest",
    "search-chatgpt-2023-07-loggedin.html": "search?q=chatgpt&what=stories&order=relevance",
}
HN_MIRROR = {"item-3412900.html": "item?id=3412900", "item-3412900-p2.html": "x?fnid=L4Utx2mqoS",
             "item-3412900-p3.html": "x?fnid=ym6dUtJLfm"}


def corpus_mirror(tmp_path: Path) -> Path:
    """The corpus as one folder: symlinks to the pages in place (never copies), those
    whose URL is not on the page under the mirror names that give it."""
    root = tmp_path / "corpus"
    for site, host, names in (("hn", "news.ycombinator.com", HN_MIRROR),
                              ("lobsters", "lobste.rs", LOBSTERS_MIRROR)):
        for source in sorted(corpus_dir(site).iterdir()):
            link = root / site / source.name
            if source.name in names:
                link = root / site / host / names[source.name]
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(source)
    return root


def test_every_corpus_page_imports_or_says_why(tmp_path: Path) -> None:
    root = corpus_mirror(tmp_path)
    db = tmp_path / "a.db"

    result = run_import(root, "--fetched-at", FETCHED, "--db", db)

    assert result.exit_code == 1
    failed = {}
    for line in result.stderr.splitlines():
        path, _, why = line.removeprefix("Error: ").partition(": ")
        failed[str(Path(path).relative_to(root))] = why
    assert set(failed) == set(NOT_IMPORTABLE), failed
    for name, why in NOT_IMPORTABLE.items():
        assert failed[name].startswith(why), (name, failed[name])
    [(args,)] = rows(db, "select args from crawls")
    files = json.loads(args)["files"]
    assert len(files) == sum(1 for p in root.rglob("*") if p.is_file()) - len(NOT_IMPORTABLE)
    # Each item page of HN and each story page of Lobsters is a thread.
    item_ids = {f.name.split("-")[1].removesuffix(".html") for f in corpus_dir("hn").iterdir()
                if f.name.startswith("item-")}
    assert {i for (i,) in rows(db, "select id from stories where site = 'hn' and"
                                   " archived_count > 0 or id = '1'")} >= item_ids
    assert rows(db, "select count(distinct id) from stories where site = 'lobsters' and "
                    "id in ('tdfoqh', 'd9ucpe', 'donlgu')") == [(3,)]
    assert rows(db, "select count(*) from comments where story_id = '3412900'") == [(224,)]
    # Four front pages (three HTML, one JSON) and a page 2, each of 25 stories; given one
    # --fetched-at, the front pages are one moment's snapshot, 25 rows.
    assert rows(db, "select listing, page, count(*) from listing_snapshots where site ="
                    " 'lobsters' and listing not like 'search%' group by 1, 2") == [
        ("hottest", 1, 25), ("hottest", 2, 25), ("t/meta", 1, 25),
        ("t/programming,rust", 1, 25)]


def test_the_corpus_three_page_thread_is_joined(tmp_path: Path) -> None:
    folder = tmp_path / "news.ycombinator.com"
    folder.mkdir()
    for name, path in HN_MIRROR.items():
        (folder / path).symlink_to(corpus_file("hn", name))
    db = tmp_path / "a.db"

    result = run_import(folder, "--fetched-at", FETCHED, "--db", db)

    assert result.exit_code == 0, result.stderr
    at = datetime.fromisoformat(FETCHED)
    truth = assemble_thread([
        hn.parse_item_page(corpus_file("hn", name).read_text(encoding="utf-8"),
                           url=f"https://news.ycombinator.com/{path}", fetched_at=at,
                           story_id="3412900")
        for name, path in HN_MIRROR.items()])
    assert len(truth.comments) == 224
    assert comment_rows(db, "3412900") == sorted(
        ((c.id, c.parent_id, c.depth, c.position, c.author, c.text) for c in truth.comments),
        key=lambda r: int(r[0]))
    assert rows(db, "select count(*) from pages where error is null") == [(3,)]


def test_a_lobsters_corpus_story_imports_as_its_parser_reads_it(tmp_path: Path) -> None:
    source = corpus_file("lobsters", "story-tdfoqh-2026-07.html")
    db = tmp_path / "a.db"

    result = run_import(source, "--db", db)

    assert result.exit_code == 0, result.stderr
    page = parse_story(source.read_text(encoding="utf-8"), url="https://lobste.rs/s/tdfoqh",
                       fetched_at=datetime.now(UTC))
    assert rows(db, "select id, parent_id, author from comments order by id") == sorted(
        (c.id, c.parent_id, c.author) for c in page.thread.comments)
    [(args,)] = rows(db, "select args from crawls")
    [seen] = json.loads(args)["files"]
    assert seen["fetched_at_source"] == "page"  # data-now-unix
