"""ArchivePipeline when something fails: the target fails, the crawl goes on, and the
crawl's record and stats say exactly what was and was not stored."""

from __future__ import annotations

from pathlib import Path

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from archive.models import User
from scraper.pipelines import ArchivePipeline
from scraper.spiders.hn import HnSpider
from tests.conftest import rows
from tests.test_store import make_story, make_thread


def started(db: Path, **spider_args: str) -> tuple[Crawler, ArchivePipeline]:
    crawler = get_crawler(HnSpider, {"LINKTHREAD_DB": str(db),
                                    "LINKTHREAD_HN_BASE_URL": "http://hn.test"})
    crawler.spider = HnSpider.from_crawler(crawler, **spider_args)
    assert crawler.stats is not None
    crawler.stats.open_spider()
    pipeline = ArchivePipeline.from_crawler(crawler)
    pipeline.open_spider()
    return crawler, pipeline


def stat(crawler: Crawler, name: str) -> object:
    assert crawler.stats is not None
    return crawler.stats.get_value(name)


def test_an_exception_in_a_callback_fails_its_target_once(tmp_path: Path) -> None:
    crawler, pipeline = started(tmp_path / "hn.db", items="123")
    request = scrapy.Request("http://hn.test/item?id=123", cb_kwargs={"label": "hn item 123"})
    response = HtmlResponse(request.url, body=b"<html></html>", request=request)
    try:
        raise KeyError("score")  # a parser bug, not a ParseError
    except KeyError:
        failure = Failure()

    pipeline.spider_error(failure, response, crawler.spider)  # type: ignore[arg-type]
    pipeline.spider_closed(crawler.spider, "finished")  # type: ignore[arg-type]

    message = "hn item 123: could not read http://hn.test/item?id=123: KeyError: 'score'"
    assert stat(crawler, "linkthread/failures") == [message]
    assert rows(tmp_path / "hn.db", "select status, errors, message from crawls") == [
        ("failed", 1, message)]
    assert rows(tmp_path / "hn.db", "select target, state, detail from crawl_targets") == [
        ("123", "failed", message)]


def test_a_store_error_fails_that_target_and_the_crawl_goes_on(tmp_path: Path) -> None:
    db = tmp_path / "hn.db"
    crawler, pipeline = started(db, items="100", users="pg")
    thread = make_thread(story=make_story())
    pipeline.db.execute("PRAGMA query_only = 1")  # every write now fails
    pipeline.process_item(thread)
    pipeline.db.execute("PRAGMA query_only = 0")
    pipeline.process_item(User(site="hn", id="pg", karma=1))
    pipeline.spider_closed(crawler.spider, "finished")  # type: ignore[arg-type]

    message = (f"hn item 100: could not store it in {db}: "
               "attempt to write a readonly database")
    assert stat(crawler, "linkthread/failures") == [message]
    assert stat(crawler, "linkthread/stored") == ["hn user pg: profile stored"]
    assert rows(db, "select status, errors from crawls") == [("finished", 1)]
    # Not the site's fault: left queued, so `crawl --resume` takes it again.
    assert rows(db, "select kind, target, state, detail from crawl_targets order by kind") == [
        ("thread", "100", "queued", message), ("user", "pg", "done", None)]
    assert rows(db, "select count(*) from stories") == [(0,)]
