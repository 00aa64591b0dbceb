"""WARC out (`export --warc`) and in (`import FILE.warc.gz`): the kept pages as replay
tools read them, and a round trip that gives a new archive the same rows."""

from __future__ import annotations

import gzip
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from archive.cli import cli
from scraper import cli as _registers_commands  # noqa: F401
from tests import hnpages
from tests.conftest import rows

T0 = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)
# Every table whose rows a round trip must give back, and the columns that may differ:
# the crawl a row points at, and the source (a WARC record is observed as "warc").
TABLES = ("stories", "comments", "comment_versions", "story_snapshots", "thread_crawls",
          "listing_snapshots", "users", "user_snapshots", "pages")
DIFFER = {"crawl_id", "last_crawl_id", "source", "via", "id"}


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [*map(str, args)])


def warcio(*args: str | Path) -> subprocess.CompletedProcess[str]:
    tool = Path(sys.executable).with_name("warcio")
    return subprocess.run([str(tool), *map(str, args)], capture_output=True, text=True,
                          check=False)


def dump(db: Path, tables: tuple[str, ...] = TABLES,
         differ: set[str] = DIFFER) -> dict[str, list[tuple]]:
    """Every row of ``tables``, sorted, but for the ``differ`` columns."""
    out = {}
    with sqlite3.connect(db) as conn:
        for table in tables:
            columns = [c for (_, c, *_) in conn.execute(f"pragma table_info({table})")
                       if c not in differ]
            out[table] = sorted(conn.execute(f"select {', '.join(columns)} from {table}"
                                             ).fetchall(), key=repr)
    return out


def save_page(folder: Path, path: str, html: str) -> None:
    """As a mirror names it: the host a folder, the path and query the file's name."""
    target = folder / f"news.ycombinator.com{path}"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html)


def save_pages(folder: Path, pages: dict[str, str]) -> None:
    for path, html in pages.items():
        save_page(folder, path, html)


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """Three observations of a three-page thread (the second identical to the first,
    the third with an edit and a new comment), a listing and a profile."""
    db = tmp_path / "a.db"
    thread = hnpages.random_thread(60, seed=3, story_id="4000", max_depth=4)
    first = hnpages.site_pages(thread, per_page=25)
    save_pages(tmp_path / "t0", first)
    stories = [hnpages.GenStory(id=str(4000 + k), title=f"Story {k}", score=k + 1, comments=k)
               for k in range(5)]
    save_page(tmp_path / "t0", "/news", hnpages.listing_page(stories))
    save_page(tmp_path / "t0", "/user?id=alice", hnpages.user_page("alice", karma=10,
                                                                    about="Hello"))
    changed = hnpages.random_thread(61, seed=3, story_id="4000", max_depth=4)
    later = hnpages.site_pages(changed, per_page=25)
    save_pages(tmp_path / "t2", later)
    for folder, at in (("t0", T0), ("t0", T0 + timedelta(hours=1)),
                       ("t2", T0 + timedelta(hours=2))):
        result = invoke("import", tmp_path / folder, "--fetched-at", at.isoformat(),
                        "--db", db)
        assert result.exit_code == 0, result.output
    return db


def test_export_is_a_valid_warc_with_revisits(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "pages.warc.gz"

    result = invoke("export", "--warc", out, "--db", archive)

    assert result.exit_code == 0, result.output
    with sqlite3.connect(archive) as conn:
        [(pages, later)] = conn.execute(
            "select count(*), sum(fetch_count - 1) from pages_seen").fetchall()
    assert f"{pages} pages and {later} revisits written" in result.stderr
    check = warcio("check", "-v", out)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout and "fail" not in check.stdout
    index = warcio("index", "-f", "warc-type,warc-target-uri,warc-date", out)
    types = [line.split('"warc-type": "')[1].split('"')[0] for line in index.stdout.splitlines()]
    assert types.count("warcinfo") == 1
    assert types.count("response") == types.count("request") == pages
    assert types.count("revisit") == later > 0
    # What a replay tool needs to know: the bodies are decoded, not the wire's bytes.
    with gzip.open(out, "rt", errors="replace") as f:
        head = f.read(2000)
    assert "WARC/1.1" in head and "decoded" in head


def test_a_round_trip_gives_the_same_archive(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "pages.warc.gz"
    assert invoke("export", "--warc", out, "--db", archive).exit_code == 0
    again = tmp_path / "b.db"

    result = invoke("import", out, "--db", again)

    assert result.exit_code == 0, result.output
    assert dump(again) == dump(archive)
    assert rows(again, "select distinct source from comments") == [("warc",)]


def test_export_filters_by_site_thread_and_time(archive: Path, tmp_path: Path) -> None:
    one = tmp_path / "one.warc"
    assert invoke("export", "--warc", one, "hn", "4000", "--db", archive).exit_code == 0
    index = warcio("index", one).stdout
    assert "item?id=4000" in index and "com/news\"" not in index and "user?id" not in index
    late = tmp_path / "late.warc"
    result = invoke("export", "--warc", late, "--since", "2026-01-14T13:30:00Z",
                    "--db", archive)
    assert result.exit_code == 0, result.output
    assert "3 pages" in result.stderr  # the changed thread's pages alone
    assert invoke("export", "--warc", late, "--db", archive).exit_code == 1  # exists
    bad = invoke("export", "--warc", tmp_path / "x.warc", "--where", "1", "--db", archive)
    assert bad.exit_code == 1 and "--warc writes pages" in bad.stderr
    nosite = invoke("export", "--warc", tmp_path / "y.warc", "nosuch", "--db", archive)
    assert nosite.exit_code == 1 and "unknown site 'nosuch'" in nosite.stderr


def test_a_wacz_package_imports_like_its_warc(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "pages.warc.gz"
    assert invoke("export", "--warc", out, "--db", archive).exit_code == 0
    package = tmp_path / "crawl.wacz"
    with zipfile.ZipFile(package, "w") as z:
        z.write(out, "archive/data.warc.gz")
        z.writestr("datapackage.json", "{}")
    again = tmp_path / "c.db"

    assert invoke("import", package, "--db", again).exit_code == 0
    assert dump(again) == dump(archive)


def test_a_damaged_warc_is_one_line_and_keeps_what_came_before(archive: Path,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "pages.warc"
    assert invoke("export", "--warc", out, "--db", archive).exit_code == 0
    cut = tmp_path / "cut.warc"
    cut.write_bytes(out.read_bytes()[: out.stat().st_size // 2])
    again = tmp_path / "d.db"

    result = invoke("import", cut, "--db", again)

    assert "cut.warc" in result.output + result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert rows(again, "select count(*) > 0 from pages") == [(1,)]


@pytest.mark.skipif(shutil.which("wget") is None, reason="Debian's wget is not installed")
def test_a_warc_written_by_wget_imports(tmp_path: Path) -> None:
    from tests.server import SiteServer, serve

    thread = hnpages.random_thread(30, seed=11, story_id="9100", max_depth=3)
    [(path, html)] = hnpages.site_pages(thread).items()
    with serve(SiteServer(routes={path: html})) as site:
        done = subprocess.run(
            ["wget", "-q", "--warc-file", str(tmp_path / "w"), "--no-warc-keep-log",
             "-O", str(tmp_path / "page.html"), f"{site.base_url}{path}"],
            capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    db = tmp_path / "w.db"

    result = invoke("import", tmp_path / "w.warc.gz", "--db", db)

    assert result.exit_code == 0, result.output
    assert rows(db, "select count(*) from comments where story_id = '9100'") == [(30,)]
    assert rows(db, "select distinct source from comments") == [("warc",)]
