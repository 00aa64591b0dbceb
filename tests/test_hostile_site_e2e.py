"""End to end: a site answering to crash, stall or mislead a crawl. Waiting headers
(Retry-After of years or in another script's digits, X-Ratelimit-Remaining "inf"): the
crawl reads its pages, waiting no longer than LINKTHREAD_MAX_RATELIMIT_WAIT. A
Crawl-delay of days: its host is refused in one line. A Lobsters story answered with
another story's page: refused, not recorded as merged."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import hnpages
from tests.conftest import rows, run_linkthread
from tests.lobsterspages import Node
from tests.server import Reply, SiteServer
from tests.test_lobsters_crawl_e2e import story

pytestmark = pytest.mark.e2e

CAP = "0.5"


def _crawl(site: SiteServer, db: Path, story_id: str) -> tuple[int, str]:
    result = run_linkthread("crawl", "hn", story_id, "--db", str(db), base_url=site.base_url,
                            env={"LINKTHREAD_MAX_RATELIMIT_WAIT": CAP}, timeout=60)
    return result.returncode, result.stderr


@pytest.mark.parametrize("headers", [
    {"Retry-After": "1e308"},
    {"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"},
    {"Retry-After": "\u0663\u0660\u0660\u0660"},
    {"X-Ratelimit-Remaining": "inf", "X-Ratelimit-Reset": "30"},
    {"RateLimit": "r=-inf;t=1e400"},
], ids=["huge", "year-9999", "arabic-digits", "remaining-inf", "combined-inf"])
def test_a_429_with_a_hostile_wait_is_capped_and_the_page_read(
        site: SiteServer, tmp_path: Path, headers: dict[str, str]) -> None:
    thread = hnpages.random_thread(5, seed=3)
    path = f"/item?id={thread.story_id}"
    site.routes[path] = [Reply("busy", status=429, headers=headers),
                         Reply(hnpages.site_pages(thread)[path])]
    db = tmp_path / "hn.db"

    code, stderr = _crawl(site, db, thread.story_id)

    assert code == 0, stderr[-3000:]
    assert "Traceback" not in stderr
    assert rows(db, "select count(*) from comments") == [(5,)]


@pytest.mark.parametrize("remaining", ["inf", "-inf", "1e400", "nan"])
def test_a_good_answer_whose_budget_is_no_number_is_kept(
        site: SiteServer, tmp_path: Path, remaining: str) -> None:
    thread = hnpages.random_thread(4, seed=5)
    path = f"/item?id={thread.story_id}"
    site.routes[path] = Reply(hnpages.site_pages(thread)[path],
                              headers={"X-Ratelimit-Remaining": remaining,
                                       "X-Ratelimit-Reset": "10"})
    db = tmp_path / "hn.db"

    code, stderr = _crawl(site, db, thread.story_id)

    assert code == 0, stderr[-3000:]
    assert "Traceback" not in stderr and "OverflowError" not in stderr
    assert rows(db, "select count(*) from comments") == [(4,)]


@pytest.mark.parametrize("delay", ["1e9", "86400"])
def test_a_crawl_delay_of_days_refuses_the_host_in_one_line(
        site: SiteServer, tmp_path: Path, delay: str) -> None:
    site.robots = f"User-agent: *\nCrawl-delay: {delay}\n"
    thread = hnpages.random_thread(3, seed=9)
    site.routes.update(hnpages.site_pages(thread))
    db = tmp_path / "hn.db"

    code, stderr = _crawl(site, db, thread.story_id)

    assert code == 1, stderr[-3000:]
    assert (f"Error: hn item {thread.story_id}: robots.txt of {site.base_url} asks for "
            f"{float(delay):.6g} s between requests (Crawl-delay), more than the 3600 s a "
            "crawl waits; not crawling it") in stderr
    assert site.hits(f"/item?id={thread.story_id}") == 0
    assert rows(db, "select count(*) from stories") == [(0,)]


@pytest.mark.parametrize("way", [(), ("-s", "LOG_LEVEL=WARNING")], ids=["loop", "spider"])
def test_a_lobsters_crawl_delay_of_days_is_one_line_too(
        site: SiteServer, tmp_path: Path, way: tuple[str, ...]) -> None:
    site.robots = "User-agent: *\nCrawl-delay: 1e9\n"
    site.routes["/s/abc123.json"] = story("abc123", Node("c00001"))
    db = tmp_path / "l.db"

    result = run_linkthread("crawl", "lobsters", "abc123", "--db", str(db), *way,
                            env={"LINKTHREAD_LOBSTERS_BASE_URL": site.base_url}, timeout=60)

    assert result.returncode == 1, result.stderr[-3000:]
    assert "asks for 1e+09 s between requests (Crawl-delay)" in result.stderr
    assert "Traceback" not in result.stderr
    assert site.hits("/s/abc123.json") == 0


@pytest.mark.parametrize("way", [(), ("-s", "LOG_LEVEL=WARNING")], ids=["loop", "spider"])
def test_a_lobsters_story_answered_with_another_storys_page_is_refused(
        site: SiteServer, tmp_path: Path, way: tuple[str, ...]) -> None:
    # No redirect: a merged story's URL redirects; this answer only claims another story.
    site.routes["/s/abc123.json"] = story("zzz999", Node("c00001"))
    db = tmp_path / "l.db"

    result = run_linkthread("crawl", "lobsters", "abc123", "--db", str(db), *way,
                            env={"LINKTHREAD_LOBSTERS_BASE_URL": site.base_url}, timeout=60)

    assert result.returncode == 1, result.stderr[-3000:]
    assert ("Error: lobsters item abc123: the answer is story zzz999's page, not abc123's "
            "(and no redirect says it was merged)") in result.stderr
    assert rows(db, "select count(*) from stories") == [(0,)]
    # The body is kept raw, with why it was not read.
    assert rows(db, "select count(*) from pages where error like '%zzz999%'") == [(1,)]
