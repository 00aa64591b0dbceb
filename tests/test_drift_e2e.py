"""End to end: a crawl whose pages stop reading as before says so in one line, in its
crawls row and in `gaps`, keeps the pages and exits non-zero; a normal re-crawl is quiet."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import hnpages
from tests.clirun import forked, in_process
from tests.conftest import rows
from tests.server import SiteServer

pytestmark = pytest.mark.e2e


def changed_markup(html: str) -> str:
    """The site renames its user links: the parser finds every comment but no author."""
    return html.replace('<a href="user?id=', '<a href="member?name=').replace(
        'class="hnuser"', 'class="hn-member"')


def test_a_markup_change_raises_the_alarm_and_a_normal_crawl_does_not(
        site: SiteServer, tmp_path: Path) -> None:
    thread = hnpages.random_thread(80, seed=51, story_id="8100", max_depth=3)
    pages = hnpages.site_pages(thread)
    site.routes.update(pages)
    db = tmp_path / "hn.db"

    # Each crawl in a child forked from a warm parent (tests/clirun.py): the console
    # script's start is not what this tests.
    for _ in range(2):  # a first crawl, then an unchanged one: nothing to say
        quiet = forked("crawl", "hn", "8100", "--db", str(db), base_url=site.base_url)
        assert quiet.returncode == 0, quiet.stderr[-2000:]
        assert "markup" not in quiet.stderr
    site.routes.update({path: changed_markup(html) for path, html in pages.items()})

    loud = forked("crawl", "hn", "8100", "--db", str(db), base_url=site.base_url)

    assert loud.returncode == 1
    [line] = [x for x in loud.stderr.splitlines() if "markup" in x]
    assert line.startswith("Warning: the markup of hn thread pages seems to have changed since")
    assert "author on 0% of" in line and "the pages are kept" in line
    [(drift,)] = rows(db, "select drift from crawls where id = 3")
    assert drift is not None and "author on 0%" in drift
    assert rows(db, "select count(*) from pages where crawl_id = 3") == [(1,)]
    gaps = in_process("gaps", "--db", str(db))
    assert "Markup drift" in gaps.stdout and "author on 0%" in gaps.stdout

    site.routes.update(pages)  # the parser is fixed (here: the site changed back)
    again = forked("crawl", "hn", "8100", "--db", str(db), base_url=site.base_url)
    assert again.returncode == 0, again.stderr[-2000:]
    assert rows(db, "select id from crawls where drift is not null") == [(3,)]
