"""Read commands start without Scrapy, Twisted or the page parsers, and without the
libraries only some commands or paths use: sqlite-utils (the writers' library, which
brings numpy and pluggy where installed), asyncio and aiohttp (the API commands),
importlib.metadata (the version, for a crawl's user agent), tabulate (tables only).
bench/startup.py measures the time; this proves what is imported, which no load on the
machine changes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from archive.db import open_db
from archive.store import save_thread
from scraper.parsers import hn
from tests import hnpages
from tests.conftest import rows, run_linkthread
from tests.server import SiteServer

ROOT = Path(__file__).resolve().parent.parent
# What only a crawl, an import or a WARC export needs: an import of any of these by a
# read command puts its cost (~0.3 s for Scrapy and Twisted) on every start.
CRAWL_ONLY = ("scrapy", "twisted", "bs4", "lxml", "scraper.parsers.hn", "scraper.spiders",
              "warcio")
# What a read needs none of: each was imported by every command before (issue 14: read
# commands start in < 0.25 s), and each is still imported where it is used (below).
NOT_FOR_READS = ("sqlite_utils", "numpy", "pandas", "pluggy", "asyncio", "aiohttp", "rich",
                 "dateutil", "archive.models", "archive.redact", "secrets")
# A text table's: tabulate, which reads its own version through importlib.metadata.
TABLES = ("tabulate", "importlib.metadata")


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    thread = hnpages.random_thread(5, seed=2, edge_cases=False)
    page = hnpages.site_pages(thread)[f"/item?id={thread.story_id}"]
    db = tmp_path_factory.mktemp("startup") / "a.db"
    archive = open_db(db)
    save_thread(archive, hn.parse_thread(
        page, url=f"https://news.ycombinator.com/item?id={thread.story_id}",
        fetched_at=hnpages.FETCHED_AT))
    archive.close()
    return db, thread.story_id


def imported_by(*args: str) -> tuple[str, set[str]]:
    """(stdout, top-level-and-dotted names of every module imported) of one command."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "scraper.cli", *args],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    names = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()
             if line.startswith("import time:") and "|" in line}
    return done.stdout, names


def crawl_only(names: set[str], unwanted: tuple[str, ...] = CRAWL_ONLY) -> list[str]:
    return sorted(n for n in names if any(n == c or n.startswith(c + ".") for c in unwanted))


def not_for_reads(names: set[str], *, table: bool = False) -> list[str]:
    return crawl_only(names, CRAWL_ONLY + NOT_FOR_READS + (() if table else TABLES))


def test_query_imports_no_crawler(archive_path: tuple[Path, str]) -> None:
    db, _ = archive_path
    out, names = imported_by("query", "select count(*) as n from comments", "--db", str(db),
                             "--csv")
    assert out.splitlines() == ["n", "5"]
    assert {"sqlite3", "click", "archive.query"} <= names  # the list is real
    assert not_for_reads(names) == []


@pytest.mark.parametrize("command", [["show", "hn", "{id}"], ["search", "parser"],
                                     ["export", "hn", "{id}"], ["gaps"],
                                     ["history", "hn", "{id}", "--json"],
                                     ["changes", "hn", "{id}", "--json"]])
def test_read_commands_import_no_crawler(command: list[str],
                                         archive_path: tuple[Path, str]) -> None:
    db, story = archive_path
    out, names = imported_by(*(w.replace("{id}", story) for w in command), "--db", str(db))
    assert out.strip()
    assert not_for_reads(names) == []


@pytest.mark.parametrize("command", [["history", "hn", "{id}"], ["changes", "hn", "{id}"],
                                     ["query", "select 1 as n", "--table"]])
def test_a_table_imports_tabulate_and_nothing_else_a_read_needs_not(
        command: list[str], archive_path: tuple[Path, str]) -> None:
    db, story = archive_path
    out, names = imported_by(*(w.replace("{id}", story) for w in command), "--db", str(db))
    assert out.strip()
    assert "tabulate" in names
    assert not_for_reads(names, table=True) == []


def test_help_lists_every_command_without_the_crawler() -> None:
    out, names = imported_by("--help")
    listed = {line.split()[0] for line in out.split("Commands:")[1].splitlines()
              if line.strip()}
    assert {"crawl", "import", "run", "query", "show", "search", "history", "export",
            "gaps", "changes", "snapshot", "watch", "datasette-metadata", "reparse"} <= listed
    assert not_for_reads(names) == []
    crawl_help, names = imported_by("crawl", "--help")
    assert "Crawl threads, listings and profiles of SITE" in crawl_help
    assert not_for_reads(names) == []


def test_a_command_that_writes_opens_the_archive_through_sqlite_utils(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    _, names = imported_by("watch", "add", "hn", "8863", "--db", str(db))
    assert "sqlite_utils" in names  # open_db: a writer's handle is sqlite-utils' Database
    assert crawl_only(names) == []


# What an HTML crawl of HN never uses (the API's client, other sites' spiders and
# parsers, the writers' library, components the project turns off), and what an
# unchanged re-crawl, which parses nothing, does not need either.
NOT_FOR_A_CRAWL = ("sqlite_utils", "numpy", "pluggy", "aiohttp", "tldextract", "requests",
                   "urllib3", "twisted.conch", "scraper.hnapi.client", "scraper.spiders.lobsters",
                   "scraper.spiders.reddit", "scraper.parsers.lobsters",
                   "scraper.parsers.reddit")
NOT_FOR_AN_UNCHANGED_CRAWL = ("bs4", "soupsieve")


def crawl_imports(site: SiteServer, db: Path, story_id: str) -> set[str]:
    done = run_linkthread("crawl", "hn", story_id, "--db", str(db), base_url=site.base_url,
                          env={"PYTHONPROFILEIMPORTTIME": "1", "LINKTHREAD_HN_VIA": "html"})
    assert done.returncode == 0, done.stderr[-3000:]
    return {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()
            if line.startswith("import time:") and "|" in line}


@pytest.mark.e2e
def test_a_crawl_imports_only_what_it_uses(site: SiteServer, tmp_path: Path) -> None:
    thread = hnpages.random_thread(30, seed=4)
    site.routes.update(hnpages.site_pages(thread))
    db = tmp_path / "hn.db"

    first = crawl_imports(site, db, thread.story_id)
    again = crawl_imports(site, db, thread.story_id)

    assert rows(db, "SELECT crawl_id, unchanged FROM thread_crawls") == [(1, 0), (2, 1)]
    assert {"scrapy.crawler", "scraper.parsers.hn", "scraper.pipelines"} <= first  # real
    assert crawl_only(first, NOT_FOR_A_CRAWL) == []
    assert crawl_only(again, NOT_FOR_A_CRAWL + NOT_FOR_AN_UNCHANGED_CRAWL) == []


def test_components_the_project_turns_off_are_left_out_unless_turned_on() -> None:
    from scraper.cli import crawl_settings

    off = crawl_settings("a.db", (), "WARNING")
    on = crawl_settings("a.db", ("COOKIES_ENABLED=1", "TELNETCONSOLE_ENABLED=1"), "WARNING")

    cookies = "scrapy.downloadermiddlewares.cookies.CookiesMiddleware"
    telnet = "scrapy.extensions.telnet.TelnetConsole"
    remote = "scrapy.extensions.remote_control.RemoteControl"
    assert cookies not in off.getdict("DOWNLOADER_MIDDLEWARES_BASE")
    assert {telnet, remote}.isdisjoint(off.getdict("EXTENSIONS_BASE"))
    assert on.getdict("DOWNLOADER_MIDDLEWARES_BASE")[cookies] == 700  # Scrapy's place
    assert telnet in on.getdict("EXTENSIONS_BASE")
    assert remote not in on.getdict("EXTENSIONS_BASE")
    # Everything else of Scrapy's lists is as Scrapy has it.
    from scrapy.settings import default_settings

    assert off.getdict("DOWNLOADER_MIDDLEWARES_BASE") == {
        k: v for k, v in default_settings.DOWNLOADER_MIDDLEWARES_BASE.items() if k != cookies}
    assert off.getdict("EXTENSIONS_BASE") == {
        k: v for k, v in default_settings.EXTENSIONS_BASE.items() if k not in (telnet, remote)}
    assert off.getlist("SPIDER_MODULES") == []  # the command names its spider's class


def test_no_module_asks_whether_a_handle_is_a_sqlite_utils_database() -> None:
    # Modules name sqlite-utils in annotations only (imported under TYPE_CHECKING): an
    # isinstance would need the import every reader avoids, or fail with a NameError
    # where it is missing. archive.db.connection() answers it without the import.
    offenders = [f"{path.relative_to(ROOT)}:{n}"
                 for package in ("archive", "scraper") for path in (ROOT / package).rglob("*.py")
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if "isinstance(" in line and "sqlite_utils.Database" in line]
    assert offenders == []
