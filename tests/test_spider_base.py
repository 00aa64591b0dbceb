"""The site-neutral spider base, the typed interface the pipeline reads, and the
politeness pieces the Lobsters crawl added (RateLimit headers, one-line robots stop)."""

from __future__ import annotations

import time

import pytest
import scrapy
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from archive import sites
from scraper.middlewares import SoftErrorMiddleware, ratelimit_wait
from scraper.politeness import RobotsForbidden
from scraper.spiders.hn import HnSpider
from scraper.spiders.interface import CrawlingSpider
from scraper.spiders.lobsters import LobstersSpider

BASE = "http://lobsters.test"


def lobsters_spider(**args: str) -> LobstersSpider:
    crawler = get_crawler(LobstersSpider, {"LINKTHREAD_LOBSTERS_BASE_URL": BASE})
    spider = LobstersSpider.from_crawler(crawler, **args)
    crawler.spider = spider
    assert isinstance(spider, LobstersSpider)
    return spider


def test_every_spider_has_the_interface_the_pipeline_reads() -> None:
    for spider in (HnSpider(items="1"), lobsters_spider(items="abc123")):
        assert isinstance(spider, CrawlingSpider)
    spider = lobsters_spider(items="abc123", listings="hottest,t/rust,go", users="~alice")
    assert [(t.kind, t.target) for t in spider.targets()] == [
        ("thread", "abc123"), ("listing", "hottest"), ("listing", "t/rust,go"),
        ("user", "alice")]


def test_a_tag_list_is_one_listing_among_the_others() -> None:
    spider = lobsters_spider(listings="t/rust,go,hottest,t/meta,newest")
    assert spider.listings == ["t/rust,go", "hottest", "t/meta", "newest"]


def test_the_spider_reads_its_base_url_and_grammar_from_the_registry() -> None:
    spider = lobsters_spider(items=f"{BASE}/s/abc123/a_slug,https://lobste.rs/s/def456")
    assert spider.item_ids == ["abc123", "def456"]
    assert spider.thread_url("abc123") == f"{BASE}/s/abc123.json"
    assert spider.listing_url("t/rust") == f"{BASE}/t/rust.json"
    assert spider.user_url("alice") == f"{BASE}/~alice.json"
    with pytest.raises(sites.TargetError, match="not a Lobsters story id"):
        lobsters_spider(items="https://example.com/s/abc123")


@pytest.mark.parametrize("url, target", [
    (f"{BASE}/hottest.json", "hottest"), (f"{BASE}/t/rust,go.json", "t/rust,go"),
    (f"{BASE}/page/2.json", "hottest/page/2"), (f"{BASE}/newest/page/3.json", "newest/page/3"),
])
def test_a_listing_page_completes_the_target_of_its_first_page_only(url: str,
                                                                    target: str) -> None:
    assert lobsters_spider(listings="hottest").listing_target(url) == target


def test_ignore_robots_is_recorded_only_when_asked() -> None:
    assert "ignore_robots" not in lobsters_spider(items="abc123").crawl_args
    assert lobsters_spider(items="abc123", ignore_robots="1").crawl_args["ignore_robots"]


def refused(spider: LobstersSpider, url: str, label: str) -> list[object]:
    request = scrapy.Request(url, cb_kwargs={"label": label})
    failure = Failure(RobotsForbidden(f"robots.txt forbids {url}. hint",
                                      f"robots.txt of {BASE} forbids it: 'Disallow: /'"))
    failure.request = request  # type: ignore[attr-defined]
    return list(spider.fetch_failed(failure))


def test_a_site_forbidding_everything_is_one_failure_for_the_whole_crawl() -> None:
    spider = lobsters_spider(items="abc123", listings="hottest")
    refused(spider, f"{BASE}/s/abc123.json", "lobsters item abc123")
    refused(spider, f"{BASE}/hottest.json", "lobsters hottest")
    assert len(spider.failures) == 1
    assert spider.halted == spider.failures[0]
    assert "'Disallow: /'" in spider.halted and "linkthread import" in spider.halted


def test_on_a_site_that_allows_crawlers_a_refusal_fails_its_target_only() -> None:
    crawler = get_crawler(HnSpider, {"LINKTHREAD_HN_BASE_URL": "http://hn.test"})
    spider = HnSpider.from_crawler(crawler, items="1,2")
    request = scrapy.Request("http://hn.test/item?id=1", cb_kwargs={"label": "hn item 1"})
    failure = Failure(RobotsForbidden("robots.txt forbids /item?id=1. hint"))
    failure.request = request  # type: ignore[attr-defined]
    list(spider.fetch_failed(failure))
    assert spider.failures == ["hn item 1: robots.txt forbids /item?id=1. hint"]
    assert spider.halted is None


@pytest.mark.parametrize("headers, wait", [
    ({"RateLimit-Remaining": "0", "RateLimit-Reset": "30"}, 30.0),
    ({"RateLimit-Remaining": "3", "RateLimit-Reset": "30"}, None),
    ({"RateLimit-Remaining": "0"}, None),
    ({"RateLimit": "limit=400, remaining=0, reset=12"}, 12.0),
    ({"RateLimit": '"default";r=0;t=7'}, 7.0),
    ({"RateLimit-Remaining": "0", "RateLimit-Reset": "soon"}, None),
    ({"RateLimit-Remaining": "0", "RateLimit-Reset": "1000000050"}, 50.0),  # a Unix time
    ({}, None),
])
def test_ratelimit_headers(headers: dict[str, str], wait: float | None) -> None:
    assert ratelimit_wait(headers, now=1_000_000_000.0) == wait


def response(headers: dict[str, str], status: int = 200) -> tuple[scrapy.Request, Response]:
    request = scrapy.Request(f"{BASE}/s/abc123.json")
    return request, HtmlResponse(request.url, status=status, body=b"{}", headers=headers,
                                 request=request)


def test_a_good_answer_with_no_requests_left_holds_the_host_until_the_reset() -> None:
    spider = lobsters_spider(items="abc123")
    middleware = SoftErrorMiddleware(spider.crawler, base=0.05, ceiling=1, retries=1)
    middleware.hold_slot = lambda request, resume: None  # type: ignore[method-assign]
    request, answer = response({"RateLimit-Remaining": "0", "RateLimit-Reset": "20"})
    before = time.monotonic()
    assert middleware.process_response(request, answer) is answer  # kept, not retried
    assert middleware._resume_at["lobsters.test"] >= before + 20


def test_a_429_waits_the_longer_of_retry_after_and_the_reset() -> None:
    spider = lobsters_spider(items="abc123")
    spider.crawler.stats.open_spider()  # type: ignore[union-attr]
    middleware = SoftErrorMiddleware(spider.crawler, base=0.05, ceiling=1, retries=3)
    middleware.hold_slot = lambda request, resume: None  # type: ignore[method-assign]
    request, answer = response({"Retry-After": "2", "RateLimit-Remaining": "0",
                                "RateLimit-Reset": "40"}, status=429)
    before = time.monotonic()
    retry = middleware.process_response(request, answer)
    assert isinstance(retry, scrapy.Request) and retry is not request
    assert middleware._resume_at["lobsters.test"] >= before + 40
