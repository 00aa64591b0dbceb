"""scraper.bounds without a crawl: the origin rule, and how refusals are told apart."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import DownloadCancelledError
from scrapy.http import Headers, HtmlResponse
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from scraper.bounds import (
    DEFAULT_MAX_BODY,
    BodyCapMiddleware,
    BodyTooLarge,
    OffsiteRefused,
    OriginMiddleware,
    max_body,
    offsite_reason,
    origin,
)

BASE = "https://news.ycombinator.com"


@pytest.mark.parametrize("url, want", [
    ("https://news.ycombinator.com/item?id=1", ("https", "news.ycombinator.com", 443)),
    ("HTTPS://News.YCombinator.com:443/x", ("https", "news.ycombinator.com", 443)),
    ("http://127.0.0.1:8123/", ("http", "127.0.0.1", 8123)),
    ("http://[::1]/", ("http", "::1", 80)),
    ("file:///etc/passwd", None),
    ("ftp://news.ycombinator.com/x", None),
    ("s3://bucket/key", None),
    ("data:text/html,x", None),
    ("https://news.ycombinator.com:99999/", None),
    ("https:///item?id=1", None),
    ("item?id=1", None),
])  # fmt: skip
def test_origin(url: str, want: tuple[str, str, int] | None) -> None:
    assert origin(url) == want


@pytest.mark.parametrize("url, allowed", [
    ("https://news.ycombinator.com/item?id=1&p=2", True),
    ("https://news.ycombinator.com:443/robots.txt", True),
    ("http://news.ycombinator.com/item?id=1", False),  # another scheme
    ("https://news.ycombinator.com:8443/item?id=1", False),  # another port
    ("https://evil.example/item?id=1", False),
    ("https://news.ycombinator.com.evil.example/", False),
    ("https://news.ycombinator.com@evil.example/", False),
    ("file:///dev/zero", False),
])  # fmt: skip
def test_offsite_reason(url: str, allowed: bool) -> None:
    reason = offsite_reason(url, BASE)
    assert (reason is None) == allowed
    if reason is not None:
        assert reason.startswith(f"refused {url}: not on the site's base URL {BASE} ")


def middleware(base_url: str | None) -> OriginMiddleware:
    spider = SimpleNamespace(base_url=base_url) if base_url else SimpleNamespace()
    crawler: Any = SimpleNamespace(spider=spider, stats=None)
    return OriginMiddleware(crawler)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "s3://b/k",
                                 "data:text/html,x", "https://evil.example/robots.txt"])
def test_the_middleware_refuses_every_request_off_the_origin(url: str) -> None:
    with pytest.raises(OffsiteRefused, match="not on the site's base URL"):
        middleware(BASE).process_request(Request(url))
    middleware(BASE).process_request(Request(f"{BASE}/robots.txt"))  # its own: allowed


def test_a_redirect_the_downloader_will_not_follow_is_refused_by_the_same_rule() -> None:
    request = Request(f"{BASE}/item?id=1")
    response = HtmlResponse(request.url, status=302, request=request,
                            headers={"Location": "file:///etc/passwd"})
    with pytest.raises(OffsiteRefused, match=r"redirected there from https://news"):
        middleware(BASE).process_response(request, response)
    ok = HtmlResponse(request.url, status=302, request=request, headers={"Location": "/x"})
    assert middleware(BASE).process_response(request, ok) is ok


def test_a_spider_without_a_base_url_is_not_checked() -> None:
    assert middleware(None).process_request(Request("https://anywhere.example/")) is None


def test_non_http_download_handlers_are_off() -> None:
    settings = Settings()
    settings.setmodule("scraper.settings", priority="project")
    handlers = settings.getwithbase("DOWNLOAD_HANDLERS")
    assert [handlers[s] for s in ("file", "ftp", "s3", "data")] == [None] * 4


def cap_middleware(**settings: Any) -> BodyCapMiddleware:
    return BodyCapMiddleware(get_crawler(settings_dict=settings))


def test_the_cap_comes_from_linkthread_max_body(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINKTHREAD_MAX_BODY", raising=False)
    assert cap_middleware().cap == DEFAULT_MAX_BODY == 64 * 1024 * 1024
    request = Request(f"{BASE}/item?id=1")
    cap_middleware(LINKTHREAD_MAX_BODY="1048576").process_request(request)
    assert request.meta["download_maxsize"] == 1048576
    monkeypatch.setenv("LINKTHREAD_MAX_BODY", "2048")
    assert cap_middleware().cap == 2048
    for bad in ("lots", "0"):
        with pytest.raises(ValueError, match="LINKTHREAD_MAX_BODY must be a number of bytes"):
            max_body(get_crawler(settings_dict={"LINKTHREAD_MAX_BODY": bad}))


def test_only_a_download_cancelled_for_its_size_is_called_too_large() -> None:
    mw = cap_middleware(LINKTHREAD_MAX_BODY="1000")
    big, other = Request(f"{BASE}/item?id=1"), Request(f"{BASE}/item?id=2")
    for request in (big, other):
        mw.process_request(request)
    mw._headers(Headers({"Content-Length": "5000"}), big)
    with pytest.raises(BodyTooLarge, match=r"^refused .*id=1: the body is over 1000 bytes "
                                           r"\(LINKTHREAD_MAX_BODY\)$"):
        mw.process_exception(big, DownloadCancelledError("max size"))
    # A download cancelled for another reason (a shutdown) is left as it is.
    mw._bytes(b"x" * 10, other)
    assert mw.process_exception(other, DownloadCancelledError("shutdown")) is None


API = "https://hacker-news.firebaseio.com/v0"


def test_a_sites_api_is_a_second_origin_and_only_that() -> None:
    assert offsite_reason(f"{API}/item/1.json", BASE, API) is None
    assert offsite_reason(f"{BASE}/item?id=1", BASE, API) is None
    refused = offsite_reason("https://evil.example/item/1.json", BASE, API)
    assert refused == ("refused https://evil.example/item/1.json: not on the site's base URL "
                       f"{BASE} or its API {API} (a crawl follows links and redirects only to "
                       "its own scheme, host and port)")
    # Without the API (a crawl --via html), its host is off the origin like any other.
    assert offsite_reason(f"{API}/item/1.json", BASE) is not None
    spider = SimpleNamespace(base_url=BASE, api_url=API)
    checked = OriginMiddleware(SimpleNamespace(spider=spider, stats=None))  # type: ignore[arg-type]
    assert checked.process_request(Request(f"{API}/item/1.json")) is None
    with pytest.raises(OffsiteRefused, match="or its API"):
        checked.process_request(Request("http://127.0.0.1:1/item/1.json"))
