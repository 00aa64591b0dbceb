"""End to end: a crawl cannot be turned against its user (issue 10, points 1, 2, 8).

A page decides where the crawl goes next ("More" links, redirects) and how much it
receives, so every test here is a page that tries: off the site, too big, or round in
circles. Each must end its thread failed with one clear line, store nothing of a
foreign or refused body, and keep the site's own pages it read as raw failed pages.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import hnpages
from tests.conftest import rows, run_linkthread
from tests.server import Reply, SiteServer, serve

pytestmark = pytest.mark.e2e

MIB = 1024 * 1024
STORY = "9100"


@pytest.fixture
def other() -> Iterator[SiteServer]:
    """A second local server: another port, so another origin."""
    with serve(SiteServer()) as s:
        s.routes["/item?id=9100&p=2"] = "<html>not the thread</html>"
        s.routes["/x"] = "<html>not the thread</html>"
        yield s


def thread_pages(count: int, *, hrefs: dict[int, str | None] | None = None,
                 story_id: str = STORY) -> dict[str, str]:
    """A thread of ``count`` pages at /item?id=N&p=K; ``hrefs`` replaces the More link of
    page K (1-based) with another, or with none."""
    thread = hnpages.random_thread(count * 4, seed=5, story_id=story_id, max_depth=0,
                                    edge_cases=False)
    chunks = hnpages.pages_of(thread, 4)
    assert len(chunks) == count
    out: dict[str, str] = {}
    for k, chunk in enumerate(chunks, start=1):
        path = f"/item?id={story_id}" + (f"&p={k}" if k > 1 else "")
        href = f"item?id={story_id}&p={k + 1}" if k < count else None
        href = (hrefs or {}).get(k, href)
        out[path] = hnpages.modern_page(thread, chunk, next_href=href)
    return out


def crawl(site: SiteServer, db: Path, **env: str) -> tuple[int, list[str]]:
    result = run_linkthread("crawl", "hn", STORY, "--db", str(db), base_url=site.base_url,
                            env=env)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return result.returncode, errors


def assert_failed_with_pages_kept(db: Path, site: SiteServer, kept: int) -> None:
    """Nothing stored as a thread; the first ``kept`` pages of the site kept raw, failed."""
    assert rows(db, "select count(*) from stories") == [(0,)]
    assert rows(db, "select count(*) from comments") == [(0,)]
    assert rows(db, "select kind, target, state from crawl_targets") == [
        ("thread", STORY, "failed")]
    want = [f"{site.base_url}/item?id={STORY}" + (f"&p={k}" if k > 1 else "")
            for k in range(1, kept + 1)]
    assert rows(db, "select url, story_id, error is not null from pages order by id") == [
        (url, STORY, 1) for url in want]


# -- point 1: only the site's own origin -------------------------------------------


@pytest.mark.parametrize("href", [
    "file:///etc/passwd",
    "file:///dev/zero",
    "ftp://127.0.0.1/pub/x",
    "data:text/html,<html>injected</html>",
    "{other}/item?id=9100&p=2",  # another port: another origin
    "https://{host}/item?id=9100&p=2",  # the same host and port by another scheme
    "http://localhost:{port}/item?id=9100&p=2",  # the same server by another host name
])  # fmt: skip
def test_a_more_link_off_the_site_ends_the_thread_and_is_never_fetched(
        site: SiteServer, other: SiteServer, tmp_path: Path, href: str) -> None:
    host = site.base_url.split("://", 1)[1]
    href = href.format(other=other.base_url, host=host, port=host.rsplit(":", 1)[1])
    site.routes.update(thread_pages(3, hrefs={2: href}))
    db = tmp_path / "hn.db"

    code, errors = crawl(site, db)

    assert code == 1
    assert errors == [f"Error: hn item {STORY}: refused {href}: not on the site's base URL "
                      f"{site.base_url} (a crawl follows links and redirects only to its own "
                      "scheme, host and port)"]
    assert_failed_with_pages_kept(db, site, 2)
    assert other.log == []
    assert site.hits(f"/item?id={STORY}&p=3") == 0


@pytest.mark.parametrize("status", [301, 302])
def test_a_redirect_to_another_origin_is_refused_where_it_leads(
        site: SiteServer, other: SiteServer, tmp_path: Path, status: int) -> None:
    # The page's own link is on the site; the site then redirects it away. Only the
    # downloader can see that, so this is the middleware's refusal, not the spider's.
    site.routes.update(thread_pages(3))
    page2 = f"/item?id={STORY}&p=2"
    away = f"{other.base_url}{page2}"
    site.routes[page2] = Reply("", status=status, headers={"Location": away})
    db = tmp_path / "hn.db"

    code, errors = crawl(site, db)

    assert code == 1
    assert errors == [f"Error: hn item {STORY}: refused {away}: not on the site's base URL "
                      f"{site.base_url} (a crawl follows links and redirects only to its own "
                      f"scheme, host and port); redirected there from {site.base_url}{page2}"]
    assert_failed_with_pages_kept(db, site, 1)
    assert other.log == []
    assert site.hits(page2) == 1


def test_a_redirect_to_a_local_file_is_refused(site: SiteServer, tmp_path: Path) -> None:
    site.routes.update(thread_pages(1))
    site.routes[f"/item?id={STORY}"] = Reply("", status=302,
                                             headers={"Location": "file:///etc/passwd"})
    db = tmp_path / "hn.db"

    code, errors = crawl(site, db)

    assert code == 1
    assert errors == [f"Error: hn item {STORY}: refused file:///etc/passwd: not on the site's "
                      f"base URL {site.base_url} (a crawl follows links and redirects only to "
                      f"its own scheme, host and port); redirected there from {site.base_url}"
                      f"/item?id={STORY}"]
    assert rows(db, "select count(*) from pages") == [(0,)]


# -- point 2: no body over LINKTHREAD_MAX_BODY ---------------------------------------


def padded(html: str, size: int) -> bytes:
    """The page grown to ``size`` bytes by a comment inside it (still a whole page)."""
    body = html.encode()
    cut = body.rindex(b"</body>")
    pad = b"<!--" + b"x" * (size - len(body) - 7) + b"-->"
    return body[:cut] + pad + body[cut:]


@pytest.mark.parametrize("how, reply", [
    ("", lambda page: Reply(padded(page, 2 * MIB))),  # Content-Length says too much
    ("", lambda page: Reply(padded(page, 2 * MIB), length=False)),  # a stream that grows
    (" once decompressed", lambda page: Reply(  # a gzip bomb: small on the wire
        gzip.compress(padded(page, 16 * MIB)), headers={"Content-Encoding": "gzip"})),
], ids=["content-length", "stream", "gzip-bomb"])  # fmt: skip
def test_a_body_over_the_cap_is_refused_once_and_never_stored(
        site: SiteServer, tmp_path: Path, how: str, reply: object) -> None:
    pages = thread_pages(3)
    page2 = f"/item?id={STORY}&p=2"
    site.routes.update(pages)
    site.routes[page2] = reply(pages[page2])  # type: ignore[operator]
    db = tmp_path / "hn.db"

    code, errors = crawl(site, db, LINKTHREAD_MAX_BODY=str(MIB))

    assert code == 1
    assert errors == [f"Error: hn item {STORY}: refused {site.base_url}{page2}: the body is "
                      f"over 1 MiB{how} (LINKTHREAD_MAX_BODY)"]
    assert_failed_with_pages_kept(db, site, 1)
    assert site.hits(page2) == 1  # refused, not retried
    assert site.hits(f"/item?id={STORY}&p=3") == 0


def test_a_body_under_the_cap_is_archived(site: SiteServer, tmp_path: Path) -> None:
    pages = thread_pages(2)
    page2 = f"/item?id={STORY}&p=2"
    site.routes.update(pages)
    site.routes[page2] = Reply(gzip.compress(padded(pages[page2], MIB - 4096)),
                               headers={"Content-Encoding": "gzip"})
    db = tmp_path / "hn.db"

    code, errors = crawl(site, db, LINKTHREAD_MAX_BODY=str(MIB))

    assert (code, errors) == (0, [])
    assert rows(db, "select count(*), sum(error is null) from pages") == [(2, 2)]
    assert rows(db, "select count(*) from comments") == [(8,)]


# -- point 8: the page cap and loops fail the thread ---------------------------------


def test_a_thread_longer_than_the_page_cap_fails_with_its_pages_kept(
        site: SiteServer, tmp_path: Path) -> None:
    site.routes.update(thread_pages(5))
    db = tmp_path / "hn.db"

    code, errors = crawl(site, db, LINKTHREAD_MAX_PAGES="3")

    assert code == 1
    assert errors == [f"Error: hn item {STORY}: stopped at the page cap of 3 pages "
                      f"(LINKTHREAD_MAX_PAGES) with more to read at "
                      f"{site.base_url}/item?id={STORY}&p=4; the thread is not complete"]
    assert_failed_with_pages_kept(db, site, 3)
    assert site.hits(f"/item?id={STORY}&p=4") == 0


def test_a_thread_of_exactly_the_page_cap_is_archived(site: SiteServer,
                                                      tmp_path: Path) -> None:
    site.routes.update(thread_pages(3))
    db = tmp_path / "hn.db"

    code, errors = crawl(site, db, LINKTHREAD_MAX_PAGES="3")

    assert (code, errors) == (0, [])
    assert rows(db, "select count(*), sum(error is null) from pages") == [(3, 3)]
    assert rows(db, "select count(*) from comments") == [(12,)]


@pytest.mark.parametrize("back, kept", [
    (f"item?id={STORY}", 2),  # page 2 links back to the first page
    (f"item?p=2&id={STORY}", 3),  # page 3 links to page 2, its query in another order
])  # fmt: skip
def test_a_more_link_back_to_a_page_already_read_fails_the_thread(
        site: SiteServer, tmp_path: Path, back: str, kept: int) -> None:
    site.routes.update(thread_pages(4, hrefs={kept: back}))
    db = tmp_path / "hn.db"

    code, errors = crawl(site, db)

    assert code == 1
    assert errors == [f"Error: hn item {STORY}: the continuation link {site.base_url}/{back} "
                      f"leads back to a page already read after {kept} page(s); not following "
                      "a loop"]
    assert_failed_with_pages_kept(db, site, kept)
    assert site.hits(f"/item?id={STORY}") == 1


def test_a_listing_more_link_off_the_site_fails_the_listing(
        site: SiteServer, tmp_path: Path) -> None:
    stories = [hnpages.GenStory(id=str(500 + k), title=f"Story {k}", score=10, comments=0)
               for k in range(3)]
    site.routes["/news"] = hnpages.listing_page(stories, next_href="file:///etc/passwd")
    db = tmp_path / "hn.db"

    result = run_linkthread("crawl", "hn", "front", "--pages", "2", "--db", str(db),
                            base_url=site.base_url)

    assert result.returncode == 1
    assert [line for line in result.stderr.splitlines() if line.startswith("Error:")] == [
        f"Error: hn news: refused file:///etc/passwd: not on the site's base URL "
        f"{site.base_url} (a crawl follows links and redirects only to its own scheme, host "
        "and port)"]
    # The page read is kept; nothing past it was asked for.
    assert rows(db, "select listing, page, rank, story_id from listing_snapshots") == [
        ("news", 1, k + 1, s.id) for k, s in enumerate(stories)]
    assert [t for _, t in site.log] == ["/robots.txt", "/news"]


def test_a_page_that_cannot_be_fetched_mid_thread_keeps_the_pages_before_it(
        site: SiteServer, tmp_path: Path) -> None:
    site.routes.update(thread_pages(3))
    page3 = f"/item?id={STORY}&p=3"
    del site.routes[page3]  # the server answers 404
    db = tmp_path / "hn.db"

    code, errors = crawl(site, db)

    assert code == 1
    assert errors == [f"Error: hn item {STORY}: could not fetch {site.base_url}{page3}: HTTP 404"]
    assert_failed_with_pages_kept(db, site, 2)
