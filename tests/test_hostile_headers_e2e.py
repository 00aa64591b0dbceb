"""End to end: a site's waiting headers written to crash or stall a crawl (Retry-After of
years or in another script's digits, X-Ratelimit-Remaining "inf"): the crawl reads its
pages, waiting no longer than LINKTHREAD_MAX_RATELIMIT_WAIT, and exits 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import hnpages
from tests.conftest import rows, run_linkthread
from tests.server import Reply, SiteServer

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
