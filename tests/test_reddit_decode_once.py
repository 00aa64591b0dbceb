"""A Reddit crawl decodes each API answer once (scraper/spiders/reddit.py): the answer
is placed in the thread as it comes (``ThreadPages.add``), which also gives the stubs
to ask for next, and the thread is built from what was placed. The spider's own
callbacks are driven here with the stand-in's answers (tests/redditapi.py, no server):
the JSON decoder is counted, and the thread is the one the whole-answers parser gives
of the same answers, whole."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import scrapy
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler

from archive.models import Thread
from scraper.parsers.reddit import errors
from scraper.parsers.reddit.thread import parse_thread_pages
from scraper.spiders.reddit import RedditSpider
from tests.redditapi import Cut, RedditAPI, make_thread
from tests.server import SiteServer

BASE = "http://reddit.test"
AT = datetime(2026, 12, 2, tzinfo=UTC)


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The length of every body the Reddit parsers decode."""
    seen: list[int] = []

    def loads(text: str, *args: Any, **kw: Any) -> Any:
        seen.append(len(text))
        return json.loads(text, *args, **kw)

    monkeypatch.setattr(errors, "loads", loads)  # errors' decode, jsonload.loads
    return seen


def crawl(api: RedditAPI, **args: str) -> tuple[list[Any], list[tuple[str, str]]]:
    """Every item the spider yields for thread abc12, and the answers it was given."""
    crawler = get_crawler(RedditSpider, {"LINKTHREAD_REDDIT_API_URL": BASE})
    spider = RedditSpider.from_crawler(crawler, items="abc12", **args)
    crawler.spider = spider
    answers: list[tuple[str, str]] = []
    items: list[Any] = []
    queue: list[scrapy.Request] = [spider.request(spider.thread_url("abc12"),
                                                  spider.parse_thread_page,
                                                  label="reddit item abc12",
                                                  story_id="abc12", done=())]  # fmt: skip
    while queue:
        request = queue.pop(0)
        parts = urlsplit(request.url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        reply = api.answer(parts.path.removeprefix(urlsplit(BASE).path), query)
        assert reply is not None, request.url
        body = reply.body if isinstance(reply.body, bytes) else str(reply.body).encode()
        answers.append((request.url, body.decode()))
        response = TextResponse(request.url, body=body, encoding="utf-8", request=request,
                                status=reply.status)  # fmt: skip
        for out in request.callback(response, **request.cb_kwargs):
            (queue if isinstance(out, scrapy.Request) else items).append(out)
    return items, answers


def test_every_answer_is_decoded_once_and_the_thread_is_the_whole_parse(
        decoded: list[int]) -> None:
    api = RedditAPI(SiteServer(), cut=Cut(top=8, kids=3, depth=5))
    api.morechildren_delay = 0.0
    api.threads["abc12"] = make_thread(600, seed=5, chain=12)
    items, answers = crawl(api)
    (thread,) = [i for i in items if isinstance(i, Thread)]
    assert len(answers) > 10
    assert sorted(decoded) == sorted(len(text) for _, text in answers)
    assert len(thread.comments) == 612 and thread.unexpanded == 0

    decoded.clear()
    whole = parse_thread_pages(answers, fetched_at=thread.fetched_at, sort="confidence")
    assert len(decoded) == len(answers)  # the old path: every answer a second time
    assert thread.comments == whole.comments
    assert thread.story == whole.story
    assert [p.url for p in thread.pages] == [url for url, _ in answers]


def test_a_capped_crawl_keeps_what_it_placed_and_counts_the_rest(decoded: list[int]) -> None:
    api = RedditAPI(SiteServer(), cut=Cut(top=8, kids=3, depth=5))
    api.morechildren_delay = 0.0
    api.threads["abc12"] = make_thread(300, seed=6)
    items, answers = crawl(api, max_requests="2")
    (thread,) = [i for i in items if isinstance(i, Thread)]
    assert len(answers) == 3 and len(decoded) == 3
    whole = parse_thread_pages(answers, fetched_at=thread.fetched_at, sort="confidence")
    assert thread.comments == whole.comments
    assert thread.unexpanded is not None and thread.unexpanded > 0
    assert len(thread.comments) < 300
