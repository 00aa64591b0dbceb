"""`linkthread import`: saved pages through the crawl's parsers and save_*(), checked row
by row. Generated pages always run; the corpus cases skip when the corpus is absent."""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner, Result

from archive.cli import cli
from archive.db import open_db
from archive.store import save_thread
from scraper import cli as _registers_commands  # noqa: F401
from scraper.parsers import hn
from tests import hnpages, lobsterspages
from tests.conftest import rows

FETCHED = "2026-01-14T12:00:00+00:00"
# Every table an import writes besides the log of imports itself (crawls, crawl_targets).
DATA_TABLES = ("stories", "comments", "comment_versions", "story_snapshots", "thread_crawls",
               "listing_snapshots", "users", "user_snapshots", "pages")


def run_import(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, ["import", *map(str, args)])


def dump(db: Path) -> dict[str, list[tuple]]:
    """Every row of every data table, in a fixed order, but for the columns that point
    at the last crawl that saw a row (an import again is such a crawl)."""
    out = {}
    with sqlite3.connect(db) as conn:
        for table in DATA_TABLES:
            columns = [c for (_, c, *_) in conn.execute(f"pragma table_info({table})")
                       if c not in ("crawl_id", "last_crawl_id")]
            out[table] = sorted(conn.execute(f"select {', '.join(columns)} from {table}"
                                             ).fetchall(), key=repr)
    return out


def whole_rows(db: Path, table: str, *leave_out: str) -> list[tuple]:
    """Every row of ``table`` but the columns that name a crawl, ordered by its key."""
    with sqlite3.connect(db) as conn:
        columns = [c for (_, c, *_) in conn.execute(f"pragma table_info({table})")
                   if c not in leave_out]
        return conn.execute(f"select {', '.join(columns)} from {table} order by site, id"
                            ).fetchall()


def write(path: Path, text: str | bytes, mtime: float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def comment_rows(db: Path, story_id: str) -> list[tuple]:
    return rows(db, "select id, parent_id, depth, position, author, text from comments "
                    "where story_id = ? order by cast(id as integer), id", story_id)


def expected(thread: hnpages.GenThread) -> list[tuple]:
    siblings: dict[str | None, int] = {}
    out = []
    for c in thread.comments:
        position = siblings.get(c.parent_id, 0)
        siblings[c.parent_id] = position + 1
        out.append((c.id, c.parent_id, c.depth, position, c.author))
    return sorted(out, key=lambda r: int(r[0]))


# -- HN, generated pages -------------------------------------------------------------


def test_a_saved_hn_thread_imports_as_a_crawl_stores_it(tmp_path: Path) -> None:
    thread = hnpages.random_thread(40, seed=5, story_id="5000")
    [html] = hnpages.site_pages(thread).values()
    page = write(tmp_path / "saved" / "A thread | Hacker News.html", html)
    db = tmp_path / "a.db"

    result = run_import(page, "--fetched-at", FETCHED, "--db", db)

    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("imported 1 thread(s), 40 comments, from 1 file(s)")
    assert [r[:5] for r in comment_rows(db, "5000")] == expected(thread)
    # The same records a crawl stores: parse the page and save it into another archive.
    direct = tmp_path / "direct.db"
    other = open_db(direct)
    at = datetime.fromisoformat(FETCHED)
    save_thread(other, hn.parse_thread(html, url="https://news.ycombinator.com/item?id=5000",
                                       fetched_at=at), crawl_id=None)
    other.close()
    # The same rows but for the crawl they point at and their source, which says
    # how each was observed.
    assert whole_rows(db, "comments", "last_crawl_id", "source") == \
        whole_rows(direct, "comments", "last_crawl_id", "source")
    assert whole_rows(db, "stories", "last_crawl_id", "source") == \
        whole_rows(direct, "stories", "last_crawl_id", "source")
    assert rows(db, "select distinct source from comments") == [("import",)]
    assert rows(direct, "select distinct source from comments") == [("html",)]
    assert rows(db, "select url, error, body is not null from pages") == [
        ("https://news.ycombinator.com/item?id=5000", None, 1)]
    assert rows(db, "select command, status from crawls") == [("import", "finished")]
    [(args,)] = rows(db, "select args from crawls")
    assert json.loads(args)["files"] == [{
        "path": str(page), "site": "hn", "kind": "thread",
        "url": "https://news.ycombinator.com/item?id=5000",
        "fetched_at": "2026-01-14T12:00:00+00:00", "fetched_at_source": "option"}]


def test_a_multi_page_hn_thread_saved_as_files_is_joined(tmp_path: Path) -> None:
    thread = hnpages.random_thread(70, seed=8, story_id="7000", max_depth=5)
    pages = hnpages.site_pages(thread, per_page=25)
    assert len(pages) == 3
    folder = tmp_path / "saved"
    for k, (path, html) in enumerate(reversed(pages.items())):
        # A mirror's names are the page URLs; every page but the last also says its
        # number through its More link, so those two may have any name.
        name = f"news.ycombinator.com{path}" if path.endswith("p=3") else f"page {k}.html"
        write(folder / name, html)
    db = tmp_path / "a.db"

    result = run_import(folder, "--fetched-at", FETCHED, "--db", db)

    assert result.exit_code == 0, result.stderr
    assert [r[:5] for r in comment_rows(db, "7000")] == expected(thread)
    assert rows(db, "select url from pages order by url") == [
        ("https://news.ycombinator.com/item?id=7000",),
        ("https://news.ycombinator.com/item?id=7000&p=2",),
        ("https://news.ycombinator.com/item?id=7000&p=3",)]


def test_old_continuation_pages_take_their_story_from_the_link_that_leads_to_them(
        tmp_path: Path) -> None:
    thread = hnpages.random_thread(50, seed=9, story_id="3000", max_depth=4)
    pages = hnpages.site_pages(thread, era="old", per_page=20)
    for path, html in pages.items():
        write(tmp_path / "m" / f"news.ycombinator.com{path}", html)
    db = tmp_path / "a.db"

    result = run_import(tmp_path / "m", "--fetched-at", FETCHED, "--db", db)

    assert result.exit_code == 0, result.stderr
    assert [r[:5] for r in comment_rows(db, "3000")] == expected(thread)


def test_a_thread_missing_a_page_is_one_line_and_kept_raw_not_stored(tmp_path: Path) -> None:
    thread = hnpages.random_thread(70, seed=8, story_id="7000", max_depth=5)
    first, _, last = hnpages.site_pages(thread, per_page=25).values()
    write(tmp_path / "s" / "one.html", first)
    write(tmp_path / "s" / "news.ycombinator.com" / "item?id=7000&p=3", last)
    db = tmp_path / "a.db"

    result = run_import(tmp_path / "s", "--fetched-at", FETCHED, "--db", db)

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: hn item 7000: page 2 (https://news.ycombinator.com/item?id=7000&p=2) is not "
        "among the files; the thread is not stored whole (its pages are kept raw) "
        f"[{tmp_path / 's' / 'one.html'}, "
        f"{tmp_path / 's' / 'news.ycombinator.com' / 'item?id=7000&p=3'}]"]
    assert rows(db, "select count(*) from comments") == [(0,)]
    assert rows(db, "select count(*) from stories") == [(0,)]
    # Both pages are kept raw, failed: the one chained and the one it never reached.
    assert rows(db, "select story_id, error is not null from pages") == [("7000", 1)] * 2
    assert rows(db, "select kind, target, state from crawl_targets") == [
        ("thread", "7000", "failed")]


def test_a_last_page_that_shows_no_number_is_never_guessed_into_a_gap(tmp_path: Path) -> None:
    thread = hnpages.random_thread(70, seed=8, story_id="7000", max_depth=5)
    first, _, last = hnpages.site_pages(thread, per_page=25).values()
    write(tmp_path / "s" / "one.html", first)
    write(tmp_path / "s" / "two.html", last)  # page 3, saved under a name that says nothing
    db = tmp_path / "a.db"

    result = run_import(tmp_path / "s", "--fetched-at", FETCHED, "--db", db)

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: hn item 7000: page 2 (https://news.ycombinator.com/item?id=7000&p=2) is not "
        f"among the files by its URL, and {tmp_path / 's' / 'two.html'} show(s) no page "
        "number; name the files by their URLs (as a mirror does) or import each with --url "
        f"[{tmp_path / 's' / 'one.html'}, {tmp_path / 's' / 'two.html'}]"]
    assert rows(db, "select count(*) from comments") == [(0,)]
    assert rows(db, "select count(*) from pages where error is not null") == [(2,)]


def test_listing_and_profile_pages_import(tmp_path: Path) -> None:
    stories = [hnpages.GenStory(id=str(100 + k), title=f"Story {k}", score=k + 1, comments=k)
               for k in range(30)]
    write(tmp_path / "s" / "front.html", hnpages.listing_page(stories, next_href="news?p=2"))
    write(tmp_path / "s" / "page2.html", hnpages.listing_page(stories[:5], first_rank=31))
    write(tmp_path / "s" / "pg.html", hnpages.user_page("pg", karma=157000, about="Hi"))
    db = tmp_path / "a.db"

    result = run_import(tmp_path / "s", "--fetched-at", FETCHED, "--db", db)

    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1:] == [
        "hn news page 1: 30 entries", "hn news page 2: 5 entries", "hn user pg: profile stored"]
    # Page 2 says it is page 2 by its first rank, "31.".
    assert rows(db, "select listing, page, min(rank), count(*) from listing_snapshots"
                    " group by 1, 2") == [("news", 1, 1, 30), ("news", 2, 31, 5)]
    assert rows(db, "select id, karma from users") == [("pg", 157000)]
    assert rows(db, "select url from pages order by url") == [
        ("https://news.ycombinator.com/news",), ("https://news.ycombinator.com/news?p=2",),
        ("https://news.ycombinator.com/user?id=pg",)]


# -- Lobsters, generated pages -------------------------------------------------------


def test_lobsters_json_and_html_import_with_their_times(tmp_path: Path) -> None:
    nodes = [lobsterspages.Node(id="aaa", children=[lobsterspages.Node(id="bbb", user="bob")]),
             lobsterspages.Node(id="ccc", user="cy", score=7)]
    mtime = datetime(2026, 7, 2, tzinfo=UTC).timestamp()
    write(tmp_path / "s" / "story.json", lobsterspages.story_json(nodes), mtime)
    other = [lobsterspages.Node(id="ddd", children=[lobsterspages.Node(id="eee")])]
    write(tmp_path / "s" / "story.html", lobsterspages.story_html(other, sid="def456"), mtime)
    db = tmp_path / "a.db"

    result = run_import(tmp_path / "s", "--db", db)

    assert result.exit_code == 0, result.stderr
    assert rows(db, "select story_id, id, parent_id from comments order by story_id, id") == [
        ("abc123", "aaa", None), ("abc123", "bbb", "aaa"), ("abc123", "ccc", None),
        ("def456", "ddd", None), ("def456", "eee", "ddd")]
    [(args,)] = rows(db, "select args from crawls")
    seen = {(f["url"], f["fetched_at"], f["fetched_at_source"])
            for f in json.loads(args)["files"]}
    assert seen == {
        ("https://lobste.rs/s/abc123.json", "2026-07-02T00:00:00+00:00", "mtime"),
        ("https://lobste.rs/s/def456",
         datetime.fromtimestamp(lobsterspages.NOW, UTC).isoformat(), "page")}


def test_stories_merged_into_a_lobsters_thread_are_recorded(tmp_path: Path) -> None:
    nodes = [lobsterspages.Node(id="aaa"),
             lobsterspages.Node(id="ggg", text="On the merged story", merged_from="old111")]
    html = lobsterspages.story_html(
        nodes, merged=lobsterspages.merged_details("old111", "Old story", "bob"))
    write(tmp_path / "s" / "story.html", html)
    # A JSON saved from the merged story's URL: the site answered with the story it went into.
    write(tmp_path / "s" / "lobste.rs" / "s" / "old222.json", lobsterspages.story_json(nodes))
    db = tmp_path / "a.db"

    result = run_import(tmp_path / "s", "--db", db)

    assert result.exit_code == 0, result.stderr
    assert rows(db, "select id, title, author, merged_into from stories order by id") == [
        ("abc123", "A story", "sub", None), ("old111", "Old story", "bob", "abc123"),
        ("old222", None, None, "abc123")]
    assert rows(db, "select id, story_id from comments order by id") == [
        ("aaa", "abc123"), ("ggg", "abc123")]


def test_a_lobsters_listing_needs_its_url(tmp_path: Path) -> None:
    listing = json.dumps([json.loads(lobsterspages.story_json([]))])
    path = write(tmp_path / "hottest.json", listing)
    db = tmp_path / "a.db"

    result = run_import(path, "--db", db)

    assert result.exit_code == 1
    assert result.stderr == (f"Error: {path}: Lobsters listing page: a Lobsters listing does "
                             "not say which listing it is (hottest, newest, t/TAG, ...): give "
                             "--url, or import it under its mirror name (lobste.rs/hottest.json)"
                             "\n")


# -- errors, and importing twice -----------------------------------------------------


def test_a_folder_with_broken_files_imports_the_rest_and_exits_1(tmp_path: Path) -> None:
    thread = hnpages.random_thread(12, seed=2, story_id="4000")
    [html] = hnpages.site_pages(thread).values()
    folder = tmp_path / "saved"
    write(folder / "good.html", html)
    write(folder / "cut.html", html[: len(html) // 2])
    write(folder / "throttled.html", hnpages.THROTTLE_PAGE)
    write(folder / "image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    write(folder / "empty.html", "")
    write(folder / "notes.txt", "my reading list")
    write(folder / "latin1.html", "<html><body>caf\xe9</body></html>".encode("latin-1"))
    db = tmp_path / "a.db"

    result = run_import(folder, "--fetched-at", FETCHED, "--db", db)

    assert result.exit_code == 1
    assert sorted(result.stderr.splitlines()) == sorted([
        f"Error: {folder / 'cut.html'}: the body stops before </html>: truncated page",
        f"Error: {folder / 'empty.html'}: the file is empty",
        f"Error: {folder / 'image.png'}: a binary file, not a saved page",
        f"Error: {folder / 'latin1.html'}: not UTF-8 text (byte 15) and no charset it "
        "declares decodes it",
        f"Error: {folder / 'notes.txt'}: not a page of a site linkthread knows "
        "(hn, lobsters, reddit)",
        f"Error: {folder / 'throttled.html'}: HN says it cannot serve requests this quickly",
    ])
    assert [r[:5] for r in comment_rows(db, "4000")] == expected(thread)
    assert rows(db, "select status, errors from crawls") == [("finished", 6)]


def test_a_missing_path_and_a_bad_time_are_one_line(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    missing = run_import(tmp_path / "nothing.html", "--db", db)
    assert missing.exit_code == 1
    assert missing.stderr == f"Error: {tmp_path / 'nothing.html'}: no such file\n"
    bad = run_import(tmp_path, "--fetched-at", "yesterday", "--db", db)
    assert bad.exit_code == 2 and "'yesterday' is not an ISO 8601 time" in bad.stderr
    thread = hnpages.random_thread(3, seed=1, story_id="900")
    [html] = hnpages.site_pages(thread).values()
    page = write(tmp_path / "hn.html", html)
    other = run_import(page, "--site", "lobsters", "--db", db)
    assert other.exit_code == 1
    assert other.stderr == f"Error: {page}: not a page of a site linkthread knows (lobsters)\n"
    write(tmp_path / "x" / "a.html", "a")
    write(tmp_path / "x" / "b.html", "b")
    two = run_import(tmp_path / "x", "--url", "https://lobste.rs/", "--db", db)
    assert two.exit_code == 2 and "--url names one page, but 2 files were given" in two.stderr


def test_importing_the_same_files_twice_adds_nothing(tmp_path: Path) -> None:
    thread = hnpages.random_thread(60, seed=4, story_id="6000", max_depth=5)
    folder = tmp_path / "saved"
    for k, (path, html) in enumerate(hnpages.site_pages(thread, per_page=25).items()):
        write(folder / f"p{k}.html" if k < 2 else folder / f"news.ycombinator.com{path}", html,
              mtime=1768392000 + k)
    nodes = [lobsterspages.Node(id="aaa", children=[lobsterspages.Node(id="bbb")])]
    write(folder / "story.html", lobsterspages.story_html(nodes))
    write(folder / "pg.html", hnpages.user_page("pg", karma=1, about="x"), mtime=1768392000)
    db = tmp_path / "a.db"

    first = run_import(folder, "--db", db)
    before = dump(db)
    second = run_import(folder, "--db", db)

    assert first.exit_code == second.exit_code == 0, (first.stderr, second.stderr)
    assert dump(db) == before
    assert len(before["comments"]) == 62 and len(before["pages"]) == 5
    assert rows(db, "select id, command, status from crawls") == [
        (1, "import", "finished"), (2, "import", "finished")]
