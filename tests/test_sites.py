"""The site registry (archive.sites): each site's grammar, its URL forms, its politeness
facts, the archive's copy of it (the sites table the views read), and that nothing
outside the site modules names a site's host."""

from __future__ import annotations

import ast
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from archive import schedule, site_table, sites
from archive.db import open_db
from archive.errors import ArchiveError
from archive.sites import HN, LOBSTERS, Target
from archive.store import save_thread
from archive.views import THREAD_COMMENTS
from tests.test_store import make_comment, make_story, make_thread

BASE = "http://127.0.0.1:8123"  # a test's stand-in, as LINKTHREAD_LOBSTERS_BASE_URL names it
ROOT = Path(__file__).resolve().parent.parent


def read(site: sites.Site, word: str) -> Target | None:
    """What a grammar makes of one word: the target, or None when it refuses it with
    one line that quotes the word."""
    try:
        return site.parse_target(word, base_url=BASE)
    except ValueError as e:
        assert isinstance(e, ArchiveError)  # the CLI's one-line errors
        quoted = word.strip().removeprefix("user ")  # "user NAME": the name is quoted
        assert "\n" not in str(e) and repr(quoted) in str(e), str(e)
        return None


def thread(story_id: str) -> Target:
    return Target("lobsters", "thread", story_id)


LOBSTERS_WORDS = [
    ("ktew3s", thread("ktew3s")),
    ("  ktew3s ", thread("ktew3s")),
    ("https://lobste.rs/s/ktew3s/slug", thread("ktew3s")),
    ("https://lobste.rs/s/ktew3s/slug/", thread("ktew3s")),
    ("https://lobste.rs/s/ktew3s", thread("ktew3s")),
    ("http://www.lobste.rs/s/ktew3s/slug", thread("ktew3s")),
    ("lobste.rs/s/ktew3s/slug", thread("ktew3s")),  # as an address bar shows it
    ("https://lobste.rs/s/ktew3s.json", thread("ktew3s")),
    ("https://lobste.rs/s/ktew3s/slug#c_abc123", thread("ktew3s")),  # a comment: its thread
    (f"{BASE}/s/ktew3s/slug", thread("ktew3s")),  # the stand-in's host
    ("https://lobste.rs/c/abc123", Target("lobsters", "comment", "abc123")),
    ("lobste.rs/c/abc123/", Target("lobsters", "comment", "abc123")),
    (f"{BASE}/c/abc123", Target("lobsters", "comment", "abc123")),
    ("hottest", Target("lobsters", "listing", "hottest")),
    ("newest", Target("lobsters", "listing", "newest")),  # 6 letters, yet a listing
    ("active", Target("lobsters", "listing", "active")),
    ("t/rust", Target("lobsters", "listing", "t/rust")),
    ("t/rust,go", Target("lobsters", "listing", "t/rust,go")),
    ("t/rust,rust", Target("lobsters", "listing", "t/rust")),
    ("t/c++", Target("lobsters", "listing", "t/c++")),
    ("user pushcx", Target("lobsters", "user", "pushcx")),
    ("user ~pushcx", Target("lobsters", "user", "pushcx")),
    # refused
    ("abc", None),  # too short for a short id
    ("ktew3sx", None),
    ("KTEW3S", None),
    ("https://example.com/s/ktew3s/slug", None),
    ("https://lobste.rs.example.com/s/ktew3s", None),
    ("https://lobste.rs@example.com/s/ktew3s", None),
    ("ftp://lobste.rs/s/ktew3s", None),
    ("https://lobste.rs/s/ktew3s#comments", None),
    ("https://lobste.rs/x/s/ktew3s", None),
    ("https://lobste.rs/c/abc", None),
    ("https://lobste.rs/~pushcx", None),  # a user is "user NAME"
    ("t/", None),
    ("t/Rust", None),
    ("t/rust,", None),
    ("t/a b", None),
    ("front", None),  # HN's, not Lobsters'
    ("user bad/name", None),
    ("", None),
]


@pytest.mark.parametrize("word, want", LOBSTERS_WORDS)
def test_lobsters_grammar(word: str, want: Target | None) -> None:
    assert read(LOBSTERS, word) == want


def hn(kind: str, target: str) -> Target:
    return Target("hn", kind, target)


HN_WORDS = [
    ("46621892", hn("thread", "46621892")),
    ("https://news.ycombinator.com/item?id=5", hn("thread", "5")),
    ("news.ycombinator.com/item?id=5", hn("thread", "5")),
    (f"{BASE}/item?id=77", hn("thread", "77")),
    ("front", hn("listing", "front")),
    ("news", hn("listing", "front")),
    ("front?day=2024-02-29", hn("listing", "front?day=2024-02-29")),
    ("user pg", hn("user", "pg")),
    ("front?day=2025-02-29", None),
    ("hottest", None),  # Lobsters', not HN's
    ("https://lobste.rs/s/ktew3s", None),
    ("ktew3s", None),
    ("user x", None),
]


@pytest.mark.parametrize("word, want", HN_WORDS)
def test_hn_grammar(word: str, want: Target | None) -> None:
    assert read(HN, word) == want


def test_parse_targets_reads_user_pairs_and_keeps_each_target_once() -> None:
    words = ["user", "pushcx", "t/rust", "https://lobste.rs/s/ktew3s/x", "ktew3s", "t/rust"]
    assert sites.parse_targets("lobsters", words) == [
        Target("lobsters", "user", "pushcx"), Target("lobsters", "listing", "t/rust"),
        thread("ktew3s")]  # fmt: skip
    with pytest.raises(ArchiveError, match=r"^'user' needs a user name after it$"):
        sites.parse_targets("lobsters", ["user"])
    with pytest.raises(ArchiveError, match=r"^name a target"):
        sites.parse_targets("hn", [])


def test_an_unknown_site_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError,
                       match=r"^unknown site 'digg' \(known: hn, lobsters, reddit\)$"):
        sites.get("digg")
    with pytest.raises(ArchiveError, match="unknown site 'digg'"):
        sites.parse_targets("digg", ["1"])
    assert sites.get("lobsters") is LOBSTERS
    assert list(sites.SITES) == ["hn", "lobsters", "reddit"]


def test_the_base_url_host_comes_from_the_sites_own_setting(
        monkeypatch: pytest.MonkeyPatch) -> None:
    url = "http://10.1.2.3:8080/s/ktew3s/slug"
    monkeypatch.delenv("LINKTHREAD_LOBSTERS_BASE_URL", raising=False)
    monkeypatch.setenv("LINKTHREAD_HN_BASE_URL", "http://10.1.2.3:8080")  # HN's, not ours
    with pytest.raises(ArchiveError):
        LOBSTERS.parse_target(url)
    monkeypatch.setenv("LINKTHREAD_LOBSTERS_BASE_URL", "http://10.1.2.3:8080")
    assert LOBSTERS.parse_target(url) == thread("ktew3s")


def test_a_base_url_with_a_path_takes_urls_below_it_only() -> None:
    base = "http://127.0.0.1:9000/lobsters"
    assert LOBSTERS.parse_target(f"{base}/s/ktew3s", base_url=base) == thread("ktew3s")
    with pytest.raises(ArchiveError):
        LOBSTERS.parse_target("http://127.0.0.1:9000/s/ktew3s", base_url=base)


# -- URL forms ---------------------------------------------------------------------


@pytest.mark.parametrize("site, story, comment", [(HN, "8863", "8864"),
                                                  (LOBSTERS, "ktew3s", "abc123")])
@pytest.mark.parametrize("base", [None, BASE])
def test_url_forms_round_trip_through_the_grammar(site: sites.Site, story: str, comment: str,
                                                  base: str | None) -> None:
    assert site.parse_target(site.item_url(story, base_url=base), base_url=BASE) == \
        Target(site.name, "thread", story)
    # A comment's URL: HN's is the comment's own item; Lobsters' names its story.
    got = site.parse_target(site.comment_url(story, comment, base_url=base), base_url=BASE)
    assert got == Target(site.name, "thread", comment if site is HN else story)
    assert site.parse_target(f"user {site.user_name('some_one')}") == \
        Target(site.name, "user", "some_one")
    for name in site.listings:
        url = site.listing_url(name, base_url=base)
        assert url.startswith(base or site.base_url)


def test_lobsters_urls_are_the_sites_own_paths() -> None:
    assert LOBSTERS.item_url("ktew3s", json=True) == "https://lobste.rs/s/ktew3s.json"
    assert LOBSTERS.comment_url("ktew3s", "abc123") == "https://lobste.rs/s/ktew3s#c_abc123"
    assert LOBSTERS.user_url("pushcx", json=True) == "https://lobste.rs/~pushcx.json"
    assert LOBSTERS.listing_url("hottest", json=True) == "https://lobste.rs/hottest.json"
    assert LOBSTERS.listing_url("hottest", 3) == "https://lobste.rs/page/3"
    assert LOBSTERS.listing_url("newest", 2, json=True, base_url=BASE) == \
        f"{BASE}/newest/page/2.json"
    assert LOBSTERS.listing_url("t/rust,go", json=True) == "https://lobste.rs/t/rust,go.json"
    assert LOBSTERS.listing_url("t/meta", 2) == "https://lobste.rs/t/meta/page/2"


def test_hn_urls_are_todays() -> None:
    assert HN.item_url("8863") == "https://news.ycombinator.com/item?id=8863"
    assert HN.comment_url("8863", "8870") == "https://news.ycombinator.com/item?id=8870"
    assert HN.user_url("pg", base_url=BASE + "/") == f"{BASE}/user?id=pg"
    assert HN.listing_url("front") == "https://news.ycombinator.com/news"
    assert HN.listing_url("front", 2) == "https://news.ycombinator.com/news?p=2"
    assert HN.listing_url("front?day=2026-01-14", 2) == \
        "https://news.ycombinator.com/front?day=2026-01-14&p=2"
    assert HN.listing_path("front") == "news" and HN.snapshot_name("front?day=D") == "front/D"
    with pytest.raises(ValueError, match="no JSON form"):
        HN.item_url("1", json=True)


# -- politeness --------------------------------------------------------------------


def test_politeness_facts_keep_within_the_published_limits() -> None:
    lob = LOBSTERS.politeness
    assert lob.robots_forbids and not HN.politeness.robots_forbids
    assert lob.crawl_delay == 1.0  # what robots.txt asks...
    assert lob.delay_for("thread") == 9.0  # ...but 400 an hour is one per 9 s
    assert lob.delay_for("user") == 10.0  # user pages: 30 per 5 minutes
    assert HN.politeness.delay_for("thread") == 30.0
    assert sites.known_crawl_delays() == {
        "news.ycombinator.com": 30.0, "lobste.rs": 1.0, "www.lobste.rs": 1.0,
        **dict.fromkeys(sites.REDDIT.hosts, 0.6)}


def test_scrapy_settings_read_the_registry() -> None:
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("scraper.settings", priority="project")
    # Each site's setting exists (its value is the environment's, in a test a stand-in).
    assert [n for s in sites.SITES.values() if not settings.get(n := s.base_url_setting)] == []
    assert settings.getdict("LINKTHREAD_KNOWN_CRAWL_DELAYS") == sites.known_crawl_delays()


# -- who reads it ------------------------------------------------------------------


def test_crawl_reads_targets_with_the_sites_grammar() -> None:
    from scraper.cli import spider_targets

    assert spider_targets("hn", ("news.ycombinator.com/item?id=5", "front", "user", "pg")) == {
        "items": "5", "listings": "news", "users": "pg"}
    assert spider_targets("lobsters", (
        "https://lobste.rs/s/ktew3s/x", "https://lobste.rs/c/abc123", "t/rust,go", "hottest",
        "user", "pushcx")) == {
        "items": "ktew3s", "listings": "t/rust,go,hottest", "users": "pushcx",
        "comments": "abc123"}  # fmt: skip
    with pytest.raises(ValueError, match="not a Lobsters listing"):
        spider_targets("lobsters", ("t/Bad",))


def test_a_watch_of_a_comment_url_without_its_story_is_refused() -> None:
    with pytest.raises(ArchiveError, match=r"^'abc123' names a comment, not its story"):
        schedule.parse_targets("lobsters", ["https://lobste.rs/c/abc123"])
    assert schedule.parse_targets("lobsters", ["https://lobste.rs/s/ktew3s/x#c_abc123"]) == [
        ("thread", "ktew3s")]


def test_show_reads_the_id_with_the_sites_grammar() -> None:
    from archive.cli import item_id

    assert item_id("https://lobste.rs/s/ktew3s/x#c_abc123", "lobsters") == "ktew3s"
    assert item_id("news.ycombinator.com/item?id=5", "hn") == "5"
    with pytest.raises(ArchiveError, match="cannot read a thread id from URL"):
        item_id("https://lobste.rs/s/ktew3s/x", "hn")  # another site's URL
    assert item_id("odd-id", "elsewhere") == "odd-id"  # the archive says what it holds


# Modules that may name a site: the registry and each site's own spider, parsers and
# importer (how its saved pages are recognised).
SITE_MODULES = ("archive/sites", "scraper/spiders/hn.py", "scraper/spiders/lobsters",
                "scraper/spiders/reddit", "scraper/parsers/hn", "scraper/parsers/lobsters",
                "scraper/parsers/reddit", "scraper/importers/hn", "scraper/importers/lobsters",
                "scraper/importers/reddit")


def _named(path: Path) -> list[str]:
    """Each string in the code of ``path`` (docstrings aside: an example may show a real
    URL) that names a registered site or holds one of their hosts."""
    tree = ast.parse(path.read_text("utf-8"))
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and n.body and isinstance(n.body[0], ast.Expr)}  # fmt: skip
    hosts = [h for s in sites.SITES.values() for h in s.hosts]
    return [f"{path.relative_to(ROOT)}:{n.lineno}: {n.value!r}" for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs
            and (n.value in sites.SITES or any(h in n.value for h in hosts))]  # fmt: skip


def test_no_module_outside_the_site_modules_names_a_site() -> None:
    sources = [p for p in sorted((ROOT / "archive").rglob("*.py")) +
               sorted((ROOT / "scraper").rglob("*.py"))
               if not str(p.relative_to(ROOT)).startswith(SITE_MODULES)]  # fmt: skip
    assert len(sources) > 40  # the tree was found
    assert [hit for p in sources for hit in _named(p)] == []
    metadata = (ROOT / "archive/datasette/metadata.json").read_text("utf-8")
    assert not [h for s in sites.SITES.values() for h in s.hosts if h in metadata]
    assert "'hn'" not in metadata


def test_the_host_check_finds_a_host() -> None:
    # The check above would pass on a tree it could not read: make it find one.
    assert _named(ROOT / "archive/sites_hn.py")


# -- the sites table (migration 0007) --------------------------------------------------


def _url(row: dict[str, str | None], story: str, comment: str | None) -> str:
    if comment is None:
        return f"{row['story_prefix']}{story}{row['story_suffix']}"
    between = "" if row["comment_between"] is None else f"{story}{row['comment_between']}"
    return f"{row['comment_prefix']}{between}{comment}{row['comment_suffix']}"


@pytest.mark.parametrize("site", list(sites.SITES.values()), ids=list(sites.SITES))
@pytest.mark.parametrize("story, comment", [("8863", "8864"), ("ktew3s", "abc123"),
                                            ("{story}", "%s|{comment}\x00")])
def test_the_table_rows_rebuild_the_registrys_urls(site: sites.Site, story: str,
                                                   comment: str) -> None:
    row = site_table.url_pieces(site)
    assert _url(row, story, None) == site.item_url(story)
    assert _url(row, story, comment) == site.comment_url(story, comment)


def test_views_link_comments_of_every_site(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    save_thread(db, make_thread((make_comment("1"),), story=make_story()))
    base = replace(make_comment("1"), site="lobsters", story_id="ktew3s")
    lob = make_thread((replace(base, id="abc123"),
                       replace(base, id="zzz999", parent_id="abc123", depth=1,
                               synthetic_id=True)),
                      story=make_story(site="lobsters", id="ktew3s"))
    save_thread(db, lob)
    got = db.conn.execute("SELECT site, id, item_url FROM thread_comments ORDER BY site, id"
                          ).fetchall()
    assert got == [
        ("hn", "1", "https://news.ycombinator.com/item?id=1"),
        ("lobsters", "abc123", "https://lobste.rs/s/ktew3s#c_abc123"),
        ("lobsters", "zzz999", "https://lobste.rs/s/ktew3s")]  # synthetic: its thread
    recent = db.conn.execute("SELECT site, id, item_url FROM recent_comments ORDER BY site, id"
                             ).fetchall()
    assert recent == got


def test_sync_brings_the_table_back_to_the_registry_and_writes_nothing_when_it_agrees(
        tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    open_db(path).close()
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM sites WHERE name = 'lobsters'")
    conn.execute("UPDATE sites SET story_prefix = 'x' WHERE name = 'hn'")
    conn.execute("INSERT INTO sites VALUES ('gone', 'Gone', 'g', 'g', '', 'g', NULL, '')")
    conn.commit()
    conn.close()
    db = open_db(path)  # an open syncs
    rows = db.conn.execute("SELECT name, story_prefix FROM sites ORDER BY name").fetchall()
    assert rows == [("gone", "g"), ("hn", "https://news.ycombinator.com/item?id="),
                    ("lobsters", "https://lobste.rs/s/"),
                    ("reddit", "https://www.reddit.com/comments/")]  # a site gone stays
    before = db.conn.total_changes
    site_table.sync(db.conn)
    assert db.conn.total_changes == before


def test_0004s_views_are_as_released() -> None:
    # Migrations are frozen: 0004's view still links HN only, as it did when released
    # (0007 replaced it in every archive that migrates).
    assert ("CASE WHEN c.site = 'hn' THEN 'https://news.ycombinator.com/item?id=' ||"
            " CASE WHEN c.synthetic_id THEN c.story_id ELSE c.id END END AS item_url"
            ) in THREAD_COMMENTS


def test_datasette_metadata_names_the_registrys_sites() -> None:
    from archive.cli_datasette import packaged_metadata

    tables = packaged_metadata()["databases"]["linkthread"]["tables"]
    assert tables["comments"]["columns"]["site"] == \
        "hn (Hacker News), lobsters (Lobsters), reddit (Reddit)"
    assert "sites" in tables
